/**
 * A permissioned node's allowlist follows the chain: configured peers plus the validator nodes the
 * chain names, replaced (and non-admitted peers disconnected, p2p/host.ts setAllowed) only when it
 * changes at a commit.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { utf8 } from '../../src/codec/bytes.js';
import { followChainPeers } from '../../src/node/chain-peers.js';
import { NS, validatorPeerKey } from '../../state/domain/keys.js';
import { encodeValidatorSet } from '../../state/domain/values.js';

const org = (n: number) => new Uint8Array(32).fill(n);
const key = (n: number) => new Uint8Array(32).fill(100 + n);

test('the allowlist is the configured peers plus the seated validators’ nodes, updated on change only', () => {
  const kv = new Map<string, Uint8Array>();
  const store = { get: (k: Uint8Array) => kv.get(Buffer.from(k).toString('hex')) };
  const put = (k: Uint8Array, v: Uint8Array) => kv.set(Buffer.from(k).toString('hex'), v);
  const del = (k: Uint8Array) => kv.delete(Buffer.from(k).toString('hex'));
  const seatWest = () => {
    put(
      NS.VALIDATOR_SET,
      encodeValidatorSet([
        [org(1), key(1), 1],
        [org(2), key(2), 1],
      ]),
    );
    put(validatorPeerKey(org(2)), utf8('12D3KooWWest'));
  };
  put(NS.VALIDATOR_SET, encodeValidatorSet([[org(1), key(1), 1]]));
  const calls: string[][] = [];
  const update = followChainPeers(['12D3KooWStatic'], { store }, { setAllowed: (ids) => calls.push([...ids]) });
  assert.equal(calls, [['12D3KooWStatic']]);
  update();
  assert.is(calls.length, 1, 'unchanged: no new allowlist, nobody disconnected');
  seatWest();
  update();
  assert.equal(calls.at(-1), ['12D3KooWStatic', '12D3KooWWest'], 'joined on chain: admitted without a restart');
  put(NS.VALIDATOR_SET, encodeValidatorSet([[org(1), key(1), 1]]));
  del(validatorPeerKey(org(2)));
  update();
  assert.equal(calls.at(-1), ['12D3KooWStatic'], 'removed: dropped (setAllowed disconnects it)');
});

test.run();
