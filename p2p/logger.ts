/** The logging this layer needs; a pino logger (`logger.child({module: 'p2p'})`) satisfies it. */
export interface P2pLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const noop = (): void => {};
export const silentLogger: P2pLogger = { debug: noop, info: noop, warn: noop };
