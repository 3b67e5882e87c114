import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromHex, toHex, utf8 } from '../../../src/codec/bytes.js';
import { AeadErrorCode, hchacha20, xchachaOpen, xchachaSeal } from '../../../src/crypto/aead.js';
import { isCoded } from '../../../src/errors.js';

const seq = (from: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => from + i);

test('HChaCha20 matches draft-irtf-cfrg-xchacha-03 §2.2.1', () => {
  const nonce = fromHex('000000090000004a0000000031415927');
  assert.is(toHex(hchacha20(seq(0, 32), nonce)), '82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc');
});

test('XChaCha20-Poly1305 matches draft-irtf-cfrg-xchacha-03 §A.3.1', () => {
  const plain = utf8(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const ad = fromHex('50515253c0c1c2c3c4c5c6c7');
  const key = seq(0x80, 32);
  const nonce = seq(0x40, 24);
  const sealed = xchachaSeal(key, nonce, ad, plain);
  assert.is(
    toHex(sealed),
    'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
      'c0875924c1c7987947deafd8780acf49',
  );
  assert.equal(xchachaOpen(key, nonce, ad, sealed), plain);
});

test('seal and open give the bytes of @noble/ciphers xchacha20poly1305 (any key, nonce, ad, length)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 24, maxLength: 24 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 700 }),
      (key, nonce, ad, plain) => {
        const ours = xchachaSeal(key, nonce, ad, plain);
        assert.is(toHex(ours), toHex(xchacha20poly1305(key, nonce, ad).encrypt(plain)));
        assert.is(toHex(xchachaOpen(key, nonce, ad, ours)), toHex(plain));
      },
    ),
    { numRuns: 300 },
  );
});

test('open refuses AEAD_AUTH_FAILED for any flipped bit, another key, nonce or ad', () => {
  const key = seq(1, 32);
  const nonce = seq(9, 24);
  const ad = utf8('ad');
  const sealed = xchachaSeal(key, nonce, ad, utf8('hello record'));
  const fails = (f: () => unknown): void => {
    try {
      f();
      assert.unreachable('opened');
    } catch (e) {
      assert.ok(isCoded(e, AeadErrorCode.AUTH_FAILED), String(e));
    }
  };
  for (let i = 0; i < sealed.length * 8; i += 7) {
    const bad = sealed.slice();
    bad[i >> 3] = (bad[i >> 3] as number) ^ (1 << (i & 7));
    fails(() => xchachaOpen(key, nonce, ad, bad));
  }
  fails(() => xchachaOpen(seq(2, 32), nonce, ad, sealed));
  fails(() => xchachaOpen(key, seq(10, 24), ad, sealed));
  fails(() => xchachaOpen(key, nonce, utf8('ae'), sealed));
});

test('wrong key or nonce length, or a sealed text shorter than the tag: AEAD_BAD_LENGTH', () => {
  for (const f of [
    () => xchachaSeal(seq(0, 31), seq(0, 24), utf8(''), utf8('x')),
    () => xchachaSeal(seq(0, 32), seq(0, 12), utf8(''), utf8('x')),
    () => xchachaOpen(seq(0, 32), seq(0, 24), utf8(''), seq(0, 15)),
  ]) {
    try {
      f();
      assert.unreachable('accepted');
    } catch (e) {
      assert.ok(isCoded(e, AeadErrorCode.BAD_LENGTH), String(e));
    }
  }
});

test.run();
