/**
 * Valid encodings the mutators start from: one or more of every message the
 * node takes from outside. Signatures are placeholders: the decoders under
 * test run before any signature check.
 */
import { decode } from 'cborg';
import { encodeCommit, encodeProposal, encodeVote } from '../../consensus/engine/messages.js';
import { encodeBundle } from '../../p2p/bundle.js';
import { encodeStatus } from '../../p2p/status.js';
import { encodeSyncRequest } from '../../p2p/sync.js';
import { type Block, encodeBlock, encodeHeader, type Header } from '../../src/chain/block.js';
import { encodeReceipt } from '../../src/chain/receipt.js';
import { assembleTx, encodeTxPayload } from '../../src/chain/tx.js';
import { WRAPPED_BYTES } from '../../src/client/vault/crypto.js';
import { encodeRequestHeader, encodeRequestPayload, type VaultRequest } from '../../src/client/vault/protocol.js';
import { encode } from '../../src/codec/cbor.js';
import type { BodyByKind, MedicalKind } from '../../src/tx/bodies.js';
import { buildTx } from '../../src/tx/builders.js';
import { GovAction, MAX_ACCESS_RECORDS, MAX_GUARDIANS, MAX_SCOPE_RECORDS, TxKind } from '../../src/tx/kinds.js';

export const CHAIN_ID = 'fuzz-chain';
const id = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const sig = (n = 9): Uint8Array => new Uint8Array(64).fill(n);
const T = 1_800_000_000_000;

/** A typical body of every kind, some at their list bounds. */
export const BODIES: { [K in MedicalKind]: BodyByKind[K] } = {
  [TxKind.REGISTER_PATIENT]: { org: id(1), orgSig: sig() },
  [TxKind.REGISTER_PRACTITIONER]: { pubkey: id(2), proof: sig() },
  [TxKind.ROTATE_KEY]: { newPubkey: id(3), proof: sig() },
  [TxKind.SET_DELEGATE]: { delegate: id(4), expiresAt: T },
  [TxKind.REVOKE_DELEGATE]: { delegate: id(4) },
  [TxKind.SET_RECOVERY]: { guardians: Array.from({ length: MAX_GUARDIANS }, (_, i) => id(20 + i)), threshold: 3 },
  [TxKind.START_RECOVERY]: {
    patient: id(5),
    newPubkey: id(6),
    proof: sig(),
    approvals: [
      { guardian: id(20), sig: sig(1) },
      { guardian: id(21), sig: sig(2) },
    ],
  },
  [TxKind.CANCEL_RECOVERY]: {},
  [TxKind.FINISH_RECOVERY]: { patient: id(5) },
  [TxKind.ISSUE_CREDENTIAL]: { practitioner: id(7), credType: 2, qualifier: 394, validFrom: T, validUntil: T + 1 },
  [TxKind.REVOKE_CREDENTIAL]: { practitioner: id(7), credType: 1, qualifier: 0 },
  [TxKind.ADD_RECORD]: {
    record: id(8),
    patient: id(5),
    resourceType: 3,
    commitment: id(9),
    locator: new Uint8Array(24).fill(7),
    custodian: id(1),
    purpose: 1,
  },
  [TxKind.ERASE_RECORD]: { record: id(8) },
  [TxKind.SET_LEGAL_HOLD]: { record: id(8), hold: true },
  [TxKind.GRANT_CONSENT]: {
    patient: id(5),
    grantee: id(7),
    records: Array.from({ length: MAX_SCOPE_RECORDS }, (_, i) => id(40 + i)),
    types: 0b1010,
    actions: 1,
    purposes: 0b10,
    notBefore: 0,
    expiresAt: T,
  },
  [TxKind.REVOKE_CONSENT]: { patient: id(5), grantee: id(7), consent: id(10) },
  [TxKind.ACCESS]: {
    patient: id(5),
    records: Array.from({ length: MAX_ACCESS_RECORDS }, (_, i) => id(40 + i)),
    purpose: 1,
  },
  [TxKind.BREAK_GLASS]: { patient: id(5), reason: 7 },
  [TxKind.REVIEW_EMERGENCY]: { session: id(11), justified: true },
  [TxKind.REINSTATE]: { grantee: id(7) },
  [TxKind.PROPOSE_VALIDATOR_CHANGE]: {
    action: GovAction.ADD_VALIDATOR,
    org: id(1),
    consensusKey: id(12),
    power: 10,
    peerId: '12D3KooWSeedPeer',
    consensusProof: sig(4),
  },
  [TxKind.VOTE_VALIDATOR_CHANGE]: { proposal: id(13) },
  [TxKind.EVIDENCE]: {
    a: { type: 2, height: 9, round: 0, blockHash: id(14), validatorIndex: 2, signature: sig(3) },
    b: { type: 2, height: 9, round: 0, blockHash: null, validatorIndex: 2, signature: sig(4) },
  },
  [TxKind.ATTEST_DELETION]: { record: id(8), receiptHash: id(15) },
};

const EXTRA_BODIES: [MedicalKind, unknown][] = [
  [
    TxKind.PROPOSE_VALIDATOR_CHANGE,
    { action: GovAction.ADD_ORGANIZATION, pubkey: id(16), proof: sig(), name: 'St Mary' },
  ],
  [TxKind.PROPOSE_VALIDATOR_CHANGE, { action: GovAction.REMOVE_VALIDATOR, org: id(1) }],
  [TxKind.GRANT_CONSENT, { ...BODIES[TxKind.GRANT_CONSENT], records: [] }],
  [TxKind.ACCESS, { patient: id(5), records: [id(8)], purpose: 2 }],
];

export function txSeeds(): Uint8Array[] {
  const entries: [MedicalKind, unknown][] = [
    ...(Object.entries(BODIES).map(([k, b]) => [Number(k), b]) as [MedicalKind, unknown][]),
    ...EXTRA_BODIES,
  ];
  return entries.map(([kind, body], i) => {
    const f = buildTx(
      kind,
      { chainId: CHAIN_ID, signer: id(30), pubkey: id(31), expiresAt: T, nonce: Uint8Array.of(i) },
      body as never,
    );
    return assembleTx(f, encodeTxPayload(f), sig(i)).bytes;
  });
}

export function header(height: number): Header {
  return {
    chainId: CHAIN_ID,
    height,
    time: T + height,
    prevHash: id(height),
    txRoot: id(50),
    eventsRoot: id(51),
    stateRoot: id(52),
    validatorsHash: id(53),
    nextValidatorsHash: id(53),
    proposer: id(1),
  };
}

export function blockSeeds(): Uint8Array[] {
  const txs = txSeeds();
  const blocks: Block[] = [
    { header: header(1), txs: [] },
    { header: header(2), txs: txs.slice(0, 3) },
    { header: header(3), txs },
  ];
  return blocks.map(encodeBlock);
}

export const headerSeeds = (): Uint8Array[] => [encodeHeader(header(1)), encodeHeader(header(2 ** 40))];

export function commitSeeds(): Uint8Array[] {
  const sigs = (n: number) => Array.from({ length: n }, (_, i) => ({ validatorIndex: i * 2, signature: sig(i) }));
  return [1, 3, 7].map((n) => encodeCommit({ height: 5, round: n - 1, blockHash: id(60), signatures: sigs(n) }));
}

export function voteSeeds(): Uint8Array[] {
  return [
    encodeVote({ type: 1, height: 5, round: 0, blockHash: id(60), validatorIndex: 1, signature: sig() }),
    encodeVote({ type: 2, height: 2 ** 33, round: 70_000, blockHash: null, validatorIndex: 1023, signature: sig() }),
  ];
}

export function proposalSeeds(): Uint8Array[] {
  const [small, , big] = blockSeeds() as [Uint8Array, Uint8Array, Uint8Array];
  return [
    encodeProposal({
      chainId: CHAIN_ID,
      height: 3,
      round: 0,
      polRound: -1,
      blockHash: id(61),
      block: small,
      proposerIndex: 0,
      signature: sig(),
    }),
    encodeProposal({
      height: 3,
      round: 2,
      polRound: 1,
      blockHash: id(61),
      block: big,
      proposerIndex: 3,
      signature: sig(),
    }),
  ];
}

export const bundleSeeds = (): Uint8Array[] => {
  const txs = txSeeds();
  return [
    encodeBundle([]),
    encodeBundle(txs.slice(0, 1)),
    encodeBundle(txs),
    encodeBundle(Array.from({ length: 30 }, (_, i) => new Uint8Array(i))),
  ];
};

export const syncRequestSeeds = (): Uint8Array[] => [
  encodeSyncRequest(1, 64),
  encodeSyncRequest(0, 0),
  encodeSyncRequest(2 ** 40, 2 ** 32),
];

export function syncResponseSeeds(): Uint8Array[] {
  const [b1, b2] = blockSeeds() as [Uint8Array, Uint8Array];
  const [c1, c2] = commitSeeds() as [Uint8Array, Uint8Array];
  return [
    encode([]),
    encode([[b1, c1]]),
    encode([
      [b1, c1],
      [b2, c2],
    ]),
  ];
}

export const statusSeeds = (): Uint8Array[] => [
  encodeStatus({ chainId: CHAIN_ID, genesisHash: id(70), height: 0 }),
  encodeStatus({ chainId: 'x'.repeat(64), genesisHash: id(71), height: 2 ** 50 }),
];

export const receiptSeeds = (): Uint8Array[] => [
  encodeReceipt({ txHash: id(80), status: 0, code: '', events: [] }),
  encodeReceipt({
    txHash: id(81),
    status: 2,
    code: 'NO_CONSENT',
    events: [{ type: 'access', attrs: { patient: id(5), granted: false, purpose: 1, note: null, code: 'NO_CONSENT' } }],
  }),
];

export function vaultRequest(op: 'put' | 'keys' | 'open'): VaultRequest {
  return {
    op,
    vault: id(1),
    identity: id(7),
    pubkey: id(31),
    record: id(8),
    patient: id(5),
    purpose: op === 'open' ? 'TREAT' : '',
    time: T,
    nonce: new Uint8Array(16).fill(3),
    digest: id(90),
  };
}

export const vaultRequestSeeds = (): Uint8Array[] =>
  (['put', 'keys', 'open'] as const).map((op) => encodeRequestHeader(encodeRequestPayload(vaultRequest(op)), sig()));

export const vaultKeysSeeds = (): Uint8Array[] => [
  encode([[id(7), id(10), new Uint8Array(WRAPPED_BYTES).fill(1)]]),
  encode(Array.from({ length: 3 }, (_, i) => [id(i), id(10 + i), new Uint8Array(WRAPPED_BYTES).fill(i)])),
];

/** Sanity: every seed is valid CBOR (a typo in a seed would silently weaken a campaign). */
export function assertCbor(seeds: readonly Uint8Array[]): Uint8Array[] {
  for (const s of seeds) decode(s);
  return [...seeds];
}
