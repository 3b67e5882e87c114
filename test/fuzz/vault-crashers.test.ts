/**
 * Crashers the fuzzer found in the vault's decoders, kept as regressions: both
 * accepted a non-minimal CBOR array head (0x98 0x02 for 0x82), so one request
 * or keys body had several encodings.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { vaultKeysSeeds, vaultRequestSeeds } from '../../bench/fuzz/seeds.js';
import { decodeRequest, VaultErrorCode } from '../../src/client/vault/protocol.js';
import { isCoded } from '../../src/errors.js';
import { parseWraps } from '../../src/vault/service.js';

/** The same CBOR with its first array head (0x80 | n, n < 24) written in the non-minimal two-byte form. */
function nonMinimalHead(x: Uint8Array): Uint8Array {
  const first = x[0] as number;
  assert.is(first >> 5, 4, 'starts with a short array head');
  return Uint8Array.from([0x98, first & 0x1f, ...x.subarray(1)]);
}

const rejects = (fn: () => unknown): void => {
  try {
    fn();
  } catch (err) {
    assert.ok(isCoded(err, VaultErrorCode.BAD_REQUEST), String(err));
    return;
  }
  assert.unreachable('accepted a non-canonical encoding');
};

test('vault request header with a non-minimal array head is VAULT_BAD_REQUEST (fuzz vault-request seed 1 #15545)', () => {
  const good = vaultRequestSeeds()[2] as Uint8Array;
  decodeRequest(good);
  rejects(() => decodeRequest(nonMinimalHead(good)));
});

test('vault keys body with a non-minimal array head is VAULT_BAD_REQUEST (fuzz vault-keys seed 1 #11238)', () => {
  const good = vaultKeysSeeds()[1] as Uint8Array;
  assert.is(parseWraps(good).length, 3);
  rejects(() => parseWraps(nonMinimalHead(good)));
});

test.run();
