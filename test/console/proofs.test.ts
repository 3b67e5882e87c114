/**
 * The console's "verified" mark checks an audit entry against the validator set that signed its
 * block, not today's set: an entry from before a validator change still verifies, and one whose
 * certificate the set does not sign does not.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Header, headerHash } from '../../src/chain/block.js';
import { encodeCommit } from '../../src/chain/commit.js';
import { identityId } from '../../src/chain/genesis.js';
import { inclusionProof, leafHash, merkleRoot } from '../../src/chain/merkle.js';
import { encodeReceipt, TxStatus } from '../../src/chain/receipt.js';
import { type Validator, validatorsHash } from '../../src/chain/validators.js';
import { VoteType, voteSignBytes } from '../../src/chain/vote.js';
import type { AuditEntry, MedchainClient } from '../../src/client/index.js';
import { toHex } from '../../src/codec/bytes.js';
import { ProofChecker } from '../../src/console/proofs.js';
import { SignPurpose, signingMessage } from '../../src/crypto/domain.js';
import { publicKeyOf, sign } from '../../src/crypto/ed25519.js';

const h = (b: Uint8Array): string => `0x${toHex(b)}`;
const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const chainId = 'proofs-test';
const member = (sk: Uint8Array): Validator => ({ id: identityId(publicKeyOf(sk)), pubkey: publicKeyOf(sk), power: 1 });
const setJson = (vs: Validator[]) => vs.map((v) => ({ id: h(v.id), pubkey: h(v.pubkey), power: v.power }));

/** Block 7 signed by `signer`, whose set (`old`) the header names; its one access event as an audit entry. */
function block7(signer: Uint8Array, old: Validator[]) {
  const patient = key(0x11);
  const receipt = encodeReceipt({
    txHash: key(0x33),
    status: TxStatus.OK,
    code: '',
    events: [{ type: 'access', attrs: { granted: true, patient, purpose: 'TREAT' } }],
  });
  const leaves = [receipt];
  const header: Header = {
    chainId,
    height: 7,
    time: 1_789_000_000_000,
    prevHash: key(0x44),
    txRoot: merkleRoot([]),
    eventsRoot: merkleRoot(leaves),
    stateRoot: key(0x55),
    validatorsHash: validatorsHash(old),
    nextValidatorsHash: validatorsHash(old),
    proposer: old[0]?.id as Uint8Array,
  };
  const blockHash = headerHash(header);
  const vote = voteSignBytes({ type: VoteType.PRECOMMIT, height: 7, round: 0, blockHash, validatorIndex: 0 });
  const signature = sign(signingMessage(SignPurpose.VOTE, chainId, vote), signer);
  const commit = encodeCommit({ height: 7, round: 0, blockHash, signatures: [{ validatorIndex: 0, signature }] });
  const headerJson = {
    chainId,
    height: 7,
    time: header.time,
    hash: h(blockHash),
    prevHash: h(header.prevHash),
    txRoot: h(header.txRoot),
    eventsRoot: h(header.eventsRoot),
    stateRoot: h(header.stateRoot),
    validatorsHash: h(header.validatorsHash),
    nextValidatorsHash: h(header.nextValidatorsHash),
    proposer: h(header.proposer),
  };
  const entry = {
    type: 'access',
    attrs: { granted: true, patient: h(patient), purpose: 'TREAT' },
    time: header.time,
    height: 7,
    receiptIndex: 0,
    seq: 0,
    txHash: h(key(0x33)),
    proof: {
      blockHash: h(blockHash),
      receipt: h(receipt),
      receiptProof: {
        index: 0,
        treeSize: 1,
        leafHash: h(leafHash(receipt)),
        path: inclusionProof(leaves, 0).map(h),
        root: h(header.eventsRoot),
      },
    },
  } as unknown as AuditEntry;
  const commitJson = {
    height: 7,
    round: 0,
    blockHash: h(blockHash),
    signatures: [{ validatorIndex: 0, signature: h(signature) }],
    encoded: h(commit),
  };
  return { headerJson, commitJson, entry };
}

/** A node that answers chain_getValidators by block as stored history does: old set at 7, new set now. */
function fakeNode(b: ReturnType<typeof block7>, old: Validator[], now: Validator[]) {
  const calls: unknown[] = [];
  const client = {
    call: async (method: string, params?: { block?: number }) => {
      calls.push([method, params]);
      if (method === 'chain_getHeader') return b.headerJson;
      if (method === 'chain_getCommit') return b.commitJson;
      if (method === 'chain_getValidators') return setJson(params?.block === 7 ? old : now);
      throw new Error(method);
    },
  } as unknown as MedchainClient;
  return { client, calls };
}

test('an entry from before a validator change is verified against the set in force at its height', async () => {
  const old = [member(key(1))];
  const now = [member(key(1)), member(key(2)), member(key(3)), member(key(4))];
  const b = block7(key(1), old);
  const { client, calls } = fakeNode(b, old, now);
  assert.ok(await new ProofChecker(client).verify(b.entry), 'verified with the old set');
  assert.ok(
    calls.some((c) => JSON.stringify(c) === JSON.stringify(['chain_getValidators', { block: 7 }])),
    'asked for the set at height 7',
  );
});

test('not verified when the block was signed by a key outside the set its header names', async () => {
  const old = [member(key(1))];
  const b = block7(key(9), old);
  const { client } = fakeNode(b, old, old);
  assert.not.ok(await new ProofChecker(client).verify(b.entry));
});

test.run();
