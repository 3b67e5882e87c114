import type { CommittedBlock } from '../../consensus/chain-executor.js';
import type { ChainState } from '../../state/chain.js';

/** What the RPC API needs from a node: narrow, so tests can pass fakes. */
export interface NodeApi {
  readonly chain: ChainState;
  readonly events: {
    on(event: 'committed', fn: (c: CommittedBlock) => void): unknown;
    off(event: 'committed', fn: (c: CommittedBlock) => void): unknown;
  };
  /** Admits a client transaction into the mempool (and gossips it); throws a coded TxError. */
  submitTx(bytes: Uint8Array): Promise<Uint8Array>;
  peers(): Array<{ peerId: string; height: number | null }>;
  syncing(): boolean;
  mempoolSize(): number;
}
