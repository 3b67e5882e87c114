import type { Socket } from 'node:net';

/** Counts requests being processed, so close() waits for them (with a bound) instead of sleeping. */
export class Inflight {
  private n = 0;
  private waiters: (() => void)[] = [];

  get count(): number {
    return this.n;
  }

  inc(): void {
    this.n++;
  }

  dec(): void {
    if (--this.n > 0) return;
    this.n = 0;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves true once nothing is in flight, false if `ms` pass first. */
  drained(ms: number): Promise<boolean> {
    if (this.n === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

/**
 * Soft connection limit: sockets beyond `max` are marked, and their first request (or WS upgrade)
 * gets a 503 JSON-RPC error and `Connection: close`, so the client learns why.
 */
export class ConnectionGate {
  private open = 0;
  private readonly over = new WeakSet<Socket>();

  constructor(private readonly max: number) {}

  readonly onConnection = (socket: Socket): void => {
    this.open++;
    if (this.open > this.max) this.over.add(socket);
    socket.once('close', this.onClose);
  };

  private readonly onClose = (): void => {
    this.open--;
  };

  isOver(socket: Socket): boolean {
    return this.over.has(socket);
  }

  get count(): number {
    return this.open;
  }
}
