import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateAccount, recordCommitment } from '../../src/client/tx.js';
import {
  commitmentOf,
  hkdf32,
  locatorOf,
  NO_GRANT,
  openRecord,
  SealErrorCode,
  sealRecord,
  unwrapKey,
  unwrapKeyOf,
  wrapKey,
} from '../../src/client/vault/crypto.js';
import { toHex, utf8 } from '../../src/codec/bytes.js';
import { isCoded } from '../../src/errors.js';

const id = (b: number): Uint8Array => new Uint8Array(32).fill(b);

async function refused(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
    assert.unreachable('accepted');
  } catch (e) {
    assert.ok(isCoded(e, code), String(e));
  }
}

test('a sealed record opens with its key and salt, empty to 200 kB', () => {
  for (const size of [0, 4096, 200_000]) {
    const plain = new Uint8Array(size).map((_, i) => i & 0xff);
    const s = sealRecord(id(1), plain);
    assert.equal(s.locator, sha256(s.blob));
    assert.equal(openRecord(id(1), s.blob, s.key, s.salt, s.commitment), plain);
  }
});

test('the commitment is sha256(salt || locator), the same as the SDK’s recordCommitment', () => {
  const s = sealRecord(id(2), utf8('{"resourceType":"AllergyIntolerance"}'));
  const m = new Uint8Array(64);
  m.set(s.salt);
  m.set(locatorOf(s.blob), 32);
  assert.is(toHex(s.commitment), toHex(sha256(m)));
  assert.is(toHex(commitmentOf(s.locator, s.salt)), toHex(recordCommitment(s.blob, s.salt)));
});

test('an altered blob, another record id, salt or commitment: VAULT_TAMPERED (small and large)', async () => {
  for (const size of [100, 100_000]) {
    const s = sealRecord(id(3), new Uint8Array(size).fill(7));
    const flipped = s.blob.slice();
    flipped[size >> 1] = (flipped[size >> 1] as number) ^ 1;
    await refused(() => openRecord(id(3), flipped, s.key, s.salt, s.commitment), SealErrorCode.TAMPERED);
    await refused(() => openRecord(id(4), s.blob, s.key, s.salt, s.commitment), SealErrorCode.TAMPERED);
    await refused(() => openRecord(id(3), s.blob, s.key, id(9), s.commitment), SealErrorCode.TAMPERED);
    await refused(() => openRecord(id(3), s.blob, s.key, s.salt, id(9)), SealErrorCode.TAMPERED);
    await refused(() => openRecord(id(3), s.blob, id(5), s.salt, s.commitment), SealErrorCode.TAMPERED);
  }
  await refused(() => openRecord(id(3), new Uint8Array(39), id(5), id(6), id(7)), SealErrorCode.MALFORMED);
});

test('a wrapped key opens only for its grantee, record and grant: VAULT_WRONG_KEY otherwise', async () => {
  const doctor = generateAccount();
  const other = generateAccount();
  const s = sealRecord(id(5), utf8('record'));
  const w = wrapKey(doctor.publicKey, id(5), id(6), s.key, s.salt);
  const me = unwrapKeyOf(doctor.secretKey);
  const k = unwrapKey(me, id(5), id(6), w);
  assert.equal(k.key, s.key);
  assert.equal(k.salt, s.salt);
  assert.equal(openRecord(id(5), s.blob, k.key, k.salt, s.commitment), utf8('record'));
  await refused(() => unwrapKey(unwrapKeyOf(other.secretKey), id(5), id(6), w), SealErrorCode.WRONG_KEY);
  await refused(() => unwrapKey(me, id(7), id(6), w), SealErrorCode.WRONG_KEY);
  await refused(() => unwrapKey(me, id(5), NO_GRANT, w), SealErrorCode.WRONG_KEY);
  await refused(() => unwrapKey(me, id(5), id(6), w.subarray(1)), SealErrorCode.MALFORMED);
  // An ephemeral key of all zeros agrees on the all-zero secret: refused, not used as a KEK.
  const zero = w.slice();
  zero.fill(0, 0, 32);
  await refused(() => unwrapKey(me, id(5), id(6), zero), SealErrorCode.MALFORMED);
});

test('hkdf32 is RFC 5869 HKDF-SHA256 with L = 32 (against @noble/hashes)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 80 }),
      fc.uint8Array({ maxLength: 80 }),
      fc.uint8Array(),
      (ikm, salt, info) => {
        assert.is(toHex(hkdf32(ikm, salt, info)), toHex(hkdf(sha256, ikm, salt, info, 32)));
      },
    ),
    { numRuns: 200 },
  );
});

test.run();
