/**
 * indexOps writes a block's entries into one buffer; its ops (keys, values, order) must be
 * exactly those of the per-entry encoder it replaced. The reference below is that encoder
 * (targets and grouping as they were), with every CBOR item encoded by cborg.
 */
import { encode as cborg } from 'cborg';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChainEvent, EventValue, Receipt } from '../../../src/chain/receipt.js';
import type { Tx } from '../../../src/chain/tx.js';
import { toHex } from '../../../src/codec/bytes.js';
import { IdentityType } from '../../../src/tx/kinds.js';
import { identityKey } from '../../../state/domain/keys.js';
import { encodeIdentity } from '../../../state/domain/values.js';
import { type IndexedBlock, IndexName, indexKey, indexOps, recordOwnerKey } from '../../../state/index/writer.js';
import type { BatchOp } from '../../../state/store/db.js';

const I = IndexName;
const concat = (parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const arrayHead = (n: number): Uint8Array =>
  n < 24
    ? Uint8Array.of(0x80 | n)
    : n < 256
      ? Uint8Array.of(0x98, n)
      : n < 65536
        ? Uint8Array.of(0x99, n >> 8, n & 255)
        : Uint8Array.of(0x9a, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
const mapHead = (n: number): Uint8Array => {
  const h = arrayHead(n);
  h[0] = (h[0] as number) + 0x20;
  return h;
};

/** The old encodeIndexEntry: 0x81, then [receipt, seq, type, txHash, attrs in insertion order]. */
function refEntry(r: number, s: number, type: string, txHash: Uint8Array, attrs: Record<string, EventValue>) {
  const parts = [
    Uint8Array.of(0x81, 0x85),
    cborg(r),
    cborg(s),
    cborg(type),
    cborg(txHash),
    mapHead(Object.keys(attrs).length),
  ];
  for (const [k, v] of Object.entries(attrs)) parts.push(cborg(k), cborg(v));
  return concat(parts);
}

const subject = (a: Record<string, EventValue>, n: string): Uint8Array | null => {
  const v = a[n];
  return v instanceof Uint8Array && v.length === 32 ? v : null;
};

/** The old indexOps, item for item. */
function refIndexOps(block: IndexedBlock): BatchOp[] {
  const ops: BatchOp[] = [];
  const registered = new Map<string, Uint8Array>();
  const orgOf = (id: Uint8Array): Uint8Array | null => {
    const local = registered.get(toHex(id));
    if (local !== undefined) return local;
    const v = block.read?.(identityKey(id));
    if (v === undefined) return null;
    const who = refIdentities.get(toHex(id));
    return who?.type === IdentityType.PRACTITIONER ? who.org : null;
  };
  const groups = new Map<string, { name: number; subject: Uint8Array | null; entries: Uint8Array[] }>();
  block.receipts.forEach((receipt, r) => {
    if (receipt.status === 1) return;
    const txHash = r < block.txs.length ? (block.txs[r] as Tx).hash : new Uint8Array(32);
    receipt.events.forEach((e, s) => {
      const a = e.attrs;
      const p = subject(a, 'patient');
      const g = subject(a, 'grantee');
      if (e.type === 'identity.registered' && a.identityType === 'practitioner') {
        const id = subject(a, 'id');
        const org = subject(a, 'org');
        if (id !== null && org !== null) registered.set(toHex(id), org);
      }
      const t: [number, Uint8Array | null][] = [];
      if (e.type === 'access') {
        t.push([I.DISCLOSURES, p], [I.ACCESS_BY_GRANTEE, g], [I.BY_ORG, g === null ? null : orgOf(g)]);
        if (a.granted !== true || a.emergency === true) t.push([I.FLAGS_BY_GRANTEE, g], [I.FLAGS, null]);
      } else if (e.type.startsWith('emergency.'))
        t.push(
          [I.DISCLOSURES, p],
          [I.ACCESS_BY_GRANTEE, g],
          [I.FLAGS_BY_GRANTEE, g],
          [I.FLAGS, null],
          [I.BY_ORG, subject(a, 'org')],
        );
      else if (e.type === 'identity.registered') t.push([I.BY_ORG, subject(a, 'org')]);
      else if (e.type === 'grantee.suspended') t.push([I.FLAGS_BY_GRANTEE, g], [I.FLAGS, null]);
      else if (e.type === 'consent.granted') t.push([I.CONSENTS_BY_PATIENT, p], [I.CONSENTS_BY_GRANTEE, g]);
      else if (e.type === 'record.added') t.push([I.RECORDS_BY_PATIENT, p]);
      else if (e.type === 'record.erase_blocked') t.push([I.RECORDS_BY_PATIENT, p], [I.FLAGS, null]);
      else if (e.type === 'governance.voted') t.push([I.GOVERNANCE, null]);
      if (e.type === 'record.added') {
        const rec = subject(a, 'record');
        if (rec !== null && p !== null) ops.push({ type: 'put', key: recordOwnerKey(rec), value: p });
      }
      if (t.length === 0) return;
      const entry = refEntry(r, s, e.type, txHash, a);
      for (const [name, subj] of t) {
        if (subj === null && name !== I.FLAGS && name !== I.GOVERNANCE) continue;
        const k = `${name}/${subj === null ? '' : toHex(subj)}`;
        const grp = groups.get(k);
        if (grp === undefined) groups.set(k, { name, subject: subj, entries: [entry] });
        else grp.entries.push(entry);
      }
    });
  });
  for (const g of groups.values()) {
    const value =
      g.entries.length === 1
        ? (g.entries[0] as Uint8Array)
        : concat([arrayHead(g.entries.length), ...g.entries.map((e) => e.subarray(1))]);
    ops.push({ type: 'put', key: indexKey(g.name, g.subject, block.time, block.height), value });
  }
  return ops;
}

// A few ids, so subjects repeat and groups gather several entries; some practitioners are known to state.
const ids = Array.from({ length: 6 }, (_, n) => new Uint8Array(32).fill(n + 1));
const refIdentities = new Map<string, { type: number; org: Uint8Array }>();
const state = new Map<string, Uint8Array>();
for (const [n, type] of [
  [0, IdentityType.PRACTITIONER],
  [1, IdentityType.PRACTITIONER],
  [2, IdentityType.PATIENT],
] as const) {
  const id = ids[n] as Uint8Array;
  const org = ids[5 - n] as Uint8Array;
  refIdentities.set(toHex(id), { type, org });
  state.set(
    toHex(identityKey(id)),
    encodeIdentity({
      type,
      pubkey: id,
      org,
      registeredAt: 0,
      suspended: false,
      name: '',
      licenseFrom: 0,
      licenseUntil: 0,
    }),
  );
}

const anId = fc.oneof(fc.constantFrom(...ids), fc.uint8Array({ minLength: 31, maxLength: 33 }));
const value: fc.Arbitrary<EventValue> = fc.oneof(
  anId,
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.maxSafeNat(),
  fc.boolean(),
  fc.constant(null),
);
const named = fc.constantFrom('patient', 'grantee', 'org', 'id', 'record', 'granted', 'emergency', 'identityType');
const attrs = fc.dictionary(fc.oneof(named, fc.string({ minLength: 1, maxLength: 6 })), value, { maxKeys: 9 });
const event: fc.Arbitrary<ChainEvent> = fc.record({
  type: fc.constantFrom(
    'access',
    'emergency.opened',
    'identity.registered',
    'grantee.suspended',
    'consent.granted',
    'record.added',
    'record.erase_blocked',
    'governance.voted',
    'something.else',
  ),
  attrs: fc.oneof(
    attrs,
    fc.record({ patient: anId, grantee: anId, granted: fc.boolean(), emergency: fc.boolean() }),
    fc.record({ identityType: fc.constant('practitioner'), id: anId, org: anId }),
  ),
});
const receipt: fc.Arbitrary<Receipt> = fc.record({
  txHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  status: fc.constantFrom(0, 0, 1, 2),
  code: fc.constant(''),
  events: fc.array(event, { maxLength: 4 }),
});

test('property: indexOps gives the same ops, keys and value bytes as the per-entry encoder it replaced', () => {
  fc.assert(
    fc.property(fc.array(receipt, { maxLength: 30 }), fc.nat(40), (receipts, txCount) => {
      const txs = receipts.slice(0, txCount).map((r) => ({ hash: r.txHash }) as Tx);
      const block: IndexedBlock = {
        height: 7,
        time: 1_700_000_000_000,
        txs,
        receipts,
        read: (k) => state.get(toHex(k)),
      };
      const ops: BatchOp[] = [];
      indexOps(block, ops);
      const hex = (o: BatchOp): string[] => [o.type, toHex(o.key), o.type === 'put' ? toHex(o.value) : ''];
      assert.equal(ops.map(hex), refIndexOps(block).map(hex));
    }),
    { numRuns: 1500 },
  );
});

test.run();
