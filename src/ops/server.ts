import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sink } from './backup.js';
import type { BackupManifest } from './backup-format.js';
import { parseThresholds, type ReadyInputs, readiness } from './health.js';
import type { NodeMetrics } from './metrics.js';
import type { OpsOptions, ReadyThresholds } from './options.js';

export interface OpsServerDeps {
  metrics: NodeMetrics;
  /** Sampled per readiness probe. */
  readyInputs(): ReadyInputs;
  defaults: ReadyThresholds;
  /** Streams a consistent backup of the node's database. */
  backup?(sink: Sink, signal: AbortSignal): Promise<BackupManifest>;
  /** Bearer token for /backup when ops.token is not set (the node keeps it in a 0600 file in its home). */
  backupToken?: string;
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The operations listener: `/livez`, `/readyz` (open, for probes), `/metrics` (behind ops.token
 * when set) and `POST /backup`, which always needs a token: a backup is the whole database, past
 * any read scope, so without ops.token only who can read the node's home (its token file) may take
 * one. No CORS headers: a browser page cannot read any of it.
 */
export class OpsServer {
  private server: Server | undefined;
  private backupRunning = false;
  private readonly token: Buffer | undefined;
  private readonly backupToken: Buffer | undefined;

  constructor(
    private readonly opts: OpsOptions,
    private readonly deps: OpsServerDeps,
  ) {
    this.token = opts.token ? digest(opts.token) : undefined;
    this.backupToken = opts.token ? this.token : deps.backupToken ? digest(deps.backupToken) : undefined;
  }

  async listen(): Promise<{ host: string; port: number; url: string }> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        this.deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ops request failed');
        if (!res.headersSent) send(res, 500, { error: 'internal' });
        else res.destroy();
      });
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 0; // a backup may take long; idle sockets still time out
    // Longer than a scrape interval: a scraper reuses its socket, and a node whose event loop was
    // busy for seconds does not close it just as the next scrape arrives (client sees "other side closed").
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return { host: this.opts.host, port, url: `http://${host}:${port}` };
  }

  close(): Promise<void> {
    const s = this.server;
    if (s === undefined) return Promise.resolve();
    this.server = undefined;
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  /** No expected token: open (metrics without ops.token); else a matching bearer token. */
  private authorized(req: IncomingMessage, expected = this.token): boolean {
    if (expected === undefined) return true;
    const h = req.headers.authorization;
    if (typeof h !== 'string' || !h.startsWith('Bearer ')) return false;
    return timingSafeEqual(digest(h.slice(7)), expected);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://ops');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (path === '/backup') {
      if (method !== 'POST') return send(res, 405, { error: 'use POST' });
      return this.serveBackup(req, res);
    }
    if (method !== 'GET' && method !== 'HEAD') return send(res, 405, { error: 'use GET' });
    switch (path) {
      case '/livez':
        return send(res, 200, { status: 'ok' });
      case '/readyz': {
        const t = parseThresholds(url.searchParams, this.deps.defaults);
        if (typeof t === 'string') return send(res, 400, { error: t });
        const r = readiness(this.deps.readyInputs(), t);
        return send(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', ...r });
      }
      case '/metrics': {
        if (!this.authorized(req)) return unauthorized(res);
        const text = await this.deps.metrics.scrape();
        res.writeHead(200, { 'content-type': this.deps.metrics.registry.contentType, 'cache-control': 'no-store' });
        res.end(method === 'HEAD' ? undefined : text);
        return;
      }
      default:
        return send(res, 404, { error: 'not found', paths: ['/livez', '/readyz', '/metrics', 'POST /backup'] });
    }
  }

  private async serveBackup(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.deps.backup === undefined || this.backupToken === undefined)
      return send(res, 404, { error: 'backup not available' });
    if (!this.authorized(req, this.backupToken)) return unauthorized(res);
    if (this.backupRunning) return send(res, 409, { error: 'a backup is already running' });
    this.backupRunning = true;
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    try {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
      const sink: Sink = (chunk) =>
        new Promise((resolve, reject) => {
          if (abort.signal.aborted) return reject(new Error('client went away'));
          if (res.write(chunk)) return resolve();
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            abort.signal.aborted ? reject(new Error('client went away')) : resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      const m = await this.deps.backup(sink, abort.signal);
      res.end();
      this.deps.log.info({ height: m.height, entries: m.entries }, 'backup served');
    } catch (err) {
      this.deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'backup failed');
      res.destroy();
    } finally {
      this.backupRunning = false;
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function unauthorized(res: ServerResponse): void {
  res.setHeader('www-authenticate', 'Bearer');
  send(res, 401, { error: 'unauthorized' });
}
