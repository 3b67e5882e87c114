import '../../src/polyfill.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { utf8 } from '../../src/codec/bytes.js';
import { defaultNodeConfig, type NodeConfig } from '../../src/node/config.js';
import { Closers, NodeCloseError, NodeErrorCode } from '../../src/node/lifecycle.js';
import { createLogger } from '../../src/node/logger.js';
import { Node } from '../../src/node/node.js';
import { ChainState } from '../../state/chain.js';
import { INDEX_VERSION, indexVersion } from '../../state/index/version.js';
import { dbKey, openDb, Prefix } from '../../state/store/db.js';
import { kvGenesis, kvMachine } from '../helpers/kv-machine.js';

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const genesis = kvGenesis('lifecycle-chain');
const quiet = createLogger('error', {}, { destination: { write: () => {} } });

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

const closeServer = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));
const portOf = (s: Server): number => (s.address() as { port: number }).port;

/** A port free right now (the OS picks it; released before use). */
async function freePort(): Promise<number> {
  const s = await listen(0);
  const port = portOf(s);
  await closeServer(s);
  return port;
}

function config(p2pPort: number, rpcPort: number): NodeConfig {
  return {
    ...defaultNodeConfig,
    moniker: 'lifecycle',
    p2p: { ...defaultNodeConfig.p2p, listen: [`/ip4/127.0.0.1/tcp/${p2pPort}`] },
    rpc: { ...defaultNodeConfig.rpc, port: rpcPort },
  };
}

function home(): string {
  const d = mkdtempSync(join(tmpdir(), 'medchain-lifecycle-'));
  dirs.push(d);
  return d;
}

const create = (dir: string, cfg: NodeConfig): Promise<Node> =>
  Node.create({ home: dir, config: cfg, machine: kvMachine, genesis, logger: quiet });

/** LevelDB allows one opener per directory: opening it proves the node closed it. */
async function reopenDb(dir: string): Promise<void> {
  const chain = await ChainState.open({ dir: join(dir, 'db'), genesis, machine: kvMachine });
  await chain.close();
}

/** The error `p` rejects with; fails the test if it resolves. */
async function rejection<E = { code?: string }>(p: Promise<unknown>, what: string): Promise<E> {
  try {
    await p;
  } catch (err) {
    return err as E;
  }
  throw new assert.Assertion({
    message: `${what}: resolved`,
    operator: 'rejects',
    expects: 'rejection',
    actual: 'resolved',
  });
}

const listeners = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

test('a node whose RPC port is taken fails to start and leaves nothing listening or open', async () => {
  const before = listeners();
  const taken = await listen(0);
  try {
    const dir = home();
    const p2pPort = await freePort();
    const err = await rejection(create(dir, config(p2pPort, portOf(taken))), 'started on a taken port');
    assert.is(err.code, 'EADDRINUSE');
    assert.is(listeners(), before + 1, 'no listener left behind but the one taking the port');
    // The libp2p host had started: its port is free again.
    await closeServer(await listen(p2pPort));
    await reopenDb(dir);
  } finally {
    await closeServer(taken);
  }
});

test('close: one subsystem whose close throws still closes the rest, LevelDB and the libp2p host included (NODE_CLOSE_FAILED)', async () => {
  const dir = home();
  const p2pPort = await freePort();
  const node = await create(dir, config(p2pPort, 0));
  const sync = node.sync as { close(): Promise<void> };
  sync.close = () => Promise.reject(new Error('boom'));
  const err = await rejection<NodeCloseError>(node.close(), 'close hid the failure');
  assert.instance(err, NodeCloseError);
  assert.is(err.code, NodeErrorCode.CLOSE_FAILED);
  assert.is(err.meta.modules, 'sync');
  await reopenDb(dir);
  await closeServer(await listen(p2pPort));
});

test('close is idempotent: one shutdown, the same promise, and the node can be reopened', async () => {
  const dir = home();
  const node = await create(dir, config(0, 0));
  assert.ok(node.rpcAddress, 'rpc listening');
  const first = node.close();
  assert.is(node.close(), first);
  await first;
  await node.close();
  const again = await create(dir, config(0, 0));
  await again.close();
});

test('a node stamps its DB with the index version at start, and rebuilds the indexes of a DB without the stamp', async () => {
  const dir = home();
  const stamp = async (drop = false): Promise<number> => {
    const db = await openDb(join(dir, 'db'));
    try {
      if (drop) await db.del(dbKey(Prefix.META, utf8('index-version')));
      return indexVersion(db);
    } finally {
      await db.close();
    }
  };
  await (await create(dir, config(0, 0))).close();
  assert.is(await stamp(), INDEX_VERSION);
  assert.is(await stamp(true), 1, 'as a DB written before stamps');
  await (await create(dir, config(0, 0))).close();
  assert.is(await stamp(), INDEX_VERSION);
});

test('the node serves the vault of config.vault, with the custodian key it is given, and closes it', async () => {
  const dir = home();
  const cfg: NodeConfig = { ...config(0, 0), vault: { enabled: true, port: 0 } };
  const node = await Node.create({
    home: dir,
    config: cfg,
    machine: kvMachine,
    genesis,
    logger: quiet,
    vaultKey: new Uint8Array(32).fill(7),
  });
  let url: string | undefined;
  try {
    url = node.vault?.url;
    assert.ok(url, 'vault started');
    assert.is((await fetch(`${url}/v1/health`)).status, 200);
  } finally {
    await node.close();
  }
  const after = await fetch(`${url}/v1/health`).then(
    () => 'answered',
    () => 'refused',
  );
  assert.is(after, 'refused', 'the vault closed with the node');
});

test('Closers: run last-registered first, every one even after failures, errors aggregated in order', async () => {
  const ran: string[] = [];
  const c = new Closers();
  c.add('db', () => ran.push('db'));
  c.add('host', () => {
    ran.push('host');
    throw new Error('host');
  });
  c.add('rpc', async () => {
    ran.push('rpc');
    throw Object.assign(new Error('rpc'), { code: 'ERR_SERVER_NOT_RUNNING' });
  });
  const err = await rejection<NodeCloseError>(c.closeAll(), 'failures hidden');
  assert.equal(ran, ['rpc', 'host', 'db']);
  assert.is(err.meta.modules, 'rpc,host');
  assert.is(err.meta.causes, 'ERR_SERVER_NOT_RUNNING,Error');
  assert.is(err.errors.length, 2);
  // Each closer runs once: a second closeAll has nothing left to do.
  await c.closeAll();
  assert.equal(ran, ['rpc', 'host', 'db']);
});

test('a config the node cannot run is refused before anything opens (CONFIG_INVALID)', async () => {
  const dir = home();
  const cfg = config(0, 0);
  const noRpc = { ...cfg, rpc: { ...cfg.rpc, enabled: false }, vault: { enabled: true } };
  const noKey = { ...cfg, vault: { enabled: true } };
  for (const bad of [noRpc, noKey]) {
    const err = await rejection(create(dir, bad), 'started');
    assert.is(err.code, 'CONFIG_INVALID');
  }
  await reopenDb(dir);
});

test.run();
