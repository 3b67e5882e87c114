/**
 * Every validator set the chain has used, stored by its hash ('M' "valset/" + validatorsHash ->
 * encoded set), so a light client can check an old block's commit certificate against the set that
 * signed it (the set its header names), not the current one. Written with the commit that makes a
 * new set the next one; never part of consensus.
 */
import { type Validator, validatorsHash } from '../src/chain/validators.js';
import { equal, utf8 } from '../src/codec/bytes.js';
import { asArray, asBytes, asTuple, asUint, decodeCanonical, encode } from '../src/codec/cbor.js';
import { type BatchOp, type Db, dbKey, Prefix } from './store/db.js';

const NAME = utf8('valset/');
/** Far above any set the genesis limit allows (each entry is ~75 bytes). */
const MAX_SET_BYTES = 1 << 20;

const key = (hash: Uint8Array): Uint8Array => dbKey(Prefix.META, NAME, hash);

export const validatorSetOp = (set: readonly Validator[]): BatchOp => ({
  type: 'put',
  key: key(validatorsHash(set)),
  value: encode(set.map((v) => [v.id, v.pubkey, v.power])),
});

export function hasValidatorSet(db: Db, hash: Uint8Array): boolean {
  return db.getSync(key(hash)) !== undefined;
}

/** The set whose hash is `hash`, or undefined when this node never held it (a snapshot join's earlier sets). */
export async function readValidatorSet(db: Db, hash: Uint8Array): Promise<Validator[] | undefined> {
  const bytes = await db.get(key(hash));
  if (bytes === undefined) return undefined;
  const set = asArray(decodeCanonical(bytes, MAX_SET_BYTES), 'valset', MAX_SET_BYTES).map((e) => {
    const [id, pubkey, power] = asTuple(e, 3, 'valset.entry');
    return {
      id: asBytes(id, 'valset.id', 32),
      pubkey: asBytes(pubkey, 'valset.pubkey', 32),
      power: asUint(power, 'valset.power'),
    };
  });
  // The key is the content's hash: a stored set that no longer hashes to it is corrupt, not an answer.
  return equal(validatorsHash(set), hash) ? set : undefined;
}
