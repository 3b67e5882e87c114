/**
 * submit + waitFinal for tests on a loaded machine: a dropped loopback connection (TransportError)
 * is retried; a resubmitted tx the node already has is fine (the hash is what we wait for).
 */
import { hex, type MedchainClient, TransportError } from '../../src/client/client.js';

export async function sendRetry(
  client: MedchainClient,
  tx: { bytes: Uint8Array; hash: Uint8Array },
  timeoutMs = 60_000,
) {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.submit(tx);
      break;
    } catch (err) {
      if (!(err instanceof TransportError)) {
        // Already in the mempool or on chain after a dropped reply: wait for it below.
        if (attempt > 0) break;
        throw err;
      }
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
    }
  }
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.waitFinal(hex(tx.hash), timeoutMs);
    } catch (err) {
      if (!(err instanceof TransportError) || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
    }
  }
}
