import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hex } from '../../src/client/client.js';
import { decryptKey, encryptKey, KeystoreErrorCode } from '../../src/client/keystore.js';
import { generateAccount } from '../../src/client/tx.js';
import { isCoded } from '../../src/errors.js';

const FAST = { N: 2 ** 14, r: 8, p: 1 };

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
    assert.unreachable(`expected ${code}`);
  } catch (err) {
    assert.ok(isCoded(err, code), String(err));
  }
}

test('a key file opens with its password and yields the same account', async () => {
  const a = generateAccount();
  const f = await encryptKey(a, 'pässword', 'alice', FAST);
  assert.is(f.crypto.cipher, 'xchacha20-poly1305');
  assert.not.ok(JSON.stringify(f).includes(hex(a.secretKey).slice(2)), 'no plaintext secret in the file');
  const b = await decryptKey(JSON.parse(JSON.stringify(f)), 'pässword');
  assert.equal(b.secretKey, a.secretKey);
  assert.equal(b.id, a.id);
});

test('rejects KEYSTORE_BAD_PASSWORD for a wrong password or edited metadata', async () => {
  const a = generateAccount();
  const f = await encryptKey(a, 'pw', 'alice', FAST);
  await rejects(decryptKey(f, 'wrong'), KeystoreErrorCode.BAD_PASSWORD);
  await rejects(decryptKey({ ...f, name: 'mallory' }, 'pw'), KeystoreErrorCode.BAD_PASSWORD);
  await rejects(decryptKey({ ...f, id: hex(new Uint8Array(32)) }, 'pw'), KeystoreErrorCode.BAD_PASSWORD);
});

test('rejects KEYSTORE_BAD_FILE for malformed files and absurd scrypt costs', async () => {
  const f = await encryptKey(generateAccount(), 'pw', 'alice', FAST);
  await rejects(decryptKey({}, 'pw'), KeystoreErrorCode.BAD_FILE);
  await rejects(
    decryptKey({ ...f, crypto: { ...f.crypto, kdfparams: { ...f.crypto.kdfparams, N: 2 ** 30 } } }, 'pw'),
    KeystoreErrorCode.BAD_FILE,
  );
  await rejects(
    decryptKey({ ...f, crypto: { ...f.crypto, kdfparams: { ...f.crypto.kdfparams, N: 1000 } } }, 'pw'),
    KeystoreErrorCode.BAD_FILE,
  );
  await rejects(decryptKey({ ...f, version: 2 }, 'pw'), KeystoreErrorCode.BAD_FILE);
});

test('rejects KEYSTORE_WEAK_PARAMS for a new key file with a cheap scrypt cost', async () => {
  const a = generateAccount();
  await rejects(encryptKey(a, 'pw', 'alice', { N: 2, r: 8, p: 1 }), KeystoreErrorCode.WEAK_PARAMS);
  await rejects(encryptKey(a, 'pw', 'alice', { N: 2 ** 13, r: 8, p: 1 }), KeystoreErrorCode.WEAK_PARAMS);
  await rejects(encryptKey(a, 'pw', 'alice', { N: 2 ** 14, r: 1, p: 1 }), KeystoreErrorCode.WEAK_PARAMS);
  await rejects(encryptKey(a, 'pw', 'alice', { N: 3 * 2 ** 14, r: 8, p: 1 }), KeystoreErrorCode.WEAK_PARAMS);
});

test.run();
