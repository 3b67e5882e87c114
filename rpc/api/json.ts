import { Type } from '@sinclair/typebox';
import type { Header } from '../../src/chain/block.js';
import type { ChainEvent, EventValue, Receipt } from '../../src/chain/receipt.js';
import type { Validator } from '../../src/chain/validators.js';
import { to0x } from '../../src/codec/bytes.js';
import { Bytes0x, Hash32, TimeMs, Uint } from '../schema.js';

/** Edge encodings (docs/ARCHITECTURE.md): bytes as 0x hex, integers as numbers, times as ms of block time. */

export const HeaderJson = Type.Object({
  chainId: Type.String(),
  height: Uint(),
  time: TimeMs(),
  hash: Hash32(),
  prevHash: Hash32(),
  txRoot: Hash32(),
  eventsRoot: Hash32(),
  stateRoot: Hash32(),
  validatorsHash: Hash32(),
  nextValidatorsHash: Hash32(),
  proposer: Hash32(),
});

export const headerToJson = (h: Header, hash: Uint8Array) => ({
  chainId: h.chainId,
  height: h.height,
  time: h.time,
  hash: to0x(hash),
  prevHash: to0x(h.prevHash),
  txRoot: to0x(h.txRoot),
  eventsRoot: to0x(h.eventsRoot),
  stateRoot: to0x(h.stateRoot),
  validatorsHash: to0x(h.validatorsHash),
  nextValidatorsHash: to0x(h.nextValidatorsHash),
  proposer: to0x(h.proposer),
});

export const EventJson = Type.Object({
  type: Type.String(),
  attrs: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
});

const valueToJson = (v: EventValue): string | number | boolean | null => (v instanceof Uint8Array ? to0x(v) : v);

export const eventToJson = (e: ChainEvent) => ({
  type: e.type,
  attrs: Object.fromEntries(Object.entries(e.attrs).map(([k, v]) => [k, valueToJson(v)])),
});

export const STATUS_NAMES = ['ok', 'failed', 'denied'] as const;

export const ReceiptJson = Type.Object({
  txHash: Hash32(),
  status: Type.Union(STATUS_NAMES.map((s) => Type.Literal(s))),
  code: Type.String(),
  events: Type.Array(EventJson),
});

export const receiptToJson = (r: Receipt) => ({
  txHash: to0x(r.txHash),
  status: STATUS_NAMES[r.status],
  code: r.code,
  events: r.events.map(eventToJson),
});

export const ValidatorJson = Type.Object({ id: Hash32(), pubkey: Bytes0x({ length: 32 }), power: Uint() });
export const validatorToJson = (v: Validator) => ({ id: to0x(v.id), pubkey: to0x(v.pubkey), power: v.power });

export const MerkleProofJson = Type.Object({
  index: Uint(),
  treeSize: Uint(),
  leafHash: Hash32(),
  path: Type.Array(Hash32()),
  root: Hash32(),
});
