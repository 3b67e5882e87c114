/**
 * docs/PROTOCOL.md's test vectors, recomputed from the code: the doc's `json vectors` block must
 * equal what the encoders, hashes and signers produce from the inputs it states, and every proof in
 * it must verify the way the doc tells a light client to verify it. Regenerate the block after an
 * intended change with MEDCHAIN_PRINT_VECTORS=1 (the doc then changes in the same commit).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyCommit } from '../../consensus/engine/certificate.js';
import { encodeCommit } from '../../consensus/engine/messages.js';
import type { CommitCertificate } from '../../consensus/engine/types.js';
import { ValidatorSet } from '../../consensus/engine/validator-set.js';
import { auditMethods } from '../../rpc/api/audit.js';
import type { NodeApi } from '../../rpc/api/types.js';
import { encodeHeader, type Header, headerHash } from '../../src/chain/block.js';
import { identityId } from '../../src/chain/genesis.js';
import { inclusionProof, leafHash, merkleRoot, nodeHash, verifyInclusion } from '../../src/chain/merkle.js';
import { encodeReceipt, type Receipt, TxStatus } from '../../src/chain/receipt.js';
import { encodeTxPayload } from '../../src/chain/tx.js';
import { encodeValidators, validatorsHash } from '../../src/chain/validators.js';
import { VoteType, voteSignBytes } from '../../src/chain/vote.js';
import { toHex } from '../../src/codec/bytes.js';
import { SignPurpose, signingMessage } from '../../src/crypto/domain.js';
import { publicKeyOf, sign, verify } from '../../src/crypto/ed25519.js';
import { sha256 } from '../../src/crypto/hash.js';
import { access } from '../../src/tx/builders.js';
import { signTx } from '../../src/tx/sign.js';
import { decodeStateProof, encodeStateProof, verifyStateProof } from '../../state/smt/proof.js';
import { type NodeSource, SparseMerkleTree } from '../../state/smt/tree.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const h = (b: Uint8Array): string => `0x${toHex(b)}`;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);
const seq = (start: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => start + i);

class MapSource implements NodeSource {
  nodes = new Map<string, Uint8Array>();
  getNode(k: Uint8Array) {
    return this.nodes.get(toHex(k));
  }
}

/** Everything the doc states, computed from its inputs. */
function compute() {
  const chainId = 'medchain-devnet';
  // Keys: the patient-side signer and one validator, from fixed secret keys.
  const signerSk = seq(0);
  const signerPk = publicKeyOf(signerSk);
  const signerId = identityId(signerPk);
  const validatorSk = seq(32);
  const validatorPk = publicKeyOf(validatorSk);
  const orgId = identityId(publicKeyOf(seq(64)));

  // An ACCESS tx: the practitioner logs a read of one record for ETREAT.
  const fields = access(
    {
      chainId,
      signer: signerId,
      pubkey: signerPk,
      expiresAt: 1_790_000_000_000,
      nonce: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
    },
    { patient: fill(32, 0x11), records: [fill(32, 0x22)], purpose: 2 },
  );
  const tx = signTx(fields, signerSk);

  // Its receipt (status ok, one access event) and a second receipt, both in the block's eventsRoot.
  const receipt: Receipt = {
    txHash: tx.hash,
    status: TxStatus.OK,
    code: '',
    events: [
      { type: 'access', attrs: { granted: true, grantee: signerId, patient: fill(32, 0x11), purpose: 'ETREAT' } },
    ],
  };
  const other: Receipt = { txHash: fill(32, 0x33), status: TxStatus.DENIED, code: 'NO_CONSENT', events: [] };
  const receipts = [encodeReceipt(other), encodeReceipt(receipt)];
  const eventsRoot = merkleRoot(receipts);
  const receiptPath = inclusionProof(receipts, 1);

  // State: two keys in the sparse Merkle tree; a proof of one and a non-inclusion proof of another.
  const tree = new SparseMerkleTree(new MapSource());
  const kv: [string, string][] = [
    ['identity/alice', 'value-a'],
    ['identity/bob', 'value-b'],
  ];
  const update = tree.stage(kv.map(([k, v]) => ({ keyHash: sha256(utf8(k)), valueHash: sha256(utf8(v)) })));
  tree.advance(update);
  const stateRoot = update.rootHash;
  const proofA = encodeStateProof(tree.prove(sha256(utf8('identity/alice'))));
  const proofAbsent = encodeStateProof(tree.prove(sha256(utf8('identity/carol'))));

  const validators = [{ id: orgId, pubkey: validatorPk, power: 1 }];
  const header: Header = {
    chainId,
    height: 7,
    time: 1_789_000_000_000,
    prevHash: fill(32, 0x44),
    txRoot: merkleRoot([tx.bytes]),
    eventsRoot,
    stateRoot,
    validatorsHash: validatorsHash(validators),
    nextValidatorsHash: validatorsHash(validators),
    proposer: orgId,
  };
  const blockHash = headerHash(header);
  const vote = { type: VoteType.PRECOMMIT, height: 7, round: 0, blockHash, validatorIndex: 0 };
  const voteBytes = voteSignBytes(vote);
  const voteSig = sign(signingMessage(SignPurpose.VOTE, chainId, voteBytes), validatorSk);
  const commit: CommitCertificate = {
    height: 7,
    round: 0,
    blockHash,
    signatures: [{ validatorIndex: 0, signature: voteSig }],
  };

  return {
    inputs: {
      chainId,
      signerSecretKey: h(signerSk),
      validatorSecretKey: h(validatorSk),
      organizationSecretKey: h(seq(64)),
    },
    domain: {
      txPrefix: h(signingMessage(SignPurpose.TX, chainId, new Uint8Array())),
      votePrefix: h(signingMessage(SignPurpose.VOTE, chainId, new Uint8Array())),
    },
    identity: { publicKey: h(signerPk), id: h(signerId), organizationId: h(orgId) },
    tx: {
      payload: h(encodeTxPayload(fields)),
      signature: h(tx.signature),
      hash: h(tx.hash),
      bytes: h(tx.bytes),
    },
    receipt: {
      encoded: h(receipts[1] as Uint8Array),
      leafHash: h(leafHash(receipts[1] as Uint8Array)),
      index: 1,
      treeSize: 2,
      path: receiptPath.map(h),
      eventsRoot: h(eventsRoot),
    },
    state: {
      key: 'identity/alice',
      value: h(utf8('value-a')),
      stateRoot: h(stateRoot),
      proof: h(proofA),
      absentKey: 'identity/carol',
      absentProof: h(proofAbsent),
    },
    header: {
      encoded: h(encodeHeader(header)),
      hash: h(blockHash),
      validators: h(encodeValidators(validators)),
      validatorsHash: h(header.validatorsHash),
    },
    vote: { signBytes: h(voteBytes), signature: h(voteSig), commit: h(encodeCommit(commit)) },
    // Not printed: what the checks below need.
    _: { header, commit, validators, chainId, receipts, nodeHash },
  };
}

function docVectors(): unknown {
  const md = readFileSync(join(repo, 'docs/PROTOCOL.md'), 'utf8');
  const m = /```json vectors\n([\s\S]*?)\n```/.exec(md);
  assert.ok(m, 'docs/PROTOCOL.md has a ```json vectors block');
  return JSON.parse(m[1] as string);
}

const v = compute();
const { _: ctx, ...printed } = v;
if (process.env.MEDCHAIN_PRINT_VECTORS === '1') process.stdout.write(`${JSON.stringify(printed, null, 2)}\n`);

test('docs/PROTOCOL.md vectors equal what the code computes from the stated inputs', () => {
  assert.equal(docVectors(), JSON.parse(JSON.stringify(printed)));
});

test('light client: the header hashes to its hash, the certificate has > 2/3 of the power', () => {
  assert.is(h(sha256(Buffer.from(v.header.encoded.slice(2), 'hex'))), v.header.hash);
  assert.is(h(sha256(Buffer.from(v.header.validators.slice(2), 'hex'))), v.header.validatorsHash);
  const set = new ValidatorSet(ctx.validators);
  const check = (pk: Uint8Array, bytes: Uint8Array, sig: Uint8Array) =>
    verify(sig, signingMessage(SignPurpose.VOTE, ctx.chainId, bytes), pk);
  verifyCommit(ctx.commit, set, check, 7);
  const wrongChain = (pk: Uint8Array, bytes: Uint8Array, sig: Uint8Array) =>
    verify(sig, signingMessage(SignPurpose.VOTE, 'other-chain', bytes), pk);
  assert.throws(
    () => verifyCommit(ctx.commit, set, wrongChain, 7),
    'a vote signed for one chain does not verify on another',
  );
});

test('light client: the receipt (and so its audit events) is in the header’s eventsRoot (RFC 6962)', () => {
  const r = v.receipt;
  const leaf = leafHash(Buffer.from(r.encoded.slice(2), 'hex'));
  assert.is(h(leaf), r.leafHash);
  assert.ok(
    verifyInclusion(
      leaf,
      r.index,
      r.treeSize,
      r.path.map((p) => Buffer.from(p.slice(2), 'hex')),
      ctx.header.eventsRoot,
    ),
  );
  // By hand: a two-leaf tree is node(leaf0, leaf1).
  assert.is(h(nodeHash(leafHash(ctx.receipts[0] as Uint8Array), leaf)), r.eventsRoot);
});

test('light client: a state value and an absence verify against the stateRoot alone', () => {
  const s = v.state;
  const root = Buffer.from(s.stateRoot.slice(2), 'hex');
  const proof = decodeStateProof(Buffer.from(s.proof.slice(2), 'hex'));
  assert.ok(verifyStateProof(root, utf8(s.key), Buffer.from(s.value.slice(2), 'hex'), proof));
  assert.not.ok(verifyStateProof(root, utf8(s.key), utf8('value-x'), proof), 'another value does not verify');
  assert.ok(
    verifyStateProof(root, utf8(s.absentKey), null, decodeStateProof(Buffer.from(s.absentProof.slice(2), 'hex'))),
  );
  assert.is(s.stateRoot, h(ctx.header.stateRoot));
});

test('OpenRPC: audit_query and audit_disclosures say their proofs verify against each entry’s eventsRoot', () => {
  const methods = auditMethods({} as NodeApi);
  for (const name of ['audit_query', 'audit_disclosures']) {
    const m = methods.find((x) => x.name === name);
    const text = JSON.stringify(m);
    assert.match(text, /eventsRoot of its own entry/, name);
    assert.not.match(text, /the head stateRoot every proof in the answer verifies against/, name);
  }
});

test.run();
