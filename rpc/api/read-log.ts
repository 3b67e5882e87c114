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
 * whose method's schema admits only 0x hex is joined as it is, 4x cheaper than pino's generic
 * stringify (measured: 4.5 against 18 µs for 100 reads of two ids). Anything else (a param not
 * schema-checked as hex, a call that named no such id) goes through JSON.stringify.
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

interface Column {
  /** The k-th call's id at k, a hole where it named none. */
  values: (string | null)[];
  /** How many calls named this id (== calls: no holes). */
  named: number;
  /** Every value came through a 0x-hex schema. */
  hex: boolean;
}

interface Gathered {
  calls: number;
  columns: Map<string, Column>;
  /** The columns of the last `ids` added with, in its order: a batch adds with the same 100 times. */
  ids?: readonly IdParam[];
  cols?: Column[];
}

interface Held {
  role: string;
  methods: Map<string, Gathered>;
}

const IDS: ReadonlySet<string> = new Set(ID_PARAMS);

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
  private readonly line: ((fields: string, msg: string) => void) | undefined;

  constructor(
    private readonly logger: RpcLogger,
    private readonly now: () => number = Date.now,
  ) {
    this.enabled = logger.info !== undefined;
    this.line = infoLineWriter(logger);
  }

  /**
   * One read: of `params`, only id strings are kept: those `ids` names (the method's, from
   * idParamsOf), or without `ids` any of ID_PARAMS (not known to be hex: escaped when written).
   */
  add(caller: Caller, read: string, params: Readonly<Record<string, unknown>>, ids?: readonly IdParam[]): void {
    if (this.count === 0) this.at = this.now();
    const m = this.gathered(caller, read);
    const k = m.calls++;
    if (ids !== undefined) {
      let cols = m.ids === ids ? m.cols : undefined;
      if (cols === undefined) {
        cols = ids.map((p) => column(m, p.name));
        m.ids = ids;
        m.cols = cols;
      }
      for (let i = 0; i < ids.length; i++) {
        const { name, hex } = ids[i] as IdParam;
        put(cols[i] as Column, k, params[name], hex);
      }
    } else {
      // The call's own keys (a handful), not a lookup of every id name: this runs once per read.
      for (const p in params) if (IDS.has(p)) put(column(m, p), k, params[p], false);
    }
    if (++this.count >= MAX_BUFFERED) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private gathered(caller: Caller, read: string): Gathered {
    const last = this.last;
    if (last !== undefined && last.caller === caller && last.read === read) return last.m;
    const label = callerLabel(caller);
    let held = this.pending.get(label);
    if (held === undefined) {
      held = { role: roleOf(caller), methods: new Map() };
      this.pending.set(label, held);
    }
    let m = held.methods.get(read);
    if (m === undefined) {
      m = { calls: 0, columns: new Map() };
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
          MSG,
        );
      return;
    }
    const info = this.logger.info;
    if (info === undefined) return;
    for (const [caller, { role, methods }] of pending)
      info.call(this.logger, { caller, role, at, reads: columnsOf(methods) }, MSG);
  };
}

function column(m: Gathered, p: string): Column {
  let col = m.columns.get(p);
  if (col === undefined) {
    col = { values: [], named: 0, hex: true };
    m.columns.set(p, col);
  }
  return col;
}

function put(col: Column, k: number, v: unknown, hex: boolean): void {
  if (typeof v !== 'string' || v.length > MAX_ID) return;
  col.values[k] = v;
  col.named++;
  if (!hex) col.hex = false;
}

/** A column with its holes as null (written when a call named no such id). */
function filled(col: Column, calls: number): (string | null)[] {
  const v = col.values;
  if (col.named < calls) for (let k = 0; k < calls; k++) if (v[k] === undefined) v[k] = null;
  return v;
}

function columnsOf(methods: Map<string, Gathered>): Record<string, MethodReads> {
  const out: Record<string, MethodReads> = {};
  for (const [read, { calls, columns }] of methods) {
    const m = { calls } as MethodReads;
    for (const p of ID_PARAMS) {
      const col = columns.get(p);
      if (col !== undefined && col.named > 0) m[p] = filled(col, calls);
    }
    out[read] = m;
  }
  return out;
}

/** columnsOf as JSON text: a whole hex column joined as it is, anything else escaped. */
function readsJson(methods: Map<string, Gathered>): string {
  let out = '';
  for (const [read, { calls, columns }] of methods) {
    out += `${out === '' ? '' : ','}${JSON.stringify(read)}:{"calls":${calls}`;
    for (const p of ID_PARAMS) {
      const col = columns.get(p);
      // A column made for a method's id param that no call named is not written.
      if (col === undefined || col.named === 0) continue;
      out +=
        col.hex && col.named === calls
          ? `,"${p}":["${col.values.join('","')}"]`
          : `,"${p}":${JSON.stringify(filled(col, calls))}`;
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
