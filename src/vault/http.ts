/**
 * The vault's HTTP API (node:http). Binary bodies, the signed request in a header, coded JSON errors:
 *   PUT  /v1/records/:id          body: ciphertext blob               → {locator}
 *   PUT  /v1/records/:id/keys     body: CBOR [[grantee, grant, wrapped], ...] → {stored}
 *   POST /v1/records/:id/open     body: the requester's signed ACCESS tx → blob, with headers
 *        x-medchain-wrapped, x-medchain-grant, x-medchain-emergency, x-medchain-session, x-medchain-access-tx
 *   GET  /v1/records/:id/receipt  → the signed deletion receipt
 *   GET  /v1/refusals?limit=&before=  → the refusal log, newest first (custodian-signed `refusals`
 *        request, or `authorization: Bearer <operator token>`)
 *   GET  /v1/health
 * Every request is charged to its address's rate first; a signed request is authenticated from
 * its header before its body is read, and the body is read up to its declared content-length,
 * bounded per op. Connections beyond maxConnections are dropped.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HTTP_STATUS,
  MAX_REQUEST_HEADER,
  REQUEST_HEADER,
  VaultError,
  VaultErrorCode,
} from '../client/vault/protocol.js';
import { from0x, to0x } from '../codec/bytes.js';
import { TokenBuckets } from './rate.js';
import { MAX_KEYS_BODY, MAX_OPEN_BODY, type VaultService } from './service.js';

const ROUTE = /^\/v1\/records\/(0x[0-9a-fA-F]{64})(\/keys|\/open|\/receipt)?$/;
const REFUSALS = /^\/v1\/refusals(?:\?limit=(\d{1,4}))?(?:[?&]before=([0-9a-f]{24}))?$/;

/** The body's declared length: required, and at most `max`. */
function declaredLength(req: IncomingMessage, max: number): number {
  const h = req.headers['content-length'];
  if (h === undefined || !/^\d{1,12}$/.test(h))
    throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'content-length' });
  const len = Number(h);
  if (len > max) throw new VaultError(VaultErrorCode.TOO_LARGE, { size: len, max });
  return len;
}

/** Reads exactly `len` bytes (node:http enforces content-length framing; more is refused). */
function readBody(req: IncomingMessage, len: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > len) {
        reject(new VaultError(VaultErrorCode.TOO_LARGE, { max: len }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const b = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      resolve(new Uint8Array(b.buffer, b.byteOffset, b.length));
    });
    req.on('error', reject);
  });
}

function requestHeader(req: IncomingMessage): Uint8Array {
  const h = req.headers[REQUEST_HEADER];
  // Whole bytes only: an odd digit count would reach from0x and fail uncoded (a 500).
  if (typeof h !== 'string' || h.length > 2 * MAX_REQUEST_HEADER + 2 || !/^0x(?:[0-9a-fA-F]{2})*$/.test(h))
    throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'request header' });
  return from0x(h);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

/** A coded error; if the body was never read, the connection is closed after it (no draining a large upload). */
function sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (!req.complete) res.setHeader('connection', 'close');
  if (err instanceof VaultError) {
    const reason = typeof err.meta.reason === 'string' ? err.meta.reason : undefined;
    json(res, HTTP_STATUS[err.code], {
      error: { code: err.code, ...(reason ? { reason } : {}), message: err.message },
    });
  } else json(res, 500, { error: { code: 'VAULT_INTERNAL', message: 'internal error' } });
  if (!req.complete) res.on('finish', () => req.destroy());
}

/** The node's /vault proxy's headers (rpc/vault-proxy.ts; the edge does not import the vault). */
const PROXY_HEADER = 'x-medchain-proxy';
const CLIENT_HEADER = 'x-medchain-client';
/** A client key as the proxy makes it: an IPv4 address or an IPv6 /64 (rpc/rate-limit.ts clientKey). */
const CLIENT_KEY = /^[0-9a-f.:/]{1,64}$/;

/**
 * The per-address rate key of a request: its socket's address, or, when the node's proxy vouches
 * for it with the shared secret (compared in constant time), the caller the proxy forwards for.
 * A caller cannot pick its own key: without the secret the header is ignored.
 */
function proxiedRateKey(secret: string | undefined): (req: IncomingMessage) => string {
  const want = secret === undefined ? null : createHash('sha256').update(secret).digest();
  return (req) => {
    const address = req.socket.remoteAddress ?? '';
    const s = req.headers[PROXY_HEADER];
    const c = req.headers[CLIENT_HEADER];
    if (want === null || typeof s !== 'string' || typeof c !== 'string' || !CLIENT_KEY.test(c)) return address;
    return timingSafeEqual(createHash('sha256').update(s).digest(), want) ? `proxy:${c}` : address;
  };
}

export async function listenVault(
  service: VaultService,
  host: string,
  port: number,
): Promise<{ server: Server; url: string; outcomes: ReadonlyMap<string, number> }> {
  const o = service.opts;
  const perAddress = new TokenBuckets(o.ratePerAddress, () => performance.now());
  // Requests by outcome (`ok` or the coded error) since start, for the node's metrics.
  const outcomes = new Map<string, number>();
  const count = (k: string): void => void outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  const server = createServer((req, res) => {
    handle(req, res).then(
      () => count('ok'),
      (err) => {
        count(err instanceof VaultError ? err.code : 'VAULT_INTERNAL');
        sendError(req, res, err);
      },
    );
  });
  server.maxConnections = o.maxConnections;
  const rateKey = proxiedRateKey(o.proxySecret);
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!perAddress.take(rateKey(req))) {
      const e = new VaultError(VaultErrorCode.RATE_LIMITED);
      service.countJunk(e);
      throw e;
    }
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/v1/health') {
      json(res, 200, { ok: true, custodian: to0x(service.custodianId) });
      return;
    }
    const rf = req.method === 'GET' ? REFUSALS.exec(url) : null;
    if (rf !== null) {
      const auth = req.headers.authorization;
      const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
      const header = req.headers[REQUEST_HEADER] === undefined ? undefined : requestHeader(req);
      const page = await service.refusals(
        { ...(token === undefined ? {} : { token }), ...(header === undefined ? {} : { header }) },
        rf[1] === undefined ? 100 : Number(rf[1]),
        rf[2],
      );
      json(res, 200, page);
      return;
    }
    const m = ROUTE.exec(url);
    if (m === null) throw new VaultError(VaultErrorCode.NOT_FOUND, { what: 'route' });
    const record = from0x(m[1] as string);
    const sub = m[2] ?? '';
    if (req.method === 'GET' && sub === '/receipt') {
      const r = await service.receipt(record);
      if (r === undefined) throw new VaultError(VaultErrorCode.NOT_FOUND);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(r);
      return;
    }
    if (req.method === 'PUT' && sub === '') {
      const a = await service.authenticate(requestHeader(req), 'put', record);
      const len = declaredLength(req, o.maxRecordBytes);
      const held = await service.admitUpload(a, record, len);
      try {
        const r = await service.put(held, record, await readBody(req, len));
        json(res, 201, { locator: to0x(r.locator) });
      } finally {
        held.release();
      }
      return;
    }
    if (req.method === 'PUT' && sub === '/keys') {
      const a = await service.authenticate(requestHeader(req), 'keys', record);
      json(res, 201, await service.putKeys(a, record, await readBody(req, declaredLength(req, MAX_KEYS_BODY))));
      return;
    }
    if (req.method === 'POST' && sub === '/open') {
      const a = await service.authenticate(requestHeader(req), 'open', record);
      const s = await service.open(a, record, await readBody(req, declaredLength(req, MAX_OPEN_BODY)));
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': s.blob.length,
        'x-medchain-wrapped': to0x(s.wrapped),
        'x-medchain-grant': to0x(s.grant),
        'x-medchain-emergency': s.emergency ? '1' : '0',
        'x-medchain-session': s.session === null ? '' : to0x(s.session),
        'x-medchain-access-tx': s.accessTx,
      });
      res.end(s.blob);
      return;
    }
    throw new VaultError(VaultErrorCode.NOT_FOUND, { what: 'route' });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return { server, url: `http://${a.address}:${a.port}`, outcomes };
}
