/** The validator set is chain data (light clients count certificates with it): defined in src/chain. */
export { ValidatorSet } from '../../src/chain/validator-set.js';
