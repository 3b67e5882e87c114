/**
 * uvu 0.5 swallows an error thrown by a `before` hook: the suite's tests are then not run, with no
 * message and exit code 0 (only "Passed" < "Total" in the summary), so a devnet that did not start
 * on a loaded machine reads as an unnamed failure. `loud` names the hook's error on stderr and
 * fails the process.
 */
export function loud<C>(suite: string, fn: (ctx: C) => unknown): (ctx: C) => Promise<void> {
  return async (ctx) => {
    try {
      await fn(ctx);
    } catch (err) {
      process.stderr.write(
        `\n  FAIL  ${suite}: before hook: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
      throw err;
    }
  };
}
