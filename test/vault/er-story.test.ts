/**
 * The seed's ER story end to end on a two-hospital devnet (real node processes) with hospital A's
 * vault: the patient stores allergies and medications at A, grants an ER practitioner at B read
 * access for ETREAT, B opens them; after the (short) consent expires B is denied and the denial
 * is in the audit trail; a practitioner without consent is denied; break-glass works, flagged;
 * every record is served only after the requester's ACCESS tx is final (the receipt is on chain
 * before the data leaves the vault); tampered, wrong-key, replayed, stale and cross-patient
 * requests are refused; requests that do not authenticate are never relayed to the chain; the
 * patient erases a record, the vault shreds it with a signed receipt whose hash it anchors on chain,
 * later access is ERASED; no plaintext or data key is on chain or in any log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeTx } from '../../src/chain/tx.js';
import { readDevnet } from '../../src/cli/devnet.js';
import {
  type Account,
  accountFromSecret,
  generateAccount,
  hex,
  MedchainClient,
  TxFactory,
} from '../../src/client/index.js';
import { NO_GRANT, RecordVault, receiptPayload, unwrapKey, type VaultError } from '../../src/client/vault/index.js';
import { MedchainError } from '../../src/errors.js';
import { type RunningVault, startVault, verifyReceipt } from '../../src/vault/index.js';
import { TestNet, until } from '../helpers/procs.js';
import { json, syntheticPatient } from './fhir.js';

let net: TestNet;
let client: MedchainClient;
let chainId: string;
let orgA: Account;
let orgB: Account;
let vault: RunningVault;
const vaultDir = mkdtempSync(join(tmpdir(), 'medchain-vault-'));
const vaultLog: string[] = [];
const log = {
  info: (o: object, m?: string) => vaultLog.push(JSON.stringify({ ...o, m })),
  warn: (o: object, m?: string) => vaultLog.push(JSON.stringify({ ...o, m })),
};

const patient = generateAccount();
const patient2 = generateAccount();
const erDoc = generateAccount();
const otherDoc = generateAccount();
const emDoc = generateAccount();
const fx = syntheticPatient(7);
const fx2 = syntheticPatient(8);
const dataKeys: string[] = [];
let allergy: Uint8Array;
let meds: Uint8Array;
let foreign: Uint8Array;
let medsExpiry = 0;

const as = (a: Account) => new TxFactory({ chainId, account: a });
const vaultOf = (a: Account, f?: typeof fetch) =>
  new RecordVault({ client, chainId, account: a, vaultUrl: vault.url, ...(f ? { fetch: f } : {}) });

async function ok(tx: { bytes: Uint8Array }): Promise<void> {
  const r = await client.send(tx);
  assert.is(r.status, 'ok', `${r.status} ${r.code}`);
}

async function refused(p: Promise<unknown>, code: string, reason?: string): Promise<MedchainError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof MedchainError, String(err));
    const e = err as MedchainError;
    assert.is(e.code, code, e.message);
    if (reason !== undefined) assert.is(e.meta.reason, reason, e.message);
    return e;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

const OPERATOR_TOKEN = 'er-story-operator';

interface RefusalPage {
  refusals: { code: string; accessTx?: string; identity: string }[];
  unauthenticated: Record<string, number>;
}

/** The refusal log (operator token), oldest first among the latest 1,000. */
async function refusalLog(): Promise<RefusalPage> {
  const res = await fetch(`${vault.url}/v1/refusals?limit=1000`, {
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
  });
  assert.is(res.status, 200);
  const r = (await res.json()) as RefusalPage;
  return { ...r, refusals: r.refusals.reverse() };
}

async function refusalsFor(code: string): Promise<{ code: string; accessTx?: string; identity: string }[]> {
  return (await refusalLog()).refusals.filter((x) => x.code === code);
}

/** The tx never reached the chain (not relayed). */
async function notOnChain(hash: string): Promise<void> {
  try {
    await client.call('tx_get', { hash });
  } catch (err) {
    assert.is((err as { reason?: string }).reason, 'TX_NOT_FOUND');
    return;
  }
  assert.unreachable('relayed to the chain');
}

test.before(async () => {
  // Txs make blocks at once; empty blocks (the heartbeat) only move block time on: one a second
  // does that at half the idle CPU of two nodes.
  net = await TestNet.create(2, 1000);
  net.startAll();
  await net.waitHeight(0, 1, 60_000);
  const m = await readDevnet(net.dir);
  orgA = accountFromSecret((m.nodes[0] as { orgSecretKey: string }).orgSecretKey);
  orgB = accountFromSecret((m.nodes[1] as { orgSecretKey: string }).orgSecretKey);
  const rpcUrl = net.nodes[0]?.rpc as string;
  client = MedchainClient.http(rpcUrl);
  chainId = (await client.status()).chainId;
  vault = await startVault(
    { dir: vaultDir, host: '127.0.0.1', port: 0, operatorToken: OPERATOR_TOKEN },
    { rpcUrl, custodianSecretKey: orgA.secretKey, log },
  );
});

test.after(async () => {
  await vault?.close();
  await client?.close();
  await net?.close();
  rmSync(vaultDir, { recursive: true, force: true });
});

test('hospitals onboard the patient and their practitioners', async () => {
  await ok(as(patient).registerPatient(orgA));
  await ok(as(patient2).registerPatient(orgA));
  const now = (await client.status()).headTime;
  for (const d of [erDoc, otherDoc, emDoc]) {
    await ok(as(orgB).registerPractitioner(d));
    await ok(
      as(orgB).issueCredential({
        practitioner: d.id,
        type: 'license',
        validFrom: now - 3_600_000,
        validUntil: now + 86_400_000,
      }),
    );
  }
  await ok(
    as(orgB).issueCredential({
      practitioner: emDoc.id,
      type: 'emergency',
      validFrom: now - 3_600_000,
      validUntil: now + 86_400_000,
    }),
  );
});

test('the patient stores allergies and medications at hospital A', async () => {
  const pv = vaultOf(patient);
  allergy = (await pv.store(json(fx.allergy), { resourceType: 'AllergyIntolerance' })).record;
  meds = (await pv.store(json(fx.medication), { resourceType: 'MedicationStatement' })).record;
  foreign = (await vaultOf(patient2).store(json(fx2.allergy), { resourceType: 'AllergyIntolerance' })).record;
  const p = await client.call('record_get', { record: hex(allergy) });
  assert.is(p.record?.custodian, hex(orgA.id));
  // Keep the data keys (from the owner's copies) for the leak scan.
  for (const [r, who] of [
    [allergy, patient],
    [meds, patient],
    [foreign, patient2],
  ] as const) {
    const w = vault.service.deps.store.getWrap(r, who.id);
    assert.ok(w);
    dataKeys.push(Buffer.from(unwrapKey(who.secretKey, r, NO_GRANT, w.wrapped).key).toString('hex'));
  }
});

test('the patient grants the ER practitioner at B read access for ETREAT; B opens and decrypts', async () => {
  const pv = vaultOf(patient);
  await pv.share([allergy], erDoc.id, { purposes: ['ETREAT'], hours: 48 });
  // The medications consent stands in for the 48 hours with a few seconds of block time.
  medsExpiry = (await client.status()).headTime + 20_000;
  await pv.share([meds], erDoc.id, { purposes: ['ETREAT'], expiresAt: medsExpiry });
  const er = vaultOf(erDoc);
  const a = await er.open(allergy, 'ETREAT');
  assert.equal(JSON.parse(new TextDecoder().decode(a.plaintext)), fx.allergy);
  assert.is(a.emergency, false);
  const m = await er.open(meds, 'ETREAT');
  assert.equal(JSON.parse(new TextDecoder().decode(m.plaintext)), fx.medication);
  // Served only once final: the receipt is already on chain, no waiting.
  const rc = await client.call('tx_getReceipt', { hash: m.accessTx });
  assert.is(rc.status, 'ok');
});

test('the refusal log is closed without the operator token', async () => {
  assert.is((await fetch(`${vault.url}/v1/refusals`)).status, 403);
});

test('a practitioner with no consent is denied NO_CONSENT, and the denial is audited', async () => {
  const e = await refused(vaultOf(otherDoc).open(allergy, 'ETREAT'), 'VAULT_DENIED', 'NO_CONSENT');
  assert.ok(e);
  const r = (await refusalsFor('VAULT_DENIED')).at(-1);
  assert.ok(r?.accessTx);
  const rc = await client.waitFinal(r.accessTx as string);
  assert.is(rc.status, 'denied');
  assert.is(rc.code, 'NO_CONSENT');
});

test('after the consent expires (block time) B is denied EXPIRED, and the denial is in the audit trail', async () => {
  await until('consent expiry in block time', 60_000, async () =>
    (await client.status()).headTime > medsExpiry ? true : undefined,
  );
  await refused(vaultOf(erDoc).open(meds, 'ETREAT'), 'VAULT_DENIED', 'EXPIRED');
  const d = await until('denial in disclosures', 15_000, async () => {
    const r = await client.call('audit_disclosures', { patient: hex(patient.id) });
    return r.disclosures.find((x) => x.attrs.granted === false && x.attrs.code === 'EXPIRED');
  });
  assert.is(d.attrs.grantee, hex(erDoc.id));
});

test('break-glass works through the vault and is flagged', async () => {
  const em = vaultOf(emDoc);
  await refused(em.open(allergy, 'ETREAT'), 'VAULT_DENIED', 'NO_CONSENT');
  const session = await em.breakGlass(patient.id);
  const o = await em.open(allergy, 'ETREAT');
  assert.equal(JSON.parse(new TextDecoder().decode(o.plaintext)), fx.allergy);
  assert.is(o.emergency, true);
  assert.is(o.session, session);
  const rc = await client.waitFinal(o.accessTx);
  assert.is(rc.status, 'ok');
  const d = await client.call('audit_disclosures', { patient: hex(patient.id) });
  const e = d.disclosures.find((x) => x.txHash === o.accessTx);
  assert.is(e?.attrs.emergency, true);
  assert.is(e?.attrs.session, session);
});

test('tampered ciphertext is refused TAMPERED (the access itself is audited)', async () => {
  const tamper: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (!String(input).endsWith('/open') || !res.ok) return res;
    const b = new Uint8Array(await res.arrayBuffer());
    b[b.length - 20] = (b[b.length - 20] as number) ^ 1;
    return new Response(b, { status: res.status, headers: res.headers });
  };
  const er = vaultOf(erDoc, tamper);
  await refused(er.open(allergy, 'ETREAT'), 'VAULT_TAMPERED');
});

test('a request signed with a key that is not the identity’s is refused KEY_MISMATCH and not relayed', async () => {
  const impostor = accountFromSecret(generateAccount().secretKey, erDoc.id);
  const iv = vaultOf(impostor);
  const req = await iv.buildOpen(allergy, patient.id, 'ETREAT');
  await refused(iv.send(allergy, req, null), 'VAULT_KEY_MISMATCH');
  const log = await refusalLog();
  assert.is(log.unauthenticated.VAULT_KEY_MISMATCH, 1, 'counted, not stored row by row');
  assert.is(log.refusals.filter((r) => r.code === 'VAULT_KEY_MISMATCH').length, 0);
  await notOnChain(hex(decodeTx(req.body).hash));
});

test('a wrapped key does not open with another identity key: WRONG_KEY', async () => {
  const w = vault.service.deps.store.getWrap(allergy, erDoc.id);
  assert.ok(w);
  try {
    unwrapKey(otherDoc.secretKey, allergy, w.grant, w.wrapped);
    assert.unreachable('opened');
  } catch (err) {
    assert.is((err as VaultError).code, 'VAULT_WRONG_KEY');
  }
});

test('a replayed request is refused REPLAYED; a stale one STALE_REQUEST and not relayed', async () => {
  const er = vaultOf(erDoc);
  const p = await client.call('record_get', { record: hex(allergy) });
  const req = await er.buildOpen(allergy, patient.id, 'ETREAT');
  const first = await er.send(allergy, req, p.record?.commitment ?? null);
  await refused(er.send(allergy, req, p.record?.commitment ?? null), 'VAULT_REPLAYED');
  assert.is((await refusalLog()).unauthenticated.VAULT_REPLAYED, 1);
  assert.is((await client.call('tx_getReceipt', { hash: first.accessTx })).status, 'ok', 'the original is on chain');

  const stale = await er.buildOpen(allergy, patient.id, 'ETREAT', Date.now() - 120_000);
  await refused(er.send(allergy, stale, p.record?.commitment ?? null), 'VAULT_STALE_REQUEST');
  assert.is((await refusalLog()).unauthenticated.VAULT_STALE_REQUEST, 1);
  await notOnChain(hex(decodeTx(stale.body).hash));
});

test("a request for another patient's record is refused with the chain's denial", async () => {
  const er = vaultOf(erDoc);
  const req = await er.buildOpen(foreign, patient.id, 'ETREAT');
  await refused(er.send(foreign, req, null), 'VAULT_DENIED', 'UNKNOWN_RECORD');
  const r = (await refusalsFor('VAULT_DENIED')).at(-1);
  const rc = await client.waitFinal(r?.accessTx as string);
  assert.is(rc.status, 'denied');
  assert.is(rc.code, 'UNKNOWN_RECORD');
});

test('the patient erases a record: the vault shreds it with a signed receipt; later access is ERASED', async () => {
  const pv = vaultOf(patient);
  const eraseTx = await pv.erase(allergy);
  const receipt = await until('deletion receipt', 20_000, () => pv.receipt(allergy));
  assert.is(receipt.eraseTx, eraseTx);
  assert.is(receipt.custodian, hex(orgA.id));
  assert.ok(verifyReceipt(receipt, chainId, orgA.publicKey));
  // The receipt is anchored on chain by the custodian's ATTEST_DELETION tx: anyone holding it can
  // check sha256(receiptPayload) against record_get, and the patient's trail shows the attestation.
  const anchored = await until('attested receipt', 20_000, async () => {
    const r = await pv.receipt(allergy);
    return r?.attestTx === undefined ? undefined : r;
  });
  assert.ok(verifyReceipt(anchored, chainId, orgA.publicKey));
  const att = await client.waitFinal(anchored.attestTx as string);
  assert.is(att.status, 'ok', `${att.status} ${att.code}`);
  const onChain = (await client.call('record_get', { record: hex(allergy) })).record;
  assert.is(onChain?.erased, true);
  assert.is(onChain?.deletionReceipt, hex(sha256(receiptPayload(anchored))));
  const trail = await client.call('audit_query', {
    patient: hex(patient.id),
    kinds: ['record.deletion_attested'],
  });
  assert.equal(
    trail.entries.map((e) => [e.txHash, e.attrs.record, e.attrs.custodian]),
    [[anchored.attestTx, hex(allergy), hex(orgA.id)]],
  );
  const st = vault.service.deps.store;
  assert.is(st.getMeta(allergy), undefined);
  assert.is(st.getWrap(allergy, erDoc.id), undefined);
  assert.is(st.getWrap(allergy, orgA.id), undefined);
  await refused(vaultOf(erDoc).open(allergy, 'ETREAT'), 'VAULT_DENIED', 'ERASED');
  const r = (await refusalsFor('VAULT_DENIED')).at(-1);
  const rc = await client.waitFinal(r?.accessTx as string);
  assert.is(rc.code, 'ERASED');
});

test('no plaintext and no data key appears in any block or log', async () => {
  const head = (await client.status()).headHeight;
  const chunks: string[] = [];
  for (let h = 1; h <= head; h++)
    chunks.push(JSON.stringify(await client.call('chain_getBlock', { block: h, fullTxs: true })));
  const haystacks = [chunks.join('\n'), vaultLog.join('\n'), ...net.nodes.map((n) => n.output.join(''))];
  const needles = [...fx.secrets, ...fx2.secrets, ...dataKeys];
  for (const h of haystacks) {
    const lower = h.toLowerCase();
    for (const n of needles) {
      assert.not.ok(h.includes(n), `found a secret: ${n.slice(0, 6)}…`);
      assert.not.ok(lower.includes(Buffer.from(n).toString('hex')), 'found a secret, hex-encoded');
    }
  }
  assert.ok(chunks.length > 10);
});

test.run();
