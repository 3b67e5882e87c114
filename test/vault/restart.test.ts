/**
 * Replay protection across a restart: nonces live in memory, so a vault refuses every request
 * signed before it started. A request replayed to a restarted vault is refused STALE_REQUEST,
 * not served again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { identityId } from '../../src/chain/genesis.js';
import { encodeRequestHeader, encodeRequestPayload, VaultErrorCode } from '../../src/client/vault/protocol.js';
import { utf8 } from '../../src/codec/bytes.js';
import { SignPurpose, signingMessage } from '../../src/crypto/domain.js';
import { publicKeyOf, sign } from '../../src/crypto/ed25519.js';
import { isCoded } from '../../src/errors.js';
import type { VaultChain } from '../../src/vault/chain.js';
import { defaultVaultOptions, VaultService, VaultStore } from '../../src/vault/index.js';

const CHAIN = 'medchain-restart';
const T0 = 1_700_000_000_000;
const key = (s: string): { id: Uint8Array; sk: Uint8Array; pk: Uint8Array } => {
  const sk = sha256(utf8(s));
  const pk = publicKeyOf(sk);
  return { id: identityId(pk), sk, pk };
};
const org = key('custodian');
const patient = key('patient');

const chain: VaultChain = {
  chainId: CHAIN,
  identity: async (id) =>
    id.every((b, i) => b === patient.id[i]) ? { pubkey: patient.pk, suspended: false } : undefined,
  waitFinal: async () => undefined,
  head: async () => ({ height: 0, time: 0 }),
  record: async () => undefined,
  submit: async () => '0x',
};

function putHeader(record: Uint8Array, blob: Uint8Array, time: number, nonce: number): Uint8Array {
  const payload = encodeRequestPayload({
    op: 'put',
    vault: org.id,
    identity: patient.id,
    pubkey: patient.pk,
    record,
    patient: patient.id,
    purpose: '',
    time,
    nonce: new Uint8Array(16).fill(nonce),
    digest: sha256(blob),
  });
  return encodeRequestHeader(payload, sign(signingMessage(SignPurpose.VAULT_REQUEST, CHAIN, payload), patient.sk));
}

test('a request signed before the vault started is STALE_REQUEST; a replay to a restarted vault too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-restart-'));
  const store = await VaultStore.open(dir);
  let now = T0;
  const service = (): VaultService =>
    new VaultService(defaultVaultOptions, {
      store,
      chain,
      custodian: { id: org.id, secretKey: org.sk, publicKey: org.pk },
      log: { info: () => {}, warn: () => {} },
      now: () => now,
    });
  const refused = async (p: Promise<unknown>, code: string): Promise<void> => {
    try {
      await p;
      assert.unreachable('served');
    } catch (e) {
      assert.ok(isCoded(e, code), String(e));
    }
  };
  try {
    const first = service();
    const blob = utf8('ciphertext');
    const rec = sha256(utf8('record'));
    // Within the clock skew, but signed a millisecond before this vault started.
    await refused(first.put(putHeader(rec, blob, T0 - 1, 1), rec, blob), VaultErrorCode.STALE_REQUEST);
    const h = putHeader(rec, blob, T0 + 10, 2);
    now = T0 + 20;
    assert.equal((await first.put(h, rec, blob)).locator, sha256(blob));
    await refused(first.put(h, rec, blob), VaultErrorCode.REPLAYED);
    // Restart: the nonce is forgotten, the request is still refused.
    now = T0 + 1_000;
    const second = service();
    await refused(second.put(h, rec, blob), VaultErrorCode.STALE_REQUEST);
    const fresh = putHeader(rec, blob, now, 3);
    assert.equal((await second.put(fresh, rec, blob)).locator, sha256(blob));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
