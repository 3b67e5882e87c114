/**
 * HTTP load driver for RPC benchmarks: raw keep-alive sockets with pipelined requests, run in a
 * child process so the server under test keeps this process to itself, and this process's CPU
 * time per request is the server's alone (robust on a shared machine, unlike req/s). The client
 * parses only the status line and Content-Length, so it costs far less than the server it drives.
 *
 * `measureRpc` is the one-call helper for a method benchmark: it starts an RpcServer, lets the
 * caller register methods, drives `body` at it and reports the ratio to a bare node:http baseline
 * measured in the same run.
 */
import { fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { RpcLogger } from '../rpc/logger.js';
import type { RpcOptions } from '../rpc/options.js';
import { RpcServer } from '../rpc/server.js';
import { round } from './measure.js';
import type { BenchContext, BenchResult } from './types.js';

export interface LoadOptions {
  url: string;
  /** The exact request body sent each time. */
  body: string;
  headers?: Record<string, string>;
  connections: number;
  /** Requests in flight per connection (HTTP/1.1 pipelining). */
  pipeline: number;
  durationMs: number;
  /** Responses before this are not counted (JIT, connection setup). */
  warmupMs: number;
}

export interface LoadResult {
  /** Responses inside the measured window. */
  requests: number;
  /** All responses, warmup included. */
  total: number;
  seconds: number;
  req_per_s: number;
  /** Responses with a status other than 200/204. */
  non_2xx: number;
  errors: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Runs the load in this thread. */
export function driveLoad(o: LoadOptions): Promise<LoadResult> {
  const u = new URL(o.url);
  const extra = Object.entries(o.headers ?? {})
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const one = Buffer.from(
    `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\n${extra}` +
      `Content-Length: ${Buffer.byteLength(o.body)}\r\n\r\n${o.body}`,
  );
  const copies: Buffer[] = [Buffer.alloc(0)];
  for (let k = 1; k <= o.pipeline; k++) copies.push(Buffer.concat([copies[k - 1] as Buffer, one]));

  const start = performance.now();
  const countFrom = start + o.warmupMs;
  const stopAt = countFrom + o.durationMs;
  let counted = 0;
  let total = 0;
  let non2xx = 0;
  let errors = 0;
  let running = true;

  return new Promise((resolve) => {
    let open = o.connections;
    const done = (): void => {
      if (--open > 0) return;
      const seconds = o.durationMs / 1000;
      resolve({ requests: counted, total, seconds, req_per_s: counted / seconds, non_2xx: non2xx, errors });
    };
    const sockets: Socket[] = [];
    // A connection that never drains (server error) must not hang the run.
    setTimeout(
      () => {
        for (const s of sockets) s.destroy();
      },
      o.warmupMs + o.durationMs + 5_000,
    ).unref();
    for (let c = 0; c < o.connections; c++) {
      const sock = connect(Number(u.port), u.hostname);
      sockets.push(sock);
      sock.setNoDelay(true);
      let buf: Buffer = Buffer.alloc(0);
      let inFlight = o.pipeline;
      sock.on('connect', () => sock.write(copies[o.pipeline] as Buffer));
      sock.on('error', () => {
        errors++;
      });
      sock.on('close', done);
      sock.on('data', (d: Buffer) => {
        buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
        let finished = 0;
        for (;;) {
          const h = buf.indexOf(CRLFCRLF);
          if (h === -1) break;
          const head = buf.toString('latin1', 0, h).toLowerCase();
          const cl = head.indexOf('content-length:');
          const len = cl === -1 ? 0 : Number.parseInt(head.slice(cl + 15, head.indexOf('\r', cl) >>> 0), 10);
          if (buf.length < h + 4 + len) break;
          const status = head.charCodeAt(9) === 50 ? 200 : Number(head.slice(9, 12));
          if (status >= 300) non2xx++;
          buf = buf.subarray(h + 4 + len);
          finished++;
        }
        if (finished === 0) return;
        inFlight -= finished;
        total += finished;
        const now = performance.now();
        if (now >= countFrom && now < stopAt) counted += finished;
        if (now >= stopAt) running = false;
        if (running) {
          sock.write(copies[finished] as Buffer);
          inFlight += finished;
        } else if (inFlight === 0) sock.end();
      });
    }
  });
}

export interface ChildLoadResult extends LoadResult {
  /** CPU time of this process (the server side) per response, in microseconds. */
  cpu_us_per_req: number;
}

const CHILD_ARG = '--rpc-load-child';

/** Runs `driveLoad` in a child process and measures this process's CPU time meanwhile. */
export function driveLoadInChild(o: LoadOptions): Promise<ChildLoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [CHILD_ARG], { stdio: 'inherit' });
    let cpu0: NodeJS.CpuUsage | null = null;
    child.once('message', (m: 'ready' | LoadResult) => {
      if (m !== 'ready') return reject(new Error('load child: unexpected first message'));
      cpu0 = process.cpuUsage();
      child.send(o);
      child.once('message', (r: LoadResult) => {
        const cpu = process.cpuUsage(cpu0 ?? undefined);
        resolve({ ...r, cpu_us_per_req: (cpu.user + cpu.system) / Math.max(1, r.total) });
      });
    });
    child.once('error', reject);
  });
}

if (process.argv[2] === CHILD_ARG && process.send !== undefined) {
  process.once('message', (o: LoadOptions) => {
    void driveLoad(o).then((r) => process.send?.(r, () => process.exit(0)));
  });
  process.send('ready');
}

interface Echoed {
  id?: unknown;
  params?: unknown;
}
const echo = (m: Echoed) => ({
  jsonrpc: '2.0',
  id: m.id ?? null,
  result: Array.isArray(m.params) ? (m.params[0] ?? null) : null,
});

/**
 * A bare node:http JSON-RPC echo (single or batch): parse, build the response, write. The ceiling
 * for RPC figures: any server must at least read, parse, serialize and write.
 */
export async function startBaselineServer(): Promise<{ url: string; server: Server }> {
  const server = createServer({ noDelay: true, keepAliveTimeout: 30_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Echoed | Echoed[];
      const body = JSON.stringify(Array.isArray(msg) ? msg.map(echo) : echo(msg));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address() as { port: number };
  return { url: `http://127.0.0.1:${a.port}/`, server };
}

export interface LoadFlags {
  durationMs: number;
  warmupMs: number;
  connections: number;
  pipeline: number;
  /** Baseline and subject alternate this many times; the best slice of each counts. */
  rounds: number;
}

export function loadFlags(ctx: BenchContext): LoadFlags {
  const num = (k: string, d: number): number => (typeof ctx.flags[k] === 'string' ? Number(ctx.flags[k]) : d);
  return {
    durationMs: num('seconds', 1) * 1000,
    warmupMs: num('warmup', 0.3) * 1000,
    connections: num('connections', 8),
    pipeline: num('pipeline', 8),
    rounds: num('rounds', 3),
  };
}

export const ECHO_BODY = '{"jsonrpc":"2.0","id":1,"method":"bench_echo","params":["hello"]}';

async function drive(id: string, url: string, body: string, f: LoadFlags, headers?: Record<string, string>) {
  const r = await driveLoadInChild({ url, body, ...f, ...(headers !== undefined && { headers }) });
  if (r.non_2xx > 0 || r.errors > 0) throw new Error(`${id} failed: ${JSON.stringify(r)}`);
  return r;
}

/** Baseline req/s alone (best of `rounds` slices). */
export async function baselineReqPerSec(ctx: BenchContext, body = ECHO_BODY): Promise<number> {
  const f = loadFlags(ctx);
  const { url, server } = await startBaselineServer();
  try {
    let best = 0;
    for (let i = 0; i < f.rounds; i++) best = Math.max(best, (await drive('baseline', url, body, f)).req_per_s);
    return best;
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

export interface MeasureRpcOptions {
  /** Server options over the bench defaults (rate limiting on, with a bucket no bench drains). */
  server?: Partial<RpcOptions>;
  /** Extra request headers (e.g. authorization when server.authToken is set); read after setup. */
  headers?: Record<string, string>;
  /** The server's logger (default: errors to stderr, no read log). */
  logger?: RpcLogger;
}

/**
 * Benchmarks `body` through a full RpcServer (limits, access checks, validation, dispatch) and the
 * bare baseline, alternating slices so that noise from other load hits both; best slice of each.
 * `setup` registers the methods the body calls. The baseline echoes params[0] of the same body.
 */
export async function measureRpc(
  id: string,
  ctx: BenchContext,
  setup: (server: RpcServer) => void | Promise<void>,
  body: string,
  opts: MeasureRpcOptions = {},
): Promise<BenchResult> {
  const f = loadFlags(ctx);
  const server = new RpcServer(
    {
      port: 0,
      rateLimit: { perSecond: 1e9, burst: 1e9, maxClients: 1000 },
      ...opts.server,
    },
    opts.logger === undefined ? {} : { logger: opts.logger },
  );
  await setup(server);
  const addr = await server.listen();
  const base = await startBaselineServer();
  try {
    let limit = 0;
    let ops = 0;
    let limitCpu = Number.POSITIVE_INFINITY;
    let cpu = Number.POSITIVE_INFINITY;
    for (let i = 0; i < f.rounds; i++) {
      const b = await drive('baseline', base.url, body, f);
      const r = await drive(id, `${addr.url}/`, body, f, opts.headers);
      limit = Math.max(limit, b.req_per_s);
      ops = Math.max(ops, r.req_per_s);
      limitCpu = Math.min(limitCpu, b.cpu_us_per_req);
      cpu = Math.min(cpu, r.cpu_us_per_req);
      ctx.log(
        `round ${i + 1}: baseline ${Math.round(b.req_per_s)} req/s ${b.cpu_us_per_req.toFixed(1)} us/req, ` +
          `${id} ${Math.round(r.req_per_s)} req/s ${r.cpu_us_per_req.toFixed(1)} us/req`,
      );
    }
    return {
      id,
      ops_per_s: round(ops),
      limit_ops_per_s: round(limit),
      ratio: round(ops / limit, 3),
      // Server CPU per request: the same comparison, immune to other load on the machine.
      cpu_us_per_req: round(cpu, 1),
      limit_cpu_us_per_req: round(limitCpu, 1),
      cpu_ratio: round(limitCpu / cpu, 3),
    };
  } finally {
    base.server.closeAllConnections();
    base.server.close();
    await server.close();
  }
}
