/**
 * Follows finalized erasures over the node's WebSocket `events` subscription and shreds; on every
 * (re)connect it first reconciles stored records against the chain, so an erasure finalized while
 * the vault was away is not missed. While connected it re-checks deletion attestations every
 * minute, so an attestation tx that expired in the mempool is re-submitted without a restart.
 */

import { MedchainClient } from '../client/client.js';
import { from0x } from '../codec/bytes.js';
import type { VaultLogger, VaultService } from './service.js';

const ATTEST_EVERY_MS = 60_000;

/** `ready`: the first reconcile is done (or the follower stopped); `done`: the loop has ended. */
export function followErasures(
  service: VaultService,
  rpcUrl: string,
  log: VaultLogger,
  signal: AbortSignal,
  token?: string,
): { ready: Promise<void>; done: Promise<void> } {
  let ready: () => void = () => {};
  const first = new Promise<void>((r) => {
    ready = r;
  });
  const run = async (): Promise<void> => {
    let backoff = 200;
    while (!signal.aborted) {
      let client: MedchainClient | undefined;
      try {
        client = await MedchainClient.ws(rpcUrl, token === undefined ? {} : { token });
        let queue = Promise.resolve();
        await client.subscribe('events', { type: 'record.erased' }, (e) => {
          const ev = e as { attrs: { record: string }; txHash: string; height: number };
          queue = queue
            .then(() => service.shred(from0x(ev.attrs.record), ev.txHash, ev.height))
            .then(() => undefined)
            .catch((err) => log.warn({ err: String(err) }, 'shred failed'));
        });
        const n = await service.reconcile();
        if (n > 0) log.info({ shredded: n }, 'reconciled erasures');
        ready();
        backoff = 200;
        // Stay until the socket closes or we are told to stop.
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearInterval(t);
            clearInterval(a);
            signal.removeEventListener('abort', done);
            resolve();
          };
          const t = setInterval(() => {
            client?.status().catch(done);
          }, 2_000);
          const a = setInterval(() => {
            if (signal.aborted) return;
            service.attestPending().catch((err) => log.warn({ err: String(err) }, 'attestation check failed'));
            service.collectUnanchored().catch((err) => log.warn({ err: String(err) }, 'blob collection failed'));
            service.purgeNonces().catch((err) => log.warn({ err: String(err) }, 'nonce purge failed'));
          }, ATTEST_EVERY_MS);
          signal.addEventListener('abort', done, { once: true });
        });
      } catch (err) {
        log.warn({ err: String(err) }, 'erasure follower disconnected');
      } finally {
        await client?.close().catch(() => undefined);
      }
      if (signal.aborted) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, backoff);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            r();
          },
          { once: true },
        );
      });
      backoff = Math.min(backoff * 2, 5_000);
    }
    ready();
  };
  return { ready: first, done: run() };
}
