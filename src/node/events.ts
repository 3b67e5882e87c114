import { EventEmitter } from 'node:events';
import type { CommittedBlock } from '../../consensus/chain-executor.js';

/** Node-level events for RPC subscriptions and custodians: emitted after a block is durable. */
export class NodeEvents extends EventEmitter<{ committed: [CommittedBlock]; fatal: [string] }> {
  emitCommitted(c: CommittedBlock): void {
    this.emit('committed', c);
  }

  /** The node cannot go on (its disk is full): the process should close it and exit. */
  emitFatal(reason: string): void {
    this.emit('fatal', reason);
  }
}
