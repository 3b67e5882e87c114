/**
 * A read-only static file mount (the console at /console/): GET and HEAD only, files of one
 * directory listed once at start (no path from the request ever reaches the file system, so no
 * traversal), known content types only, and a strict Content-Security-Policy: the page may load
 * and connect to its own origin and nothing else.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { type HttpMount, underBasePath } from './http.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** 'self' covers ws: of the same host (CSP 3), so the WebSocket needs no host in the policy. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

interface Asset {
  type: string;
  body: Buffer;
}

export interface StaticOptions {
  /** The URL prefix without trailing slash, e.g. /console. */
  basePath: string;
  /** The directory served (read once at construction; files of unknown type are left out). */
  dir: string;
  /** Largest file served (bytes). */
  maxFileBytes?: number;
}

export class StaticMount implements HttpMount {
  private readonly assets = new Map<string, Asset>();

  constructor(private readonly opts: StaticOptions) {
    const max = opts.maxFileBytes ?? 8 * 1024 * 1024;
    let names: string[] = [];
    try {
      names = readdirSync(opts.dir);
    } catch {
      // Not built: every path answers 404 with a hint.
    }
    for (const name of names) {
      const type = TYPES[extname(name)];
      const file = join(opts.dir, name);
      if (type === undefined || !/^[\w.-]+$/.test(name)) continue;
      const st = statSync(file);
      if (!st.isFile() || st.size > max) continue;
      this.assets.set(name, { type, body: readFileSync(file) });
    }
  }

  /** Whether anything is served (the console was built). */
  get available(): boolean {
    return this.assets.has('index.html');
  }

  owns(url: string | undefined): boolean {
    return underBasePath(url, this.opts.basePath);
  }

  readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    req.on('error', () => {});
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.plain(res, 405, 'Method not allowed', { allow: 'GET, HEAD' });
      return;
    }
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const b = this.opts.basePath;
    if (path === b) {
      this.plain(res, 308, 'Moved', { location: `${b}/` });
      return;
    }
    // One flat level of known names: anything else (dots, slashes, encodings) is simply not found.
    const rest = path.slice(b.length + 1);
    const name = rest === '' ? 'index.html' : rest;
    const asset = this.assets.get(name);
    if (asset === undefined) {
      this.plain(res, 404, this.available ? 'Not found' : 'The console is not built: run npm run build');
      return;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': asset.type,
      'content-length': asset.body.length,
      // The page itself is revalidated (it names the bundle); the bundle is small.
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };

  private plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      ...extra,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }
}
