import { createPublicKey, verify as opensslVerify } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { concat, fromHex, toHex, utf8 } from '../../../src/codec/bytes.js';
import {
  CryptoErrorCode,
  isCanonicalPointEncoding,
  isValidPublicKey,
  publicKeyOf,
  randomSecretKey,
  SMALL_ORDER_ENCODINGS,
  sign,
  signFast,
  verify,
  verifyNoble,
} from '../../../src/crypto/ed25519.js';
import { isCoded } from '../../../src/errors.js';

const { Point } = ed;
type Pt = InstanceType<typeof Point>;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;

// ---- helpers to craft signatures outside the library ----

const le = (b: Uint8Array): bigint => {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i] as number);
  return n;
};
const le32 = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
};
const challenge = (R: Uint8Array, A: Uint8Array, M: Uint8Array): bigint => le(sha512(concat(R, A, M))) % L;

/** Raw OpenSSL, without our byte checks: what a node using only node:crypto would accept. */
function openssl(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pk).toString('base64url') },
    format: 'jwk',
  });
  return opensslVerify(null, msg, key, sig);
}
const nobleZip215 = (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean => {
  try {
    return ed.verify(sig, msg, pk);
  } catch {
    return false;
  }
};
const nobleStrict = (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean => {
  try {
    return ed.verify(sig, msg, pk, { zip215: false });
  } catch {
    return false;
  }
};
const both = (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): [boolean, boolean] => [
  verify(sig, msg, pk),
  verifyNoble(sig, msg, pk),
];

/** A generator of the 8-torsion subgroup, found independently of SMALL_ORDER_ENCODINGS: [L]P for curve points P. */
function torsionGenerator(): Pt {
  for (let y = 2n; ; y++) {
    let p: Pt;
    try {
      p = Point.fromBytes(le32(y));
    } catch {
      continue;
    }
    const q = p
      .multiply(L / 2n, false)
      .double()
      .add(p); // [L]P
    if (!q.double().double().is0()) return q; // order 8
  }
}
const T8 = torsionGenerator();
const torsion = Array.from({ length: 8 }, (_, i) => (i === 0 ? Point.ZERO : T8.multiply(BigInt(i), false)));

const signer = (() => {
  const sk = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
  const { scalar, pointBytes } = ed.utils.getExtendedPublicKey(sk);
  return { sk, a: scalar, A: pointBytes };
})();

// ---- RFC 8032 §7.1 ----

const MSG_1024 =
  '08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1' +
  'e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d' +
  '658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a' +
  '7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e' +
  '06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10' +
  '3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1' +
  '85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d' +
  '502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270' +
  '88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b' +
  'eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba' +
  'b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b' +
  'e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7' +
  '51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d' +
  'cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df' +
  'f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7' +
  '984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4' +
  '88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09' +
  '43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f' +
  'b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161' +
  '0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d' +
  'b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca' +
  'c60c905c15fc910840b94c00a0b9d0';

const RFC8032 = [
  {
    name: 'TEST 1',
    sk: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pk: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    sk: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    sk: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pk: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST 1024',
    sk: 'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5',
    pk: '278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e',
    msg: MSG_1024,
    sig: '0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03',
  },
  {
    name: 'TEST SHA(abc)',
    sk: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    pk: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    msg: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    sig: 'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
];

for (const v of RFC8032) {
  test(`RFC 8032 ${v.name}: key, signature, both verify paths`, () => {
    const sk = fromHex(v.sk);
    const pk = fromHex(v.pk);
    const msg = fromHex(v.msg);
    const sig = fromHex(v.sig);
    assert.is(toHex(publicKeyOf(sk)), v.pk);
    assert.is(toHex(sign(msg, sk)), v.sig);
    assert.is(toHex(signFast(msg, sk)), v.sig);
    assert.equal(both(sig, msg, pk), [true, true]);
    assert.ok(isValidPublicKey(pk));
  });
}

test('TEST 1024 message is 1023 bytes', () => {
  assert.is(fromHex(MSG_1024).length, 1023);
});

test('signFast gives the same bytes as sign', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (sk, msg) => {
      assert.is(toHex(signFast(msg, sk)), toHex(sign(msg, sk)));
    }),
    { numRuns: 100 },
  );
});

test('sign rejects a secret key of the wrong length with CRYPTO_SECRET_KEY_LENGTH', () => {
  for (const f of [sign, signFast]) {
    try {
      f(new Uint8Array(1), new Uint8Array(31));
      assert.unreachable('should throw');
    } catch (err) {
      assert.ok(isCoded(err, CryptoErrorCode.SECRET_KEY_LENGTH));
    }
  }
});

// ---- small-order points ----

test('SMALL_ORDER_ENCODINGS is exactly the 8-torsion subgroup', () => {
  const derived = torsion.map((p) => toHex(p.toBytes())).sort();
  assert.equal(SMALL_ORDER_ENCODINGS.map(toHex).sort(), derived);
  assert.is(new Set(derived).size, 8);
});

/** R = [S]B with a message ground until [k]A = 0, so [S]B == R + [k]A holds for small-order A. */
function forgeForSmallOrder(pk: Uint8Array): { sig: Uint8Array; msg: Uint8Array } {
  const A = Point.fromBytes(pk, true); // lenient decode: also takes non-canonical encodings
  const S = 123456789n;
  const R = Point.BASE.multiply(S).toBytes();
  for (let i = 0; ; i++) {
    const msg = utf8(`forged ${i}`);
    if (A.multiply(challenge(R, pk, msg), false).is0()) return { sig: concat(R, le32(S)), msg };
  }
}

// OpenSSL's answer on these forgeries depends on its version (3.0 in Node 20 accepts them, 3.5 in
// Node 24 rejects some): the tests hold our rule to rejecting them, whatever OpenSSL says.
test('small-order A: noble zip215 accepts a forgery, both our paths reject', () => {
  for (const pk of SMALL_ORDER_ENCODINGS) {
    const { sig, msg } = forgeForSmallOrder(pk);
    assert.ok(nobleZip215(sig, msg, pk));
    assert.equal(both(sig, msg, pk), [false, false]);
    assert.not.ok(isValidPublicKey(pk));
  }
});

// Non-canonical encodings of small-order points: y = p, y = p + 1, and x = 0 with the sign bit.
const NON_CANONICAL_SMALL = [
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p ≡ 0
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p + 1 ≡ 1
  '0100000000000000000000000000000000000000000000000000000000000080', // y = 1, sign bit
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', // y = p - 1, sign bit
].map(fromHex);

test('non-canonical A: a forgery is rejected by both our paths', () => {
  for (const pk of NON_CANONICAL_SMALL) {
    assert.not.ok(isCanonicalPointEncoding(pk));
    const { sig, msg } = forgeForSmallOrder(pk);
    assert.equal(both(sig, msg, pk), [false, false]);
    assert.not.ok(isValidPublicKey(pk));
  }
});

test('non-canonical A of a large-order point (y + p, y < 19) is rejected everywhere', () => {
  let found = 0;
  const { msg, sig } = { msg: utf8('m'), sig: sign(utf8('m'), signer.sk) };
  for (let y = 2n; y < 19n; y++) {
    let point: Pt;
    try {
      point = Point.fromBytes(le32(y));
    } catch {
      continue;
    }
    if (point.isSmallOrder()) continue;
    found++;
    const nonCanonical = le32(y + P);
    assert.ok(Point.fromBytes(nonCanonical, true).equals(point)); // same point, second encoding
    assert.not.ok(isCanonicalPointEncoding(nonCanonical));
    assert.not.ok(isValidPublicKey(nonCanonical));
    assert.equal(both(sig, msg, nonCanonical), [false, false]);
  }
  assert.ok(found > 0);
});

// ---- R and S ----

/** A valid signature with R = identity: S = k·a, so [S]B = [k]A = R + [k]A. */
function identityRSignature(R: Uint8Array, msg: Uint8Array): Uint8Array {
  const k = challenge(R, signer.A, msg);
  return concat(R, le32((k * signer.a) % L));
}

test('small-order R (the identity): noble zip215 accepts, both our paths reject on every OpenSSL', () => {
  const msg = utf8('non-canonical R');
  const canonical = identityRSignature(fromHex('01'.padEnd(64, '0')), msg);
  assert.ok(nobleZip215(canonical, msg, signer.A), 'the construction satisfies the equation');
  assert.equal(both(canonical, msg, signer.A), [false, false]);
});

test('non-canonical R: lenient noble accepts, both our paths reject', () => {
  const msg = utf8('non-canonical R');
  for (const R of NON_CANONICAL_SMALL.slice(1, 3)) {
    const sig = identityRSignature(R, msg);
    assert.ok(nobleZip215(sig, msg, signer.A), 'zip215 decodes R leniently');
    assert.not.ok(openssl(sig, msg, signer.A));
    assert.equal(both(sig, msg, signer.A), [false, false]);
  }
});

test('S >= L is rejected by both paths (S + L, S = L, S = 2^256 - 1)', () => {
  const msg = utf8('malleable');
  const sig = sign(msg, signer.sk);
  const S = le(sig.subarray(32));
  for (const bad of [S + L, L, 2n ** 256n - 1n]) {
    const forged = concat(sig.subarray(0, 32), le32(bad));
    assert.equal(both(forged, msg, signer.A), [false, false]);
    assert.not.ok(openssl(forged, msg, signer.A));
  }
});

test('R with a torsion component: cofactored noble accepts, OpenSSL and both our paths reject', () => {
  const msg = utf8('mixed-order R');
  const r = 1122334455667788n;
  const R = Point.BASE.multiply(r).add(T8).toBytes();
  const k = challenge(R, signer.A, msg);
  const sig = concat(R, le32((r + k * signer.a) % L));
  assert.ok(nobleStrict(sig, msg, signer.A), 'noble {zip215:false} is cofactored');
  assert.ok(nobleZip215(sig, msg, signer.A));
  assert.not.ok(openssl(sig, msg, signer.A));
  assert.equal(both(sig, msg, signer.A), [false, false]);
});

// ---- keys entering state ----

test('mixed-order key: isValidPublicKey rejects it; both paths agree (accept iff 8 | k)', () => {
  const Amixed = Point.BASE.multiply(signer.a).add(T8).toBytes();
  assert.ok(isCanonicalPointEncoding(Amixed));
  assert.not.ok(isValidPublicKey(Amixed));
  const r = 99887766n;
  const R = Point.BASE.multiply(r).toBytes();
  const seen = new Set<boolean>();
  for (let i = 0; seen.size < 2; i++) {
    const msg = utf8(`mixed key ${i}`);
    const k = challenge(R, Amixed, msg);
    const sig = concat(R, le32((r + k * signer.a) % L));
    const expected = k % 8n === 0n;
    assert.equal(both(sig, msg, Amixed), [expected, expected]);
    assert.is(openssl(sig, msg, Amixed), expected);
    seen.add(expected);
  }
});

test('isValidPublicKey rejects wrong lengths, off-curve points and non-Uint8Array input', () => {
  assert.not.ok(isValidPublicKey(new Uint8Array(31)));
  assert.not.ok(isValidPublicKey(new Uint8Array(33)));
  assert.not.ok(isValidPublicKey('00' as unknown as Uint8Array));
  let offCurve = 0;
  for (let y = 2n; y < 40n; y++) {
    try {
      Point.fromBytes(le32(y));
    } catch {
      offCurve++;
      assert.not.ok(isValidPublicKey(le32(y)));
    }
  }
  assert.ok(offCurve > 0);
});

test('isValidPublicKey accepts generated keys', () => {
  for (let i = 0; i < 20; i++) assert.ok(isValidPublicKey(publicKeyOf(randomSecretKey())));
});

// ---- agreement properties ----

const keys = Array.from({ length: 8 }, () => {
  const sk = randomSecretKey();
  return { sk, pk: publicKeyOf(sk) };
});

test('both paths accept valid signatures on random keys and messages', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 200 }), (sk, msg) => {
      const sig = signFast(msg, sk);
      assert.equal(both(sig, msg, publicKeyOf(sk)), [true, true]);
    }),
    { numRuns: 60 },
  );
});

test('both paths agree on random bit flips of signatures, keys and messages', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: keys.length - 1 }),
      fc.uint8Array({ minLength: 1, maxLength: 100 }),
      fc.constantFrom('sig', 'pk', 'msg'),
      fc.nat(),
      (ki, msg, where, bit) => {
        const { sk, pk } = keys[ki] as { sk: Uint8Array; pk: Uint8Array };
        const sig = signFast(msg, sk);
        const target = where === 'sig' ? sig.slice() : where === 'pk' ? pk.slice() : msg.slice();
        const b = bit % (target.length * 8);
        target[b >> 3] = (target[b >> 3] as number) ^ (1 << (b & 7));
        const args: [Uint8Array, Uint8Array, Uint8Array] =
          where === 'sig' ? [target, msg, pk] : where === 'pk' ? [sig, msg, target] : [sig, target, pk];
        const [fast, noble] = both(...args);
        assert.is(fast, noble);
        assert.not.ok(fast);
      },
    ),
    { numRuns: 150 },
  );
});

test('both paths agree (and reject) on random garbage without throwing', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 60, maxLength: 68 }),
      fc.uint8Array({ minLength: 30, maxLength: 34 }),
      fc.uint8Array({ maxLength: 50 }),
      (sig, pk, msg) => {
        const [fast, noble] = both(sig, msg, pk);
        assert.is(fast, noble);
        assert.not.ok(fast);
      },
    ),
    { numRuns: 150 },
  );
  const junk = [undefined, null, 'x', 42, {}, [1, 2]] as unknown as Uint8Array[];
  for (const j of junk) {
    assert.equal(both(j, utf8('m'), keys[0]?.pk as Uint8Array), [false, false]);
    assert.equal(both(new Uint8Array(64), j, keys[0]?.pk as Uint8Array), [false, false]);
    assert.equal(both(new Uint8Array(64), utf8('m'), j), [false, false]);
  }
});

test.run();
