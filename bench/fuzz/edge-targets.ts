/**
 * Fuzz targets at the node's edges that take text or framed bytes: FHIR search query strings,
 * p2p request/response frames, consensus WAL entries and raw HTTP requests to the vault.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import * as varint from 'uint8-varint';
import { decodeProposal, decodeVote } from '../../consensus/engine/messages.js';
import { decodeWalEntry, encodeWalEntry, type WalEntry } from '../../consensus/engine/wal-entries.js';
import { P2pError, P2pErrorCode } from '../../p2p/errors.js';
import { defaultP2pOptions } from '../../p2p/options.js';
import { frame, HEAD, parseFrame, REQ, RES_ERR, RES_OK } from '../../p2p/reqresp.js';
import { decodeRequest, encodeRequestHeader, encodeRequestPayload } from '../../src/client/vault/protocol.js';
import { to0x, utf8 } from '../../src/codec/bytes.js';
import { MedchainError } from '../../src/errors.js';
import { defaultFhirOptions } from '../../src/fhir/options.js';
import { parseSearch, SEARCH_PARAMS, type SearchType } from '../../src/fhir/search.js';
import { listenVault } from '../../src/vault/http.js';
import type { VaultService } from '../../src/vault/service.js';
import * as S from './seeds.js';
import { type Target, Violation } from './targets.js';

const text = new TextDecoder();
const ID = 'ab'.repeat(32);

// ------------------------------------------------------------------ FHIR search

const TYPES = Object.keys(SEARCH_PARAMS) as SearchType[];

/** First byte picks the resource type, the rest is the raw query string. */
const fhirQuery = (type: number, q: string): Uint8Array => new Uint8Array([type, ...utf8(q)]);

function runFhirSearch(x: Uint8Array): undefined {
  if (x.length === 0) throw new MedchainError('FUZZ_EMPTY');
  const type = TYPES[(x[0] as number) % TYPES.length] as SearchType;
  const s = parseSearch(type, text.decode(x.subarray(1)), defaultFhirOptions);
  if (!Number.isSafeInteger(s.count) || s.count < 1 || s.count > defaultFhirOptions.maxCount)
    throw new Violation(`_count ${s.count}`);
  if (s.patient === undefined && s.agent === undefined && s.entity === undefined) throw new Violation('no subject');
  for (const id of [s.patient, s.agent, s.entity]) if (id !== undefined && id.length !== 32) throw new Violation('id');
  for (const r of [s.date, s.period]) {
    if (r === undefined) continue;
    for (const t of [r.from, r.to]) if (t !== undefined && !Number.isFinite(t)) throw new Violation(`time ${t}`);
    if (r.from !== undefined && r.to !== undefined && r.to < r.from) throw new Violation('empty range inverted');
  }
  return undefined;
}

export const fhirSearchTarget: Target = {
  name: 'fhir-search',
  format: 'bytes',
  maxRandom: 300,
  seeds: () => [
    fhirQuery(0, `patient=Patient/${ID}&date=ge2024-01-01&date=lt2025-02-03T10:00:00Z&outcome=0,4&_count=20`),
    fhirQuery(
      0,
      `agent=urn:medchain:identity|0x${ID}&purpose=http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT`,
    ),
    fhirQuery(1, `patient=${ID}&status=active,inactive&period=2024-05&_page=${'0'.repeat(44)}.50`),
    fhirQuery(2, `target=Observation/${ID}`),
  ],
  run: runFhirSearch,
};

// ------------------------------------------------------------------ p2p reqresp frames

const MAX_FRAME = defaultP2pOptions.maxGossipBytes + HEAD;

/**
 * A stream's bytes as a reqresp peer reads them: varint length prefixes (uint8-varint, as
 * lpStream decodes them, with its maxDataLength), each frame parsed as a request when the first
 * frame's kind is REQ, else as a response. Re-framing what was accepted gives the input back.
 */
function runReqresp(x: Uint8Array): Uint8Array {
  const frames: Uint8Array[] = [];
  let off = 0;
  while (off < x.length) {
    let len: number;
    try {
      len = varint.decode(x, off);
    } catch {
      throw new P2pError(P2pErrorCode.PROTOCOL_VIOLATION, { reason: 'bad length' });
    }
    // lpStream's maxDataLength, checked before anything else uses the length.
    if (len > MAX_FRAME) throw new P2pError(P2pErrorCode.PROTOCOL_VIOLATION, { reason: 'frame too large' });
    let n = 1;
    while (((x[off + n - 1] as number) & 0x80) !== 0) n++;
    // lpStream takes a non-minimal varint; it has no canonical form to compare, so it is set apart here.
    if (varint.encodingLength(len) !== n) throw new P2pError(P2pErrorCode.PROTOCOL_VIOLATION, { reason: 'varint' });
    if (off + n + len > x.length) throw new P2pError(P2pErrorCode.PROTOCOL_VIOLATION, { reason: 'truncated' });
    frames.push(x.subarray(off + n, off + n + len));
    off += n + len;
  }
  if (frames.length === 0) throw new P2pError(P2pErrorCode.PROTOCOL_VIOLATION, { reason: 'empty' });
  const expect = frames[0]?.[0] === REQ ? 'request' : 'response';
  const out: Uint8Array[] = [];
  for (const f of frames) {
    const p = parseFrame(f, expect);
    const again = frame(p.kind, p.id, p.body);
    out.push(varint.encode(again.length), again);
  }
  return concat(out);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const lp = (f: Uint8Array): Uint8Array => concat([varint.encode(f.length), f]);

export const reqrespFrameTarget: Target = {
  name: 'reqresp-frame',
  format: 'bytes',
  maxRandom: 200,
  seeds: () => {
    const [req] = S.syncRequestSeeds();
    return [
      concat([lp(frame(REQ, 1, req as Uint8Array)), lp(frame(REQ, 2, new Uint8Array()))]),
      concat([lp(frame(RES_OK, 7, S.statusSeeds()[0] as Uint8Array)), lp(frame(RES_ERR, 0xffffffff, utf8('SYNC_X')))]),
    ];
  },
  run: runReqresp,
};

// ------------------------------------------------------------------ WAL entries

const MAX_WAL_RECORD = 4 * 1024 * 1024;

export const walEntryTarget: Target = {
  name: 'wal-entry',
  format: 'cbor',
  maxRandom: 400,
  seeds: () => {
    const vote = decodeVote(S.voteSeeds()[0] as Uint8Array);
    const proposal = decodeProposal(S.proposalSeeds()[0] as Uint8Array, MAX_WAL_RECORD);
    const entries: WalEntry[] = [
      { kind: 'vote', own: false, vote },
      { kind: 'vote', own: true, vote, lock: { lockedRound: 2, lockedHash: vote.blockHash } },
      { kind: 'proposal', own: true, proposal, lock: { lockedRound: -1, lockedHash: null } },
      { kind: 'proposal', own: false, proposal },
    ];
    return entries.map(encodeWalEntry);
  },
  run: (x) => encodeWalEntry(decodeWalEntry(x, MAX_WAL_RECORD)),
};

// ------------------------------------------------------------------ vault HTTP

/**
 * The vault's HTTP layer (routing, content-length, the request header, body reading) in front of
 * a service that decodes the signed header for real and answers the rest with fixed results.
 */
function stubService(): VaultService {
  const authed = async (h: Uint8Array) => ({ req: decodeRequest(h).req });
  const s = {
    opts: { ratePerAddress: 1e9, maxConnections: 64, maxRecordBytes: 64 * 1024 },
    custodianId: new Uint8Array(32),
    countJunk: () => undefined,
    authenticate: authed,
    admitUpload: async () => ({ release: () => undefined }),
    put: async () => ({ locator: new Uint8Array(32) }),
    putKeys: async () => ({ stored: 1 }),
    open: async () => ({
      blob: new Uint8Array(4),
      wrapped: new Uint8Array(8),
      grant: new Uint8Array(32),
      emergency: false,
      session: null,
      accessTx: '0x00',
    }),
    refusals: async () => ({ refusals: [] }),
    receipt: async () => undefined,
  };
  return s as unknown as VaultService;
}

function httpRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array = new Uint8Array(),
) {
  const h = Object.entries({ host: 'v', ...headers, 'content-length': String(body.length) })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return concat([utf8(`${method} ${path} HTTP/1.1\r\n${h}\r\n`), body]);
}

/** Sends raw bytes, half-closes, collects the whole answer (bounded in time). */
async function exchange(url: URL, x: Uint8Array, ms: number): Promise<string> {
  const sock = connect(Number(url.port), url.hostname);
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  const timer = setTimeout(() => sock.destroy(new Error('hang')), ms);
  try {
    await once(sock, 'connect');
    sock.end(x);
    await once(sock, 'close');
  } finally {
    clearTimeout(timer);
  }
  if (sock.errored?.message === 'hang') throw new Violation(`no answer within ${ms} ms`);
  return Buffer.concat(chunks).toString('latin1');
}

export function vaultHttpTarget(): Target {
  let server: Server | undefined;
  let base: URL | undefined;
  const record = `0x${ID}`;
  const header = (op: 'put' | 'keys' | 'open') =>
    to0x(encodeRequestHeader(encodeRequestPayload(S.vaultRequest(op)), new Uint8Array(64)));
  return {
    name: 'vault-http',
    format: 'bytes',
    maxRandom: 300,
    seeds: async () => {
      const v = await listenVault(stubService(), '127.0.0.1', 0);
      server = v.server;
      base = new URL(v.url);
      return [
        httpRequest('GET', '/v1/health', {}),
        httpRequest('PUT', `/v1/records/${record}`, { 'x-medchain-request': header('put') }, utf8('ciphertext')),
        httpRequest(
          'PUT',
          `/v1/records/${record}/keys`,
          { 'x-medchain-request': header('keys') },
          S.vaultKeysSeeds()[0] as Uint8Array,
        ),
        httpRequest('POST', `/v1/records/${record}/open`, { 'x-medchain-request': header('open') }, utf8('tx')),
        httpRequest('GET', '/v1/refusals?limit=5', { authorization: 'Bearer t' }),
      ];
    },
    run: async (x) => {
      const res = await exchange(base as URL, x, 5_000);
      if (res === '') throw new MedchainError('HTTP_CLOSED'); // incomplete request: the server hung up
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(res)?.[1]);
      if (!Number.isInteger(status)) throw new Violation(`not an HTTP answer: ${res.slice(0, 80)}`);
      if (status >= 500) throw new Violation(`status ${status}: ${res.slice(0, 300)}`);
      if (status >= 400) {
        const code = /"code":"([A-Z_]+)"/.exec(res)?.[1];
        throw new MedchainError(code ?? `HTTP_${status}`); // node:http's own 400 has no body
      }
      return undefined;
    },
    close: async () => {
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    },
  };
}
