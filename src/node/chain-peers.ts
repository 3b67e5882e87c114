import { chainPeerIds } from '../../state/domain/validator-peers.js';

/**
 * A permissioned node admits its configured peers (config p2p.allowedPeers) and the validator
 * nodes the chain names (state/domain/validator-peers.ts): a hospital that joined on chain is
 * admitted without a restart, and a removed one is disconnected unless configured. Returns the
 * update to run after every commit; it replaces the allowlist only when it changed.
 */
export function followChainPeers(
  configured: readonly string[],
  chain: { readonly store: { get(k: Uint8Array): Uint8Array | undefined } },
  host: { setAllowed(peerIds: Iterable<string>): void },
): () => void {
  let last = '';
  const update = (): void => {
    const ids = [...new Set([...configured, ...chainPeerIds(chain.store)])].sort();
    const key = ids.join(',');
    if (key === last) return;
    last = key;
    host.setAllowed(ids);
  };
  update();
  return update;
}
