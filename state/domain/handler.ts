import type { Tx } from '../../src/chain/tx.js';
import { BODY_CODECS, type BodyByKind, type BodyCodec, type MedicalKind } from '../../src/tx/bodies.js';
import { TX_KIND_NAMES } from '../../src/tx/kinds.js';
import type { ExecContext, TxKindHandler, TxOutcome } from '../exec/machine.js';

export const OK: TxOutcome = { status: 'ok' };
export const denied = (code: string): TxOutcome => ({ status: 'denied', code });

/** A kind's handler: the body codec from src/tx plus the stateful rules. */
export function handler<K extends MedicalKind>(
  kind: K,
  apply: (ctx: ExecContext, tx: Tx, body: BodyByKind[K]) => TxOutcome,
): TxKindHandler<BodyByKind[K]> {
  const codec = BODY_CODECS[kind] as BodyCodec<BodyByKind[K]>;
  return { kind, name: TX_KIND_NAMES[kind] as string, decodeBody: (raw) => codec.decode(raw), apply };
}

/** Ids of several records as one flat bytes attribute (events carry no arrays). */
export function concatIds(ids: readonly Uint8Array[]): Uint8Array {
  if (ids.length === 1) return ids[0] as Uint8Array;
  const out = new Uint8Array(ids.length * 32);
  for (let i = 0; i < ids.length; i++) out.set(ids[i] as Uint8Array, i * 32);
  return out;
}

export function splitIds(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o + 32 <= b.length; o += 32) out.push(b.subarray(o, o + 32));
  return out;
}
