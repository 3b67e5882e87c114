import { EventEmitter } from 'node:events';
import type { CommittedBlock } from '../../consensus/chain-executor.js';

/** Node-level events for RPC subscriptions and custodians: emitted after a block is durable. */
export class NodeEvents extends EventEmitter<{ committed: [CommittedBlock] }> {
  emitCommitted(c: CommittedBlock): void {
    this.emit('committed', c);
  }
}
