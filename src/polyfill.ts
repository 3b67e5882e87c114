/**
 * Node 20's V8 lacks `Promise.withResolvers`, which libp2p 3 (it-queue,
 * mortice, yamux, ping) calls unguarded (docs/ARCHITECTURE.md, platform facts). Every entry point
 * imports this module first; it installs the shim only when missing, so
 * Node 22+ keeps its native implementation.
 */
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(): PromiseWithResolvers<T> {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
