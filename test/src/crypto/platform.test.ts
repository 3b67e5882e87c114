import * as ed from '@noble/ed25519';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../../src/codec/bytes.js';
import * as browser from '../../../src/crypto/platform/browser.js';
import * as node from '../../../src/crypto/platform/node.js';

// The two platform files must give the same bytes: a browser and a node read each other's
// signatures, ciphertexts, wrapped keys and keystores. noble runs in Node too, so both run here.

const runs = { numRuns: process.env.PROPERTY_RUNS ? Number(process.env.PROPERTY_RUNS) : 50 };
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

test('the node path is picked in Node', () => {
  assert.is(node.PLATFORM, 'node');
  assert.is(browser.PLATFORM, 'browser');
});

test('sha256 and HMAC-SHA256 agree', () => {
  fc.assert(
    fc.property(bytes(0, 300), bytes(0, 80), bytes(0, 40), (data, key, more) => {
      assert.is(toHex(node.sha256(data)), toHex(browser.sha256(data)));
      assert.is(toHex(node.hmacSha256(key, data, more)), toHex(browser.hmacSha256(key, data, more)));
    }),
    runs,
  );
});

test('ed25519 signatures are identical and each path accepts the other and refuses a flipped bit', () => {
  fc.assert(
    fc.property(b32, bytes(0, 200), fc.nat(511), (sk, msg, bit) => {
      const sig = node.ed25519Sign(msg, sk);
      assert.is(toHex(sig), toHex(browser.ed25519Sign(msg, sk)));
      const edPk = ed.getPublicKey(sk);
      assert.ok(node.ed25519Equation(sig, msg, edPk));
      assert.ok(browser.ed25519Equation(sig, msg, edPk));
      const bad = sig.slice();
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      assert.is(node.ed25519Equation(bad, msg, edPk), browser.ed25519Equation(bad, msg, edPk));
    }),
    { numRuns: Math.min(runs.numRuns, 20) },
  );
});

test('XChaCha20-Poly1305 seals the same bytes and both open each other', () => {
  fc.assert(
    fc.property(b32, fc.uint8Array({ minLength: 24, maxLength: 24 }), bytes(0, 40), bytes(0, 600), (k, n, ad, pt) => {
      const a = node.xchachaSeal(k, n, ad, pt);
      assert.is(toHex(a), toHex(browser.xchachaSeal(k, n, ad, pt)));
      assert.is(toHex(browser.xchachaOpen(k, n, ad, a) ?? new Uint8Array()), toHex(pt));
      const bad = a.slice();
      bad[0] = (bad[0] as number) ^ 1;
      assert.is(node.xchachaOpen(k, n, ad, bad), undefined);
      assert.is(browser.xchachaOpen(k, n, ad, bad), undefined);
    }),
    runs,
  );
});

test('X25519: the same public key from a scalar and one shared secret across paths', () => {
  fc.assert(
    fc.property(b32, (scalar) => {
      const a = node.x25519Secret(scalar);
      const b = browser.x25519Secret(scalar);
      assert.is(toHex(a.u), toHex(b.u));
      const eNode = node.x25519Ephemeral();
      const eBrowser = browser.x25519Ephemeral();
      assert.is(toHex(node.x25519Agree(eNode, a.u)), toHex(browser.x25519Agree(b, eNode.u)));
      assert.is(toHex(browser.x25519Agree(eBrowser, b.u, true)), toHex(node.x25519Agree(a, eBrowser.u, true)));
    }),
    { numRuns: Math.min(runs.numRuns, 20) },
  );
});

test('scrypt derives the same key (small cost)', async () => {
  const params = { N: 1024, r: 8, p: 1, dkLen: 32 };
  const pw = new TextEncoder().encode('correct horse');
  const salt = new Uint8Array(16).fill(7);
  assert.is(toHex(await node.scrypt(pw, salt, params)), toHex(await browser.scrypt(pw, salt, params)));
});

// RFC 7914 §12, the third vector: scrypt("pleaseletmein", "SodiumChloride", N=16384, r=8, p=1, 64).
test('scrypt matches RFC 7914 on both paths', async () => {
  const enc = new TextEncoder();
  const want =
    '7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887';
  const p = { N: 16384, r: 8, p: 1, dkLen: 64 };
  for (const impl of [node, browser])
    assert.is(toHex(await impl.scrypt(enc.encode('pleaseletmein'), enc.encode('SodiumChloride'), p)), want);
});

test.run();
