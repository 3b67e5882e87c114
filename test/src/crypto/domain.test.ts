import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromUtf8, toHex, utf8 } from '../../../src/codec/bytes.js';
import { MAX_CHAIN_ID_BYTES, SignPurpose, signingMessage } from '../../../src/crypto/domain.js';
import { CryptoErrorCode, publicKeyOf, randomSecretKey, signFast, verify } from '../../../src/crypto/ed25519.js';
import { isCoded } from '../../../src/errors.js';

const purposes = Object.values(SignPurpose);
const sk = randomSecretKey();
const pk = publicKeyOf(sk);

/** Reference parser: if it recovers every field, the encoding is injective. */
function parse(msg: Uint8Array): { purpose: string; chainId: string; payload: Uint8Array } {
  const zero = msg.indexOf(0);
  const tag = fromUtf8(msg.subarray(0, zero));
  assert.ok(tag.startsWith('medchain/v1/'));
  const len = msg[zero + 1] as number;
  return {
    purpose: tag.slice('medchain/v1/'.length),
    chainId: fromUtf8(msg.subarray(zero + 2, zero + 2 + len)),
    payload: msg.subarray(zero + 2 + len),
  };
}

test('layout is utf8("medchain/v1/<purpose>") || 0x00 || u8 len || chainId || payload', () => {
  const m = signingMessage(SignPurpose.VOTE, 'c1', Uint8Array.of(0xaa));
  assert.is(toHex(m), `${toHex(utf8('medchain/v1/vote'))}0002${toHex(utf8('c1'))}aa`);
});

test('the message parses back to exactly its purpose, chain id and payload', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...purposes),
      fc.string({ minLength: 1, maxLength: 60 }),
      fc.uint8Array({ maxLength: 64 }),
      (purpose, chainId, payload) => {
        const p = parse(signingMessage(purpose, chainId, payload));
        assert.is(p.purpose, purpose);
        assert.is(p.chainId, chainId);
        assert.is(toHex(p.payload), toHex(payload));
      },
    ),
  );
});

test('a signature for one purpose does not verify for any other purpose', () => {
  const payload = utf8('same payload');
  for (const a of purposes) {
    const sig = signFast(signingMessage(a, 'medchain-test', payload), sk);
    for (const b of purposes) assert.is(verify(sig, signingMessage(b, 'medchain-test', payload), pk), a === b);
  }
});

test('a signature on one chain does not verify on another', () => {
  const payload = utf8('same payload');
  const sig = signFast(signingMessage(SignPurpose.TX, 'medchain-a', payload), sk);
  assert.ok(verify(sig, signingMessage(SignPurpose.TX, 'medchain-a', payload), pk));
  assert.not.ok(verify(sig, signingMessage(SignPurpose.TX, 'medchain-b', payload), pk));
  // a chain id that is a prefix of the other, payload shifted to compensate
  const sig2 = signFast(signingMessage(SignPurpose.TX, 'ab', utf8('c')), sk);
  assert.not.ok(verify(sig2, signingMessage(SignPurpose.TX, 'a', utf8('bc')), pk));
});

test('rejects an unknown purpose with CRYPTO_UNKNOWN_PURPOSE', () => {
  try {
    signingMessage('transfer' as SignPurpose, 'c', new Uint8Array());
    assert.unreachable('should throw');
  } catch (err) {
    assert.ok(isCoded(err, CryptoErrorCode.UNKNOWN_PURPOSE));
  }
});

test('rejects an empty or over-long chain id with CRYPTO_CHAIN_ID_LENGTH', () => {
  for (const chainId of ['', 'x'.repeat(MAX_CHAIN_ID_BYTES + 1), 'é'.repeat(128)]) {
    try {
      signingMessage(SignPurpose.TX, chainId, new Uint8Array());
      assert.unreachable('should throw');
    } catch (err) {
      assert.ok(isCoded(err, CryptoErrorCode.CHAIN_ID_LENGTH));
    }
  }
  assert.is(parse(signingMessage(SignPurpose.TX, 'x'.repeat(255), new Uint8Array())).chainId.length, 255);
});

test.run();
