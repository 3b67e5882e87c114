/**
 * SIGINT/SIGTERM close gracefully; a second signal forces exit
 * (lodestar's onGracefulShutdown).
 */
export function onShutdown(
  close: () => Promise<void>,
  log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`),
): (reason: string) => void {
  let closing = false;
  const handler = (signal: string): void => {
    if (closing) {
      log(`${signal} again: forcing exit`);
      process.exit(1);
    }
    closing = true;
    log(`${signal}: shutting down (again to force)`);
    close().then(
      () => process.exit(0),
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
