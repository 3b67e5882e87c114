import { isCoded, MedchainError } from '../errors.js';

export const NodeErrorCode = {
  /** One or more subsystems failed to close; every other one was still closed. */
  CLOSE_FAILED: 'NODE_CLOSE_FAILED',
} as const;

/** The closes that failed, by module, in the order they ran; `errors` holds the causes. */
export class NodeCloseError extends MedchainError<typeof NodeErrorCode.CLOSE_FAILED> {
  constructor(
    readonly errors: readonly unknown[],
    modules: readonly string[],
  ) {
    super(NodeErrorCode.CLOSE_FAILED, { modules: modules.join(','), causes: errors.map(codeOf).join(',') });
  }
}

const codeOf = (err: unknown): string =>
  isCoded(err) ? err.code : err instanceof Error ? ((err as { code?: string }).code ?? err.name) : 'unknown';

/**
 * The node's resources, each registered by the code that created it, as soon
 * as it exists (lodestar's BeaconNode.init): closing runs them last-created
 * first, every one of them even when an earlier one throws, so one failing
 * close never leaves LevelDB or a listener open. A start that fails half-way
 * closes exactly what was opened.
 */
export class Closers {
  private readonly stack: Array<{ module: string; close: () => unknown }> = [];

  add(module: string, close: () => unknown): void {
    this.stack.push({ module, close });
  }

  /** Closes everything registered, in reverse; rejects with NODE_CLOSE_FAILED if any close failed. */
  async closeAll(): Promise<void> {
    const errors: unknown[] = [];
    const modules: string[] = [];
    for (let c = this.stack.pop(); c !== undefined; c = this.stack.pop()) {
      try {
        await c.close();
      } catch (err) {
        errors.push(err);
        modules.push(c.module);
      }
    }
    if (errors.length > 0) throw new NodeCloseError(errors, modules);
  }
}
