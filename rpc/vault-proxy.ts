/**
 * The custodian vault beside the node, under the node's own origin (<rpc>/vault/...), so the
 * console (whose CSP connects to its own origin only) can open records through it. Only what a
 * browser needs is forwarded: GET /v1/health, POST /v1/records/:id/open, GET /v1/records/:id/receipt.
 * Bodies are bounded both ways; the vault authenticates every request itself (signed header), so
 * the proxy adds no authority: it forwards the signed header and nothing of the caller's
 * cookies or tokens, only which caller it forwards for (so the vault's rate is per caller). It
 * logs status codes only: ids, headers and bodies may name patients.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:http';
import { type HttpMount, underBasePath } from './http.js';
import { clientKey } from './rate-limit.js';

const ROUTES: readonly [string, RegExp][] = [
  ['GET', /^\/v1\/health$/],
  ['POST', /^\/v1\/records\/0x[0-9a-fA-F]{64}\/open$/],
  ['GET', /^\/v1\/records\/0x[0-9a-fA-F]{64}\/receipt$/],
];
/** The vault's signed-request header (src/client/vault/protocol.ts: the edge does not import the SDK). */
const REQUEST_HEADER = 'x-medchain-request';
const MAX_REQUEST_HEADER_CHARS = 2 * 1024 + 2;
/** The vault charges its per-address rate to the caller named here when the secret vouches for it (src/vault/http.ts). */
const PROXY_HEADER = 'x-medchain-proxy';
const CLIENT_HEADER = 'x-medchain-client';
const PASS_BACK = [
  'content-type',
  'x-medchain-wrapped',
  'x-medchain-grant',
  'x-medchain-emergency',
  'x-medchain-session',
  'x-medchain-access-tx',
];

export interface VaultProxyOptions {
  basePath: string;
  /** The open request: a signed ACCESS tx (the vault's own bound is 8 KiB). */
  maxRequestBytes: number;
  /** A record's ciphertext (the vault's maxRecordBytes, 16 MiB by default, plus its envelope). */
  maxResponseBytes: number;
  timeoutMs: number;
}

export const defaultVaultProxyOptions: VaultProxyOptions = {
  basePath: '/vault',
  maxRequestBytes: 8 * 1024,
  maxResponseBytes: 16 * 1024 * 1024 + 4096,
  timeoutMs: 30_000,
};

export interface ProxyLog {
  warn(obj: object, msg: string): void;
}

export class VaultProxy implements HttpMount {
  private target: URL | null = null;
  private secret: string | null = null;
  private readonly o: VaultProxyOptions;

  constructor(
    o: Partial<VaultProxyOptions> = {},
    private readonly log?: ProxyLog,
  ) {
    this.o = { ...defaultVaultProxyOptions, ...o };
  }

  /**
   * The vault's URL, once it runs (until then, and without a vault, requests answer 503), and the
   * secret it shares with this proxy (its `proxySecret`): with it, each forwarded request names its
   * caller (the client address as the node sees it), so the vault's per-address allowance is per
   * caller, not one for everyone behind the proxy.
   */
  setTarget(url: string | null, secret: string | null = null): void {
    this.target = url === null ? null : new URL(url);
    this.secret = secret;
  }

  owns(url: string | undefined): boolean {
    return underBasePath(url, this.o.basePath);
  }

  readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    req.on('error', () => {});
    const path = (req.url ?? '').slice(this.o.basePath.length);
    const route = ROUTES.find(([m, re]) => m === req.method && re.test(path));
    if (route === undefined) {
      this.fail(res, 404, 'NOT_FOUND');
      return;
    }
    if (this.target === null) {
      this.fail(res, 503, 'UNAVAILABLE');
      return;
    }
    const headers: Record<string, string | number> = {};
    if (this.secret !== null) {
      headers[PROXY_HEADER] = this.secret;
      headers[CLIENT_HEADER] = clientKey(req.socket.remoteAddress);
    }
    const signed = req.headers[REQUEST_HEADER];
    if (typeof signed === 'string') {
      if (signed.length > MAX_REQUEST_HEADER_CHARS) {
        this.fail(res, 400, 'BAD_REQUEST');
        return;
      }
      headers[REQUEST_HEADER] = signed;
    }
    if (req.method === 'POST') {
      const len = req.headers['content-length'];
      if (len === undefined || !/^\d{1,9}$/.test(len)) {
        this.fail(res, 400, 'BAD_REQUEST');
        return;
      }
      if (Number(len) > this.o.maxRequestBytes) {
        this.fail(res, 413, 'TOO_LARGE');
        return;
      }
      headers['content-length'] = Number(len);
      headers['content-type'] = 'application/octet-stream';
    }
    const up = request(
      {
        host: this.target.hostname,
        port: this.target.port,
        path,
        method: req.method,
        headers,
        timeout: this.o.timeoutMs,
      },
      (answer) => this.relay(answer, res),
    );
    up.on('timeout', () => up.destroy(new Error('timeout')));
    up.on('error', () => {
      this.log?.warn({ status: 502 }, 'vault proxy: the vault did not answer');
      if (!res.headersSent) this.fail(res, 502, 'UNAVAILABLE');
      else res.destroy();
    });
    if (req.method === 'POST') {
      // node:http frames the body by content-length: no more than declared reaches the vault.
      req.pipe(up);
    } else up.end();
  };

  private relay(answer: IncomingMessage, res: ServerResponse): void {
    // A declared length over the bound is refused whole; an undeclared one (the vault's JSON
    // receipts are chunked) is counted as it streams and cut at the bound.
    const len = answer.headers['content-length'];
    const declared = len !== undefined && /^\d{1,10}$/.test(len) ? Number(len) : null;
    if (len !== undefined && (declared === null || declared > this.o.maxResponseBytes)) {
      answer.destroy();
      this.log?.warn({ status: 502 }, 'vault proxy: answer too large');
      this.fail(res, 502, 'TOO_LARGE');
      return;
    }
    const headers: Record<string, string | number> = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    };
    for (const h of PASS_BACK) {
      const v = answer.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    if (declared !== null) headers['content-length'] = declared;
    res.writeHead(answer.statusCode ?? 502, headers);
    let n = 0;
    answer.on('data', (c: Buffer) => {
      n += c.length;
      if (n > this.o.maxResponseBytes) {
        answer.destroy();
        res.destroy();
        return;
      }
      res.write(c);
    });
    answer.on('end', () => res.end());
    answer.on('error', () => res.destroy());
  }

  private fail(res: ServerResponse, status: number, code: string): void {
    const body = JSON.stringify({ error: { code } });
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(body);
  }
}
