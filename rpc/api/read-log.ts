/**
 * The read log: who read whose personal data (caller, role, method, subject ids; never values).
 * Reads are gathered and written as one line per caller when the current job ends (a microtask),
 * so a batch of 100 reads is one line and one write, not 100: the log cost ~7% of an
 * access_check batch when each read was its own line. The line leaves before any other I/O of the
 * process (the microtask runs before the event loop polls again), and a full buffer is written at
 * once, so a long synchronous loop cannot hold reads back without bound.
 */
import { type Caller, callerLabel, roleOf } from '../auth/caller.js';
import type { RpcLogger } from '../logger.js';

/** One read of a line: the method (or FHIR interaction) and the ids it named. */
export interface Read {
  read: string;
  subject: Record<string, string>;
}

/** Reads held before a line is written regardless of the microtask. */
const MAX_BUFFERED = 1024;

export class ReadLog {
  /** By caller label (identity id, or operator), with the caller's role. */
  private pending = new Map<string, { role: string; reads: Read[] }>();
  private count = 0;
  private at = 0;
  private scheduled = false;

  constructor(
    private readonly logger: RpcLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether reads are logged at all (a logger without info drops them at no cost). */
  get enabled(): boolean {
    return this.logger.info !== undefined;
  }

  add(caller: Caller, read: string, subject: Record<string, string>): void {
    if (this.count === 0) this.at = this.now();
    const label = callerLabel(caller);
    const held = this.pending.get(label);
    if (held === undefined) this.pending.set(label, { role: roleOf(caller), reads: [{ read, subject }] });
    else held.reads.push({ read, subject });
    if (++this.count >= MAX_BUFFERED) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Writes what is held: one line per caller, `at` the time of the first read held. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.count === 0) return;
    const pending = this.pending;
    const at = this.at;
    this.pending = new Map();
    this.count = 0;
    const info = this.logger.info;
    if (info === undefined) return;
    for (const [caller, { role, reads }] of pending)
      info.call(this.logger, { caller, role, at, reads }, 'rpc: personal data read');
  };
}
