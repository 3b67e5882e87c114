import { BLOCK_MAX_BYTES } from '../../src/chain/block.js';
import type { Validator } from '../../src/chain/validators.js';
import { asArray, asBytes, asTuple, asUint, decodeCanonical, encode } from '../../src/codec/cbor.js';
import { MedchainError } from '../../src/errors.js';
import { SnapshotErrorCode } from './chunk.js';

/**
 * What a server offers: the committed block at `height` (its header holds the
 * state root), its commit certificate and the validator set that signed it
 * (encoded as in validatorsHash). The client checks all three before asking
 * for a single chunk.
 */
export interface SnapshotManifest {
  height: number;
  block: Uint8Array;
  cert: Uint8Array;
  validators: Uint8Array;
}

const MAX_VALIDATORS = 1024;
export const MAX_MANIFEST_BYTES = BLOCK_MAX_BYTES + 512 * 1024;

export const encodeManifest = (m: SnapshotManifest): Uint8Array => encode([m.height, m.block, m.cert, m.validators]);

export function decodeManifest(bytes: Uint8Array): SnapshotManifest {
  try {
    const [h, b, c, v] = asTuple(decodeCanonical(bytes, MAX_MANIFEST_BYTES), 4, 'manifest');
    return {
      height: asUint(h, 'manifest.height'),
      block: asBytes(b, 'manifest.block', undefined, BLOCK_MAX_BYTES),
      cert: asBytes(c, 'manifest.cert', undefined, 256 * 1024),
      validators: asBytes(v, 'manifest.validators', undefined, 256 * 1024),
    };
  } catch {
    throw new MedchainError(SnapshotErrorCode.BAD_MANIFEST, { reason: 'malformed' });
  }
}

/** The inverse of encodeValidators, bounded. */
export function decodeValidators(bytes: Uint8Array): Validator[] {
  try {
    return asArray(decodeCanonical(bytes, 256 * 1024), 'validators', MAX_VALIDATORS).map((x) => {
      const [id, pubkey, power] = asTuple(x, 3, 'validator');
      return {
        id: asBytes(id, 'validator.id', undefined, 64),
        pubkey: asBytes(pubkey, 'validator.pubkey', 32),
        power: asUint(power, 'validator.power'),
      };
    });
  } catch {
    throw new MedchainError(SnapshotErrorCode.BAD_MANIFEST, { reason: 'validators' });
  }
}
