/**
 * The read log: who read whose personal data (caller, role, method, subject ids; never values).
 * Reads are gathered and written as one line per caller when the current job ends (a microtask),
 * so a batch of 100 reads is one line and one write, not 100: the log cost ~7% of an
 * access_check batch when each read was its own line. The line leaves before any other I/O of the
 * process (the microtask runs before the event loop polls again), and a full buffer is written at
 * once, so a long synchronous loop cannot hold reads back without bound.
 *
 * A line holds its reads in columns, per method: `{"access_check":{"calls":100,"grantee":[...],
 * "record":[...]}}`, the k-th entry of every column belonging to the k-th call (null where that
 * call named no such id). The same facts as one object per read, at less than half the cost to
 * serialize (measured: 24 against 60 µs for 100 reads), which kept the log off the top of a batch.
 *
 * On the node's pino logger the line is written by hand (rpc/logger.ts `infoLineWriter`): a column
 * whose method's schema admits only 0x hex is concatenated as it is, 4x cheaper than pino's generic
 * stringify (measured: 4.5 against 18 µs for 100 reads of two ids). Anything else (a param not
 * schema-checked as hex, a call that named no such id) goes through JSON.stringify. add() only
 * keeps the call's params; the ids are picked out when the line is written: with that, the log
 * costs ~17 rather than ~33 µs of an access_check batch of 100 (same-run, in process).
 */
import { type Caller, callerLabel, roleOf } from '../auth/caller.js';
import { infoLineWriter, type RpcLogger } from '../logger.js';
import type { ParamSpec } from '../methods.js';

/** The id params a read names (ids are pseudonymous; no other param is logged). */
export const ID_PARAMS = ['patient', 'record', 'grantee', 'practitioner', 'id', 'consent', 'hash', 'key'] as const;
/** Longer strings are not ids (a valid id is at most 0x + 128 hex digits): not logged. */
const MAX_ID = 130;
const MSG = 'rpc: personal data read';

/** The calls of one method in a line: `calls`, then one column per id param named. */
export type MethodReads = { calls: number } & { [param: string]: number | (string | null)[] };

/** An id param of a method: its name, and whether its schema admits only 0x hex (JSON-safe as it is). */
export interface IdParam {
  readonly name: string;
  readonly hex: boolean;
}

/** The two id patterns of rpc/schema.ts (`^0x[0-9a-f]{n}$`, `^0x(?:[0-9a-f]{2})*$`), as schema text. */
const HEX_PATTERN = /^\^0x(?:\[0-9a-f\]\{\d+\}|\(\?:\[0-9a-f\]\{2\}\)\*)\$$/;

/** A method's id params, from its param specs (judged once per method, not per call). */
export function idParamsOf(params: readonly ParamSpec[]): IdParam[] {
  return params
    .filter((p) => IDS.has(p.name))
    .map((p) => {
      const s = p.schema as { type?: unknown; pattern?: unknown };
      return { name: p.name, hex: s.type === 'string' && typeof s.pattern === 'string' && HEX_PATTERN.test(s.pattern) };
    });
}

/** Reads held before a line is written regardless of the microtask. */
const MAX_BUFFERED = 1024;

type Params = Readonly<Record<string, unknown>>;

/**
 * The calls of one method: their params as they came (handlers do not change them), read when the
 * line is written. One push per read; the ids are picked out once per line.
 */
interface Gathered {
  rows: Params[];
  /** The id params of every row (the method's, from idParamsOf); undefined: any of ID_PARAMS, escaped. */
  ids: readonly IdParam[] | undefined;
}

interface Held {
  role: string;
  methods: Map<string, Gathered>;
}

const IDS: ReadonlySet<string> = new Set(ID_PARAMS);
const ANY: readonly IdParam[] = ID_PARAMS.map((name) => ({ name, hex: false }));

export class ReadLog {
  /** By caller label (identity id, or operator). */
  private pending = new Map<string, Held>();
  private count = 0;
  private at = 0;
  private scheduled = false;
  /** The last caller and method added to, and where: a batch adds to the same one 100 times. */
  private last: { caller: Caller; read: string; m: Gathered } | undefined;
  /** Whether reads are logged at all (a logger without info drops them at no cost). */
  readonly enabled: boolean;
  private readonly line: ((fields: string) => void) | undefined;

  constructor(
    private readonly logger: RpcLogger,
    private readonly now: () => number = Date.now,
  ) {
    this.enabled = logger.info !== undefined;
    this.line = infoLineWriter(logger, MSG);
  }

  /**
   * One read: of `params`, only id strings are logged: those `ids` names (the method's, from
   * idParamsOf), or without `ids` any of ID_PARAMS (not known to be hex: escaped when written).
   */
  add(caller: Caller, read: string, params: Params, ids?: readonly IdParam[]): void {
    if (this.count === 0) this.at = this.now();
    const last = this.last;
    const m =
      last !== undefined && last.caller === caller && last.read === read ? last.m : this.gathered(caller, read, ids);
    // Rows added with other id params (or none) than the first: every row is judged as ANY.
    if (ids !== m.ids) m.ids = undefined;
    m.rows.push(params);
    if (++this.count >= MAX_BUFFERED) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private gathered(caller: Caller, read: string, ids: readonly IdParam[] | undefined): Gathered {
    const label = callerLabel(caller);
    let held = this.pending.get(label);
    if (held === undefined) {
      held = { role: roleOf(caller), methods: new Map() };
      this.pending.set(label, held);
    }
    let m = held.methods.get(read);
    if (m === undefined) {
      m = { rows: [], ids };
      held.methods.set(read, m);
    }
    this.last = { caller, read, m };
    return m;
  }

  /** Writes what is held: one line per caller, `at` the time of the first read held. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.count === 0) return;
    const pending = this.pending;
    const at = this.at;
    this.pending = new Map();
    this.count = 0;
    this.last = undefined;
    const line = this.line;
    if (line !== undefined) {
      for (const [caller, { role, methods }] of pending)
        line(
          `"caller":${JSON.stringify(caller)},"role":${JSON.stringify(role)},"at":${at},"reads":${readsJson(methods)}`,
        );
      return;
    }
    const info = this.logger.info;
    if (info === undefined) return;
    for (const [caller, { role, methods }] of pending)
      info.call(this.logger, { caller, role, at, reads: columnsOf(methods) }, MSG);
  };
}

/** A row's id `name`, or null: not a string, or too long to be an id. */
function idOf(row: Params, name: string): string | null {
  const v = row[name];
  return typeof v === 'string' && v.length <= MAX_ID ? v : null;
}

/** The column of `name`, the k-th row's id at k (null where it named none); undefined if no row named one. */
function column(rows: readonly Params[], name: string): (string | null)[] | undefined {
  const out: (string | null)[] = new Array(rows.length);
  let named = false;
  for (let k = 0; k < rows.length; k++) {
    const v = idOf(rows[k] as Params, name);
    out[k] = v;
    if (v !== null) named = true;
  }
  return named ? out : undefined;
}

function columnsOf(methods: Map<string, Gathered>): Record<string, MethodReads> {
  const out: Record<string, MethodReads> = {};
  for (const [read, { rows, ids }] of methods) {
    const m = { calls: rows.length } as MethodReads;
    for (const { name } of ids ?? ANY) {
      const col = column(rows, name);
      if (col !== undefined) m[name] = col;
    }
    out[read] = m;
  }
  return out;
}

/**
 * A hex column as JSON text, its ids concatenated as they are (the schema admits only 0x hex: nothing
 * to escape; no intermediate joined copy); undefined if some row named no id (holes are escaped).
 */
function hexColumnJson(rows: readonly Params[], name: string): string | undefined {
  let s = '';
  for (let k = 0; k < rows.length; k++) {
    const v = idOf(rows[k] as Params, name);
    if (v === null) return undefined;
    s += k === 0 ? v : `","${v}`;
  }
  return `["${s}"]`;
}

/** columnsOf as JSON text: a whole hex column as it is, anything else escaped. */
function readsJson(methods: Map<string, Gathered>): string {
  let out = '';
  for (const [read, { rows, ids }] of methods) {
    out += `${out === '' ? '' : ','}${JSON.stringify(read)}:{"calls":${rows.length}`;
    for (const { name, hex } of ids ?? ANY) {
      let col = hex ? hexColumnJson(rows, name) : undefined;
      if (col === undefined) {
        const c = column(rows, name);
        // An id param that no call named is not written.
        if (c === undefined) continue;
        col = JSON.stringify(c);
      }
      out += `,"${name}":${col}`;
    }
    out += '}';
  }
  return `{${out}}`;
}

/** A line's reads one by one, in call order per method: for tools that want a row per read. */
export function eachRead(
  reads: Readonly<Record<string, MethodReads>>,
): { read: string; subject: Record<string, string> }[] {
  const out: { read: string; subject: Record<string, string> }[] = [];
  for (const [read, m] of Object.entries(reads))
    for (let k = 0; k < m.calls; k++) {
      const subject: Record<string, string> = {};
      for (const p of ID_PARAMS) {
        const v = (m[p] as (string | null)[] | undefined)?.[k];
        if (typeof v === 'string') subject[p] = v;
      }
      out.push({ read, subject });
    }
  return out;
}
