/** The client's builders produce exactly the node's transactions, signed with @noble/ed25519. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeTx } from '../../src/chain/tx.js';
import { accountFromSecret, generateAccount, TxFactory } from '../../src/client/tx.js';
import { signFast } from '../../src/crypto/ed25519.js';
import { decodeBody } from '../../src/tx/bodies.js';
import { TxKind } from '../../src/tx/kinds.js';
import { signTx, verifyTxSignature } from '../../src/tx/sign.js';

const now = () => 1_700_000_000_000;

const vote = (blockHash: Uint8Array | null) => ({
  type: 1 as const,
  height: 5,
  round: 0,
  blockHash,
  validatorIndex: 0,
  signature: new Uint8Array(64),
});

test('every kind builds, signs, decodes and verifies', () => {
  const org = generateAccount();
  const me = generateAccount();
  const other = generateAccount();
  const f = new TxFactory({ chainId: 'c', account: me, now });
  const o = new TxFactory({ chainId: 'c', account: org, now });
  const id = other.id;
  const txs = [
    f.registerPatient(org),
    o.registerPractitioner(other),
    f.rotateKey(other),
    f.setDelegate(id, now() + 1),
    f.revokeDelegate(id),
    f.setRecovery([id], 1),
    f.startRecovery(id, generateAccount(), []),
    f.cancelRecovery(),
    f.finishRecovery(id),
    o.issueCredential({ practitioner: id, type: 'license', validFrom: 0, validUntil: 1 }),
    o.revokeCredential({ practitioner: id, type: 'specialty', qualifier: 7 }),
    f.addRecord({
      patient: me.id,
      resourceType: 'Observation',
      commitment: new Uint8Array(32),
      locator: new Uint8Array([1]),
      custodian: org.id,
    }),
    f.eraseRecord(id),
    f.setLegalHold(id, true),
    o.attestDeletion(id, new Uint8Array(32).fill(7)),
    f.grantConsent({ grantee: id, types: ['Observation'], purposes: ['TREAT', 'ETREAT'], hours: 48 }),
    f.revokeConsent({ grantee: id, consent: id }),
    f.access({ patient: id, records: [id], purpose: 'TREAT' }),
    f.breakGlass(id),
    o.reviewEmergency(id, true),
    o.reinstate(id),
    o.proposeOrganization(other, 'Clinic'),
    o.proposeAddValidator(id, {
      consensusKey: other.publicKey,
      peerId: '12D3KooWTestPeer',
      consensusProof: new Uint8Array(64),
    }),
    o.proposeRemoveValidator(id),
    o.voteValidatorChange(id),
    o.reportEvidence(org.id, vote(new Uint8Array(32).fill(1)), vote(null)),
  ];
  const kinds = new Set(txs.map((t) => t.kind));
  for (const k of Object.values(TxKind)) assert.ok(kinds.has(k), `kind ${k}`);
  for (const t of txs) {
    const d = decodeTx(t.bytes);
    assert.ok(verifyTxSignature(d));
    decodeBody(d);
  }
  const g = f.grantConsent({ grantee: id, purposes: ['TREAT'], records: [id], hours: 48 });
  const b = decodeBody(decodeTx(g.bytes)) as { expiresAt: number; notBefore: number };
  assert.is(b.expiresAt - now(), 48 * 3_600_000);
});

test('noble signatures equal the node’s (node:crypto) signatures byte for byte', () => {
  const me = accountFromSecret(new Uint8Array(32).fill(3));
  const f = new TxFactory({ chainId: 'c', account: me, now });
  const t = f.eraseRecord(new Uint8Array(32));
  const fields = {
    chainId: t.chainId,
    kind: t.kind,
    signer: t.signer,
    pubkey: t.pubkey,
    expiresAt: t.expiresAt,
    nonce: t.nonce,
    body: t.body,
  };
  assert.equal(signTx(fields, me.secretKey, signFast).bytes, t.bytes);
});

test.run();
