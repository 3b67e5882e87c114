/**
 * The vault's HTTP API (node:http). Binary bodies, the signed request in a header, coded JSON errors:
 *   PUT  /v1/records/:id          body: ciphertext blob               → {locator}
 *   PUT  /v1/records/:id/keys     body: CBOR [[grantee, grant, wrapped], ...] → {stored}
 *   POST /v1/records/:id/open     body: the requester's signed ACCESS tx → blob, with headers
 *        x-medchain-wrapped, x-medchain-grant, x-medchain-emergency, x-medchain-session, x-medchain-access-tx
 *   GET  /v1/records/:id/receipt  → the signed deletion receipt
 *   GET  /v1/refusals             → the refusal log (ids and codes only)
 *   GET  /v1/health
 */
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
import type { VaultService } from './service.js';

const ROUTE = /^\/v1\/records\/(0x[0-9a-fA-F]{64})(\/keys|\/open|\/receipt)?$/;

function readBody(req: IncomingMessage, max: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const len = Number(req.headers['content-length'] ?? 0);
    if (len > max) {
      reject(new VaultError(VaultErrorCode.TOO_LARGE, { size: len, max }));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new VaultError(VaultErrorCode.TOO_LARGE, { max }));
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
  if (typeof h !== 'string' || h.length > 2 * MAX_REQUEST_HEADER + 2 || !/^0x[0-9a-fA-F]*$/.test(h))
    throw new VaultError(VaultErrorCode.BAD_REQUEST, { what: 'request header' });
  return from0x(h);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof VaultError) {
    const reason = typeof err.meta.reason === 'string' ? err.meta.reason : undefined;
    json(res, HTTP_STATUS[err.code], {
      error: { code: err.code, ...(reason ? { reason } : {}), message: err.message },
    });
    return;
  }
  json(res, 500, { error: { code: 'VAULT_INTERNAL', message: 'internal error' } });
}

export async function listenVault(
  service: VaultService,
  host: string,
  port: number,
): Promise<{ server: Server; url: string; outcomes: ReadonlyMap<string, number> }> {
  const maxBody = service.opts.maxRecordBytes;
  // Requests by outcome (`ok` or the coded error) since start, for the node's metrics.
  const outcomes = new Map<string, number>();
  const count = (k: string): void => void outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  const server = createServer((req, res) => {
    handle(req, res).then(
      () => count('ok'),
      (err) => {
        count(err instanceof VaultError ? err.code : 'VAULT_INTERNAL');
        sendError(res, err);
      },
    );
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/v1/health') {
      json(res, 200, { ok: true, custodian: to0x(service.custodianId) });
      return;
    }
    if (req.method === 'GET' && url === '/v1/refusals') {
      json(res, 200, { refusals: await service.deps.store.refusals() });
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
      const header = requestHeader(req);
      const r = await service.put(header, record, await readBody(req, maxBody));
      json(res, 201, { locator: to0x(r.locator) });
      return;
    }
    if (req.method === 'PUT' && sub === '/keys') {
      const header = requestHeader(req);
      json(res, 201, await service.putKeys(header, record, await readBody(req, 64 * 1024)));
      return;
    }
    if (req.method === 'POST' && sub === '/open') {
      const header = requestHeader(req);
      const s = await service.open(header, record, await readBody(req, 8 * 1024));
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
