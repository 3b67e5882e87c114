/** Exit status of a node that stopped because its disk is full (EX_IOERR). */
export const EXIT_DISK_FULL = 74;

/**
 * SIGINT/SIGTERM close gracefully; a second signal forces exit
 * (lodestar's onGracefulShutdown). The returned function starts the same
 * shutdown for another reason, exiting with `code` once closed.
 */
export function onShutdown(
  close: () => Promise<void>,
  log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`),
): (reason: string, code?: number) => void {
  let closing = false;
  const handler = (signal: string, code = 0): void => {
    if (closing) {
      log(`${signal} again: forcing exit`);
      process.exit(1);
    }
    closing = true;
    log(`${signal}: shutting down (again to force)`);
    close().then(
      () => process.exit(code),
      (err: unknown) => {
        log(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
  return handler;
}
