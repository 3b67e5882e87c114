/**
 * A hospital joins a running 4-validator devnet in three commands (`medchain validator
 * join-request`, `propose`, `vote`), between real processes: its node, started as a full node,
 * admitted by the permissioned validators from its approval (no config change), starts signing and
 * proposing at the activation height without a restart (commit certificates
 * verify with its consensus key), then leaves by the same commands: the chain goes on with 4 and
 * its node is disconnected.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CommitJson, HeaderJson, ValidatorJson } from '../../src/client/types.js';
import { verifyCommit } from '../../src/client/verify.js';
import { freePorts, giveOperatorToken, rpc, TestNet, type TestNode, until } from '../helpers/procs.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const keystore = mkdtempSync(join(tmpdir(), 'medchain-join-keys-'));
const MINUTE = 60_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function once(env: NodeJS.ProcessEnv, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A CLI run; again (at most twice) when a loaded machine dropped the connection to the node (exit 4). */
async function medchain(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  let r = await once(env, args);
  for (let i = 0; i < 2 && r.code === 4 && /UNREACHABLE/.test(r.stdout + r.stderr); i++) r = await once(env, args);
  return r;
}

// biome-ignore lint/suspicious/noExplicitAny: parsed CLI output, asserted field by field
async function ok(env: NodeJS.ProcessEnv, ...args: string[]): Promise<any> {
  // A loaded machine (2 cores, 5 nodes) can take more than the default 30 s to finalize a tx.
  const wait = args[0] === 'validator' && args[1] !== 'join-request' ? ['--timeout-ms', String(3 * MINUTE)] : [];
  let r = await medchain(env, '--json', ...args, ...wait);
  // A node that timed out a submission may have admitted it: a repeated vote then finds itself
  // recorded (ALREADY_VOTED), which is what the test wanted.
  for (let i = 0; i < 2 && r.code === 3 && /TIMEOUT/.test(r.stdout + r.stderr); i++) {
    r = await medchain(env, '--json', ...args, ...wait);
    if (args[1] === 'vote' && r.code === 5 && /ALREADY_VOTED/.test(r.stdout + r.stderr)) return { events: [] };
  }
  assert.is(r.code, 0, `medchain ${args.join(' ')}\n${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout);
}

const validators = (url: string) => rpc<ValidatorJson[]>(url, 'chain_getValidators');
const peersOf = async (url: string): Promise<string[]> =>
  (await rpc<Array<{ peerId: string }>>(url, 'net_peers')).map((p) => p.peerId);

/** A height from `from` on whose certificate verifies against `set` and satisfies `want`. */
async function findBlock(
  url: string,
  from: number,
  set: ValidatorJson[],
  want: (h: HeaderJson, c: CommitJson) => boolean,
): Promise<number> {
  let h = from;
  return until('a matching block', 3 * MINUTE, async () => {
    const head = (await rpc<{ headHeight: number }>(url, 'chain_getStatus')).headHeight;
    for (; h <= head; h++) {
      const [header, commit] = await Promise.all([
        rpc<HeaderJson>(url, 'chain_getHeader', [h]),
        rpc<CommitJson>(url, 'chain_getCommit', [h]),
      ]);
      if (verifyCommit(commit, header, set) && want(header, commit)) return h;
    }
    return undefined;
  });
}

test('a devnet grows from 4 to 5 validators with the three commands (the new one signs and proposes) and shrinks back to 4', async () => {
  const net = await TestNet.create(4, 300);
  try {
    // A short governance delay, so activation comes within seconds.
    const gFile = join(net.dir, 'genesis.json');
    const genesis = JSON.parse(readFileSync(gFile, 'utf8'));
    genesis.params.governanceDelayBlocks = 3;
    writeFileSync(gFile, JSON.stringify(genesis, null, 2));
    const url = (net.nodes[0] as TestNode).rpc;
    const env = {
      ...process.env,
      MEDCHAIN_RPC: url,
      MEDCHAIN_KEYSTORE: keystore,
      MEDCHAIN_PASSWORD: 'correct horse battery staple',
    };
    await ok(env, 'keys', 'import-devnet', '--home', net.dir, '--scrypt-n', '16384');

    // 1. The new hospital: a node home, its keys, and the request.
    const cfgs = await Promise.all(
      net.nodes.map(async (n) => JSON.parse(await readFile(join(n.home, 'config.json'), 'utf8'))),
    );
    const peers = cfgs.map((c, i) => `${c.p2p.listen[0]}/p2p/${c.p2p.allowedPeers[i]}`);
    const [p2pPort, rpcPort] = (await freePorts(2)) as [number, number];
    const home = join(net.dir, 'west');
    const req = await ok(
      env,
      'validator',
      'join-request',
      '--home',
      home,
      '--name',
      'West Hospital',
      '--genesis',
      gFile,
      '--key',
      'west',
      '--peers',
      peers.join(','),
      '--listen',
      `/ip4/127.0.0.1/tcp/${p2pPort}`,
      '--rpc-port',
      String(rpcPort),
      '--scrypt-n',
      '16384',
    );
    assert.is(req.chainId, genesis.chainId);
    assert.match(req.addresses[0], new RegExp(`/tcp/${p2pPort}/p2p/${req.peerId}$`));
    giveOperatorToken(home);
    // No pace to copy: the empty-block interval comes from genesis, the same for every node.
    // No validator's config names the new peer: the permissioned validators admit it once the
    // chain approves its seat (the peer id is in the join request, signed by its consensus key).
    const west: TestNode = { name: 'west', home, rpc: `http://127.0.0.1:${rpcPort}`, output: [] };
    net.nodes.push(west);
    net.startAll();
    await net.waitHeight(0, 2, 6 * MINUTE);

    // 2. One validator proposes; 3. the others vote. 3 of 4 is more than 2/3.
    const p = await ok(env, 'validator', 'propose', '--request', req.file, '--from', 'hospital-a');
    assert.is(p.status, 'ok');
    assert.ok(p.events.some((e: { type: string }) => e.type === 'governance.proposed'));
    await ok(env, 'validator', 'vote', '--proposal', p.proposal, '--from', 'hospital-b');
    await ok(env, 'validator', 'vote', '--proposal', p.proposal, '--from', 'hospital-c');

    // Admitted from approval on, without a restart: it connects and syncs before it must sign.
    await until('the new node admitted', 4 * MINUTE, async () =>
      (await peersOf(url)).includes(req.peerId) ? true : undefined,
    );
    const five = await until('5 validators', 4 * MINUTE, async () => {
      const vs = await validators(url);
      return vs.length === 5 ? vs : undefined;
    });
    const mine = five.findIndex((v) => v.pubkey === req.consensusKey);
    assert.ok(mine >= 0, 'the new consensus key is in the set');
    assert.is(five[mine]?.id, req.organization);
    // It signs: a certificate verifying against the 5-validator set carries its signature...
    const from = await net.height(0);
    const signed = await findBlock(url, from, five, (_h, c) => c.signatures.some((s) => s.validatorIndex === mine));
    // ...and it proposes (its organization as the header's proposer), with no restart.
    await findBlock(url, from, five, (h) => h.proposer === req.organization);

    // Leaving: propose removal; with 5 validators, 4 approvals are needed (3 of 5 is not > 2/3).
    const rm = await ok(env, 'validator', 'propose', '--remove', req.organization, '--from', 'hospital-a');
    await ok(env, 'validator', 'vote', '--proposal', rm.proposal, '--from', 'hospital-b');
    const notYet = await ok(env, 'validator', 'vote', '--proposal', rm.proposal, '--from', 'hospital-c');
    assert.not.ok(notYet.events.some((e: { type: string }) => e.type === 'governance.approved'));
    await ok(env, 'validator', 'vote', '--proposal', rm.proposal, '--from', 'hospital-d');
    const four = await until('4 validators', 4 * MINUTE, async () => {
      const vs = await validators(url);
      return vs.length === 4 ? vs : undefined;
    });
    assert.not.ok(four.some((v) => v.pubkey === req.consensusKey));
    // The chain goes on with the 4; the removed hospital's node, configured nowhere, is dropped.
    const after = await net.height(0);
    const h = await findBlock(url, after + 2, four, () => true);
    await until('the removed node disconnected', 2 * MINUTE, async () => {
      const lists = await Promise.all(net.nodes.slice(0, 4).map((n) => peersOf(n.rpc)));
      return lists.every((l) => !l.includes(req.peerId)) ? true : undefined;
    });
    // Light clients: each height's set is still served, the one its header names (not today's).
    const ids = (vs: ValidatorJson[]) => vs.map((v) => v.pubkey).sort();
    assert.equal(ids(await rpc<ValidatorJson[]>(url, 'chain_getValidators', [1])), ids(four), 'block 1: the first 4');
    assert.equal(ids(await rpc<ValidatorJson[]>(url, 'chain_getValidators', [signed])), ids(five), 'while 5 signed');
    assert.equal(ids(await rpc<ValidatorJson[]>(url, 'chain_getValidators', [h])), ids(four), 'after the removal');
  } catch (err) {
    // What the nodes said, for a failure under load.
    for (const n of net.nodes) process.stderr.write(`\n--- ${n.name}\n${n.output.join('').slice(-8000)}\n`);
    throw err;
  } finally {
    await net.close();
    rmSync(keystore, { recursive: true, force: true });
  }
});

test.run();
