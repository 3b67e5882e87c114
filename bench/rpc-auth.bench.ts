/**
 * Sign-in and scope checks, on the fixture of rpc-node.bench.ts (10,000 patients, 200 practitioners):
 *   rpc.auth.login           sign-ins/s on the node (auth_challenge + auth_login, one ed25519 verify
 *                            each), against raw ed25519 verifies/s on the same message size
 *   rpc.scope.access_check   access_check batches of 100 by the hospital's signed-in session (every
 *                            grantee is its staff) against the same batches on a server without scope
 *                            rules, dispatched in process (parse, validation, guard, handler, reply),
 *                            interleaved in 25 ms slices in the same run, ratio of the totals
 *                            (goal ratio >= 0.9)
 *   rpc.scope.audit_query    audit_query batches of 10 (a practitioner's trail, 5 entries each) the same way
 * Figures: batches per CPU-second with scope rules (ops_per_s) and without (limit_ops_per_s), and their ratio.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nodeMethods, registerNodeApi } from '../rpc/api/index.js';
import { type Caller, OPERATOR } from '../rpc/auth/caller.js';
import { Scope } from '../rpc/context.js';
import type { Dispatcher } from '../rpc/dispatcher.js';
import type { RpcLogger } from '../rpc/logger.js';
import { RpcServer } from '../rpc/server.js';
import { answerChallenge } from '../src/client/auth.js';
import { to0x } from '../src/codec/bytes.js';
import { SignPurpose, signingMessage } from '../src/crypto/domain.js';
import { signFast, verify } from '../src/crypto/ed25519.js';
import { createLogger } from '../src/node/logger.js';
import { round } from './measure.js';
import { loadFlags, measureRpc } from './rpc-load.js';
import { type Fixture, sharedFixture } from './rpc-node.bench.js';
import type { BenchContext, Benchmark, BenchResult } from './types.js';

async function loginBench(ctx: BenchContext): Promise<BenchResult> {
  const f = await sharedFixture(ctx);
  const server = new RpcServer({ port: 0, rateLimit: null });
  const auth = registerNodeApi(server, f.api, { auth: { maxSessionsPerIdentity: 1 } });
  const n = 2000;
  // The client's signatures are made outside the timed part: the node's cost is what counts.
  const challenges = [];
  // CPU time of this thread: other jobs on a shared machine inflate wall time, not this.
  const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000;
  let t = process.cpuUsage();
  for (let i = 0; i < n; i++) challenges.push(auth.challenge(f.org.id));
  const challengeMs = cpuMs(process.cpuUsage(t));
  const answers = challenges.map((c) => answerChallenge(f.org, c));
  t = process.cpuUsage();
  for (const a of answers)
    auth.login(a.nonce, Buffer.from(a.pubkey.slice(2), 'hex'), Buffer.from(a.signature.slice(2), 'hex'));
  const loginMs = cpuMs(process.cpuUsage(t));
  // Limit: raw verifies of a message of the same size, same key, in the same run.
  const msg = signingMessage(
    SignPurpose.SIGN_IN,
    f.api.chain.chainId,
    new TextEncoder().encode(challenges[0]?.message),
  );
  const sig = signFast(msg, f.org.secretKey);
  t = process.cpuUsage();
  for (let i = 0; i < n; i++) verify(sig, msg, f.org.publicKey);
  const verifyMs = cpuMs(process.cpuUsage(t));
  const ops = (n * 1000) / (challengeMs + loginMs);
  const limit = (n * 1000) / verifyMs;
  return {
    id: 'rpc.auth.login',
    ops_per_s: round(ops),
    limit_ops_per_s: round(limit),
    ratio: round(ops / limit, 3),
    challenge_us: round((challengeMs * 1000) / n, 1),
    login_us: round((loginMs * 1000) / n, 1),
  };
}

/** Requests dispatched and the process CPU they took, per server. */
interface Tally {
  n: number;
  cpuUs: number;
}

/**
 * Dispatches `body` as one request of `caller` for about `ms`, adding the requests and the CPU
 * time of this process to `t` (in process: no sockets; CPU time, so other jobs on a shared machine
 * matter less than wall time).
 */
async function dispatchFor(server: RpcServer, caller: Caller, body: Buffer, ms: number, t: Tally): Promise<void> {
  const d = (server as unknown as { dispatcher: Dispatcher }).dispatcher;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (performance.now() - t0 < ms) {
    const scope = new Scope('127.0.0.1', 'http', '127.0.0.1', null, null, 0);
    scope.caller = caller;
    const r = d.handle(body, scope);
    // Each request ends its own job on a server (its microtasks, e.g. the read log's line, run
    // before the next request is read): the same here, for all servers alike.
    await r;
    t.n++;
  }
  const c = process.cpuUsage(c0);
  t.cpuUs += c.user + c.system;
}

/** Short slices of this length, alternating between the servers. */
const SLICE_MS = 25;

/**
 * Requests and CPU time of each server over one round of `ms` each. The servers take turns in
 * short slices, the order rotating each turn, so a change in the machine's load (other jobs,
 * frequency, caches) falls on all of them alike rather than on whichever ran in a bad second.
 */
async function interleaved(
  runs: readonly [RpcServer, Caller][],
  body: Buffer,
  ms: number,
  first = 0,
): Promise<Tally[]> {
  const t: Tally[] = runs.map(() => ({ n: 0, cpuUs: 0 }));
  const turns = Math.max(1, Math.round(ms / SLICE_MS));
  for (let k = 0; k < turns; k++)
    for (let j = 0; j < runs.length; j++) {
      const i = (j + k + first) % runs.length;
      const [server, caller] = runs[i] as [RpcServer, Caller];
      await dispatchFor(server, caller, body, SLICE_MS, t[i] as Tally);
    }
  return t;
}

const rate = (t: Tally): number => (t.n * 1e6) / t.cpuUs;

let gc: (() => void) | undefined;

/** A full collection, as with --expose-gc (the flag set at run time, as state-apply.bench.ts does). */
function fullGc(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/**
 * The same batch through a server without scope rules and one with them (a signed-in hospital
 * session, reads logged), and one with scope rules but no read log, interleaved in the same run;
 * the ratio of their totals.
 */
async function scopeBench(id: string, ctx: BenchContext, body: string, f: Fixture, goal: number): Promise<BenchResult> {
  const fl = loadFlags(ctx);
  const plain = new RpcServer(
    { port: 0, rateLimit: null },
    { logger: { error: () => {}, warn: () => {}, debug: () => {} } },
  );
  plain.register(...nodeMethods(f.api));
  const quietLog = { error: () => {}, warn: () => {}, debug: () => {} };
  // Reads are logged at info on a real node: the node's pino logger, to a sink that counts lines
  // (serialization counts; the write system call of a real destination would come on top).
  let logged = 0;
  const readLogger = createLogger('info', { module: 'rpc' }, { destination: { write: () => void logged++ } });
  const scoped = new RpcServer({ port: 0, rateLimit: null }, { logger: readLogger });
  const auth = registerNodeApi(scoped, f.api);
  const a = answerChallenge(f.org, auth.challenge(f.org.id));
  const session = auth.login(a.nonce, Buffer.from(a.pubkey.slice(2), 'hex'), Buffer.from(a.signature.slice(2), 'hex'));
  const caller: Caller = { kind: 'identity', session };
  // The same without the read log, to tell the scope check's cost from the log's.
  const quiet = new RpcServer({ port: 0, rateLimit: null }, { logger: quietLog });
  const qauth = registerNodeApi(quiet, f.api);
  const qa = answerChallenge(f.org, qauth.challenge(f.org.id));
  const qcaller: Caller = {
    kind: 'identity',
    session: qauth.login(qa.nonce, Buffer.from(qa.pubkey.slice(2), 'hex'), Buffer.from(qa.signature.slice(2), 'hex')),
  };
  const buf = Buffer.from(body);
  // Every member must be in the caller's scope, or the comparison would time cheap refusals.
  const d = (scoped as unknown as { dispatcher: Dispatcher }).dispatcher;
  const s0 = new Scope('127.0.0.1', 'http', '127.0.0.1', null, null, 0);
  s0.caller = caller;
  const first = JSON.parse((await d.handle(buf, s0)) as string) as { error?: unknown }[];
  const refused = first.filter((r) => r.error !== undefined);
  if (refused.length > 0) throw new Error(`${id}: ${refused.length} members refused: ${JSON.stringify(refused[0])}`);
  const sliceMs = Math.max(200, fl.durationMs / 2);
  // Totals over all rounds: a collection falls in whichever slice triggers it (a full one, tens of
  // ms with the fixture's heap, moves one round's ratio by 10-20 %); over the whole run each server
  // pays for the collections in proportion to what it allocates.
  const total: Tally[] = [0, 1, 2].map(() => ({ n: 0, cpuUs: 0 }));
  const roundRatios: number[] = [];
  const runs: [RpcServer, Caller][] = [
    [plain, OPERATOR],
    [scoped, caller],
    [quiet, qcaller],
  ];
  // A round not counted: each server's first slices compile its path and fill its caches.
  await interleaved(runs, buf, sliceMs);
  for (let i = 0; i < 2 * fl.rounds; i++) {
    // Each round starts from a collected heap (not timed), so a full collection brought about by
    // what ran before (the fixture, the last bench) does not land on one server of a short run;
    // those the servers' own allocation brings about within the round still count. The collector's
    // threads sweep on after it on this process's CPU time: an untimed slice each takes that, and
    // the server that goes first rotates.
    fullGc();
    await interleaved(runs, buf, SLICE_MS);
    const t = await interleaved(runs, buf, sliceMs, i);
    const [b, r, q] = t.map(rate) as [number, number, number];
    t.forEach((x, j) => {
      const to = total[j] as Tally;
      to.n += x.n;
      to.cpuUs += x.cpuUs;
    });
    roundRatios.push(r / b);
    ctx.log(
      `round ${i + 1}: no auth ${Math.round(b)}/s, scoped ${Math.round(r)}/s, scoped without read log ${Math.round(q)}/s`,
    );
  }
  if (logged === 0) throw new Error(`${id}: no read was logged`);
  const http = await overHttp(id, ctx, body, f, readLogger);
  const [b, r, q] = total.map(rate) as [number, number, number];
  return {
    id,
    ops_per_s: round(r),
    limit_ops_per_s: round(b),
    ratio: round(r / b, 3),
    ratio_without_read_log: round(q / b, 3),
    ratio_round_median: round(median(roundRatios), 3),
    read_log_lines: logged,
    ...http,
    goal_ratio: goal,
  };
}

/**
 * The same comparison as a client sees it: over HTTP (keep-alive, pipelined), a server without
 * scope rules against the node's (signed-in session, reads logged), by the server's CPU time per
 * request, each measured beside the bare-HTTP baseline in its own slices.
 */
async function overHttp(id: string, ctx: BenchContext, body: string, f: Fixture, logger: RpcLogger) {
  const plain = await measureRpc(
    `${id} (http, no scope rules)`,
    ctx,
    (s) => {
      s.register(...nodeMethods(f.api));
    },
    body,
  );
  const headers: Record<string, string> = {};
  const scoped = await measureRpc(
    `${id} (http, scoped)`,
    ctx,
    (s) => {
      const auth = registerNodeApi(s, f.api);
      const a = answerChallenge(f.org, auth.challenge(f.org.id));
      const session = auth.login(
        a.nonce,
        Buffer.from(a.pubkey.slice(2), 'hex'),
        Buffer.from(a.signature.slice(2), 'hex'),
      );
      headers.authorization = `Bearer ${session.token}`;
    },
    body,
    { headers, logger },
  );
  const cpu = (r: BenchResult): number => r.cpu_us_per_req as number;
  return {
    http_cpu_us_per_req: round(cpu(scoped), 1),
    http_limit_cpu_us_per_req: round(cpu(plain), 1),
    http_ratio: round(cpu(plain) / cpu(scoped), 3),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

const checkBody = (f: Fixture): string =>
  JSON.stringify(
    f.checks.map(([g, r, p], i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'access_check',
      params: [g, r, 'read', p, false],
    })),
  );

const auditBody = (f: Fixture): string =>
  JSON.stringify(
    f.practitioners.slice(0, 10).map((g, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'audit_query',
      params: { grantee: to0x(g), page: { limit: 5 } },
    })),
  );

export const benchmarks: Benchmark[] = [
  { id: 'rpc.auth.login', run: loginBench },
  {
    id: 'rpc.scope.access_check',
    async run(ctx) {
      const f = await sharedFixture(ctx);
      return scopeBench('rpc.scope.access_check', ctx, checkBody(f), f, 0.9);
    },
  },
  {
    id: 'rpc.scope.audit_query',
    async run(ctx) {
      const f = await sharedFixture(ctx);
      return scopeBench('rpc.scope.audit_query', ctx, auditBody(f), f, 0.9);
    },
  },
];
