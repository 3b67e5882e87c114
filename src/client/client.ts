/**
 * A typed JSON-RPC 2.0 client for a MedChain node over HTTP (fetch) or WebSocket. Method names,
 * params and results are typed from the server's own method definitions (./types.ts). Runs in
 * browsers and Node (Node < 22 needs the `ws` package for WebSocket, loaded on demand).
 */
import { SessionKeeper, SIGN_IN_AGAIN, SignInError } from './auth.js';
import { hex } from './hex.js';
import type { Account } from './tx.js';
import type { JsonRpcError, MethodName, NoParamMethod, Params, Result } from './types.js';

/** A JSON-RPC error reply: `code` is the stable number, `reason` the string code (e.g. TX_EXPIRED). */
export class RpcClientError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly data: JsonRpcError['data'];

  constructor(e: JsonRpcError) {
    super(e.message);
    this.name = 'RpcClientError';
    this.code = e.code;
    this.reason = typeof e.data?.code === 'string' ? e.data.code : String(e.code);
    this.data = e.data;
  }
}

/** The transport failed (connection refused, HTTP status without a JSON-RPC body, socket closed). */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface ClientOptions {
  /**
   * The node's operator token (reads everything). Without `token` and `account`, Node.js clients
   * take MEDCHAIN_RPC_TOKEN from the environment (the devnet's and test nodes' token).
   */
  token?: string;
  /**
   * Sign in as this account's on-chain identity (auth_challenge/auth_login) on first use, and again
   * before the session expires or when the node ends it (key rotated, suspended). Over WebSocket
   * the connection itself is signed in. Takes precedence over `token`.
   */
  account?: Account;
  /** With `account`: refuse to sign a challenge of another chain. */
  chainId?: string;
  /** Per-call timeout (ms), default 65 s (tx_waitFinal waits up to 60 s). */
  timeoutMs?: number;
  /** fetch implementation (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** WebSocket constructor (default: globalThis.WebSocket, else the `ws` package). */
  WebSocket?: WebSocketCtor;
  /** The clock and timer of session renewal (default: Date.now and setTimeout); tests inject their own. */
  timers?: Timers;
}

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  now: Date.now,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

type WebSocketCtor = new (url: string, opts?: unknown) => WebSocketLike;
interface WebSocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

interface Reply {
  jsonrpc: '2.0';
  id?: number | string | null;
  result?: unknown;
  error?: JsonRpcError;
  method?: string;
  params?: { subscription: string; result: unknown };
}

export type BatchCall = { [N in MethodName]: { method: N; params?: Params<N> } }[MethodName];
/** One member of a batch reply: its result, or the error it got. */
export type BatchResult<T = unknown> = { ok: true; result: T } | { ok: false; error: RpcClientError };

interface Transport {
  /** `bearer` overrides the static token (an HTTP session); WS ignores it (signed in in band). */
  send(msgs: object[], expectReplies: boolean, bearer?: string | null): Promise<Reply[]>;
  close(): Promise<void>;
}

/** The operator token from the environment (Node.js only; browsers have no process). */
function envToken(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const t = env?.MEDCHAIN_RPC_TOKEN;
  return t === undefined || t === '' ? undefined : t;
}

/** The static bearer token of a client: its own, else the environment's, none when it signs in. */
function staticToken(o: ClientOptions): string | undefined {
  if (o.account !== undefined) return undefined;
  return o.token ?? envToken();
}

class HttpTransport implements Transport {
  constructor(
    private readonly url: string,
    private readonly o: ClientOptions,
  ) {
    this.token = staticToken(o);
  }

  private readonly token: string | undefined;

  async send(msgs: object[], _expect: boolean, bearer?: string | null): Promise<Reply[]> {
    const f = this.o.fetch ?? globalThis.fetch;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const token = bearer === undefined ? this.token : bearer;
    if (token !== undefined && token !== null) headers.authorization = `Bearer ${token}`;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), this.o.timeoutMs ?? 65_000);
    let res: Response;
    let text: string;
    try {
      res = await f(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(msgs.length === 1 ? msgs[0] : msgs),
        signal: ctl.signal,
      });
      text = await res.text();
    } catch (err) {
      throw new TransportError(`cannot reach ${this.url}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timer);
    }
    if (text === '') return [];
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new TransportError(`HTTP ${res.status}: not a JSON-RPC reply`, res.status);
    }
    return Array.isArray(body) ? (body as Reply[]) : [body as Reply];
  }

  async close(): Promise<void> {}
}

class WsTransport implements Transport {
  private readonly pending = new Map<number | string, (r: Reply) => void>();
  private readonly subs = new Map<string, (event: unknown) => void>();
  private closedErr: TransportError | null = null;

  constructor(
    private readonly ws: WebSocketLike,
    private readonly timeoutMs: number,
  ) {
    ws.onmessage = (ev) => {
      let msg: Reply | Reply[];
      try {
        msg = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data)) as Reply | Reply[];
      } catch {
        return;
      }
      for (const m of Array.isArray(msg) ? msg : [msg]) {
        if (m.method === 'subscription' && m.params !== undefined) {
          this.subs.get(m.params.subscription)?.(m.params.result);
          continue;
        }
        if (m.id === undefined || m.id === null) continue;
        const done = this.pending.get(m.id);
        this.pending.delete(m.id);
        done?.(m);
      }
    };
    ws.onclose = (ev) => {
      this.closedErr = new TransportError(`WebSocket closed (${ev.code})`);
      for (const [id, done] of this.pending)
        done({ jsonrpc: '2.0', id, error: { code: -32000, message: 'closed', data: { code: 'CLOSED' } } });
      this.pending.clear();
    };
  }

  static async open(url: string, o: ClientOptions): Promise<WsTransport> {
    const Ctor = o.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket ?? (await loadWs());
    const token = staticToken(o);
    const headers = token === undefined ? undefined : { headers: { authorization: `Bearer ${token}` } };
    const ws = headers === undefined ? new Ctor(url) : new Ctor(url, headers);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new TransportError(`cannot open WebSocket ${url}`));
      ws.onclose = (ev) => reject(new TransportError(`WebSocket closed (${ev.code})`));
    });
    ws.onerror = null;
    return new WsTransport(ws, o.timeoutMs ?? 65_000);
  }

  send(msgs: object[], expectReplies: boolean): Promise<Reply[]> {
    if (this.closedErr !== null) return Promise.reject(this.closedErr);
    const ids = msgs.map((m) => (m as { id?: number }).id).filter((id): id is number => id !== undefined);
    const replies = ids.map(
      (id) =>
        new Promise<Reply>((resolve) => {
          const timer = setTimeout(() => {
            this.pending.delete(id);
            resolve({
              jsonrpc: '2.0',
              id,
              error: { code: -32004, message: 'client timeout', data: { code: 'TIMEOUT' } },
            });
          }, this.timeoutMs);
          this.pending.set(id, (r) => {
            clearTimeout(timer);
            resolve(r);
          });
        }),
    );
    this.ws.send(JSON.stringify(msgs.length === 1 ? msgs[0] : msgs));
    return expectReplies ? Promise.all(replies) : Promise.resolve([]);
  }

  onSubscription(id: string, fn: (event: unknown) => void): void {
    this.subs.set(id, fn);
  }

  offSubscription(id: string): void {
    this.subs.delete(id);
  }

  async close(): Promise<void> {
    if (this.ws.readyState >= 2) return;
    await new Promise<void>((resolve) => {
      const prev = this.ws.onclose;
      this.ws.onclose = (ev) => {
        prev?.(ev);
        resolve();
      };
      this.ws.close(1000);
    });
  }
}

async function loadWs(): Promise<WebSocketCtor> {
  const mod = (await import('ws')) as unknown as { default: WebSocketCtor };
  return mod.default;
}

/** Topics of `subscribe` and their filters. */
export interface Topics {
  newHeads: Record<string, never>;
  finalized: Record<string, never>;
  events: { type?: string; kinds?: string[]; patient?: string; record?: string; grantee?: string };
}

export class MedchainClient {
  private nextId = 1;
  /** The account's session, when the client signs in. */
  private readonly keeper: SessionKeeper | null;
  /** The account's key-only session (its txs' receipts while it has no identity), made on demand. */
  private readonly keyKeeper: SessionKeeper | null;
  private renewTimer: unknown = null;
  private readonly timers: Timers;
  /** WS: whether the connection is signed in as the account's identity. */
  private wsSignedIn = false;
  /** WS: an account not on chain (yet) tries to sign in again no sooner than this. */
  private nextSignInAt = 0;
  /** WS: why the last sign-in failed (AUTH_KEY_NOT_CURRENT), told when the key session cannot help either. */
  private signInError: RpcClientError | null = null;

  private constructor(
    private readonly t: Transport,
    readonly url: string,
    opts: ClientOptions,
  ) {
    this.timers = opts.timers ?? realTimers;
    const now = this.timers.now;
    const plain = (m: string, p: unknown) => this.plain(m, p);
    const a = opts.account;
    this.keeper = a === undefined ? null : new SessionKeeper(a, plain, opts.chainId, now);
    this.keyKeeper = a === undefined ? null : new SessionKeeper(a, plain, opts.chainId, now, true);
  }

  /** A client over HTTP POST (each call one request; batches in one). */
  static http(url: string, opts: ClientOptions = {}): MedchainClient {
    return new MedchainClient(new HttpTransport(url, opts), url, opts);
  }

  /**
   * A client over one WebSocket (needed for subscriptions). Accepts http:// or ws:// URLs. With an
   * account the connection signs in at once and renews itself, so subscriptions keep flowing. An
   * account not on chain (yet) opens with the public's scope and signs in on a later call once its
   * identity exists; a scoped topic asked for before then is refused with AUTH_NOT_SIGNED_IN.
   */
  static async ws(url: string, opts: ClientOptions = {}): Promise<MedchainClient> {
    const wsUrl = url.replace(/^http/, 'ws');
    const c = new MedchainClient(await WsTransport.open(wsUrl, opts), wsUrl, opts);
    if (c.keeper !== null) await c.trySignInWs();
    return c;
  }

  /** WS: signs the connection in; false (public scope, tried again later) while the account is not on chain. */
  private async trySignInWs(): Promise<boolean> {
    try {
      await this.keepSignedIn();
      return true;
    } catch (err) {
      if (!(err instanceof RpcClientError && err.reason === 'AUTH_KEY_NOT_CURRENT')) throw err;
      this.signInError = err;
      this.nextSignInAt = this.timers.now() + SIGN_IN_RETRY_MS;
      return false;
    }
  }

  /** WS: sign in now, in band, and schedule the renewal before expiry. */
  private async keepSignedIn(): Promise<void> {
    if (this.keeper === null) return;
    this.keeper.invalidate();
    const t = this.timers;
    const started = t.now();
    await this.keeper.token();
    const r = (await this.plain('auth_session', undefined)) as { expiresAt: number | null };
    this.wsSignedIn = true;
    const lifetimeMs = r.expiresAt === null ? 60_000 : Math.max(1_000, (r.expiresAt - t.now()) * 0.8);
    this.schedule(() => this.renew(0), lifetimeMs - (t.now() - started));
  }

  /**
   * WS renewal: a failure (node busy, connection hiccup) is retried after RENEW_BACKOFF_MS, doubling
   * up to RENEW_BACKOFF_MAX_MS, at most RENEW_ATTEMPTS times; a refusal that retrying cannot change
   * (key rotated, suspended) is not retried. After that, calls sign in when the node asks them to.
   */
  private renew(attempt: number): void {
    this.keepSignedIn().catch((err: unknown) => {
      const final = err instanceof SignInError || (err instanceof RpcClientError && FINAL_REFUSALS.has(err.reason));
      if (final || attempt + 1 >= RENEW_ATTEMPTS || this.renewTimer === null) return;
      this.schedule(() => this.renew(attempt + 1), Math.min(RENEW_BACKOFF_MAX_MS, RENEW_BACKOFF_MS * 2 ** attempt));
    });
  }

  private schedule(fn: () => void, ms: number): void {
    if (this.renewTimer !== null) this.timers.clearTimeout(this.renewTimer);
    this.renewTimer = this.timers.setTimeout(fn, ms);
    // Renewal alone does not keep a process alive.
    (this.renewTimer as { unref?: () => void }).unref?.();
  }

  /** One call with no session (sign-in itself); rejects on a JSON-RPC error. */
  private async plain(method: string, params: unknown): Promise<unknown> {
    const msg: Record<string, unknown> = { jsonrpc: '2.0', id: this.nextId++, method };
    if (params !== undefined) msg.params = params;
    const [reply] = await this.t.send([msg], true, null);
    if (reply === undefined) throw new TransportError('empty reply');
    if (reply.error !== undefined) throw new RpcClientError(reply.error);
    return reply.result;
  }

  /** Sends with the session (signing in first if needed); signs in again once if the node ended it. */
  private async exchange(msgs: object[], expectReplies: boolean): Promise<Reply[]> {
    if (this.keeper === null) return this.t.send(msgs, expectReplies);
    if (!(this.t instanceof HttpTransport)) return this.exchangeWs(msgs, expectReplies);
    const replies = await this.t.send(msgs, expectReplies, await this.keeper.token());
    if (!replies.some(needsSignIn)) return replies;
    this.keeper.invalidate();
    return this.t.send(msgs, expectReplies, await this.keeper.token());
  }

  /** WS: a connection not signed in (its account was not on chain) tries again, at most every SIGN_IN_RETRY_MS. */
  private async exchangeWs(msgs: object[], expectReplies: boolean): Promise<Reply[]> {
    if (!this.wsSignedIn && this.timers.now() >= this.nextSignInAt) await this.trySignInWs();
    const replies = await this.t.send(msgs, expectReplies);
    if (!replies.some(needsSignIn)) return replies;
    this.wsSignedIn = false;
    await this.keepSignedIn();
    return this.t.send(msgs, expectReplies);
  }

  /**
   * One call under the account's key-only session (auth_keyChallenge): for the receipt of a tx the
   * account signed while it has no identity to sign in with. Over WS the connection is signed in
   * with the key (and as the identity again on a later call, once it exists).
   */
  private async asKey(method: string, params: unknown): Promise<unknown> {
    const k = this.keyKeeper as SessionKeeper;
    const msg = { jsonrpc: '2.0', id: this.nextId++, method, params };
    let reply: Reply | undefined;
    if (this.t instanceof HttpTransport) {
      [reply] = await this.t.send([msg], true, await k.token());
      if (reply !== undefined && needsSignIn(reply)) {
        k.invalidate();
        [reply] = await this.t.send([msg], true, await k.token());
      }
    } else {
      k.invalidate();
      this.wsSignedIn = false;
      await k.token();
      [reply] = await this.t.send([msg], true);
    }
    if (reply === undefined) throw new TransportError('empty reply');
    if (reply.error !== undefined) throw new RpcClientError(reply.error);
    return reply.result;
  }

  /** Calls a method with by-name params; rejects with RpcClientError on a JSON-RPC error. */
  call<N extends NoParamMethod>(method: N, params?: Params<N>): Promise<Result<N>>;
  call<N extends MethodName>(method: N, params: Params<N>): Promise<Result<N>>;
  async call<N extends MethodName>(method: N, params?: Params<N>): Promise<Result<N>> {
    return (await this.raw(method, params)) as Result<N>;
  }

  /** Any method by name (e.g. rpc.discover), untyped. */
  async raw(method: string, params?: unknown): Promise<unknown> {
    const id = this.nextId++;
    const msg: Record<string, unknown> = { jsonrpc: '2.0', id, method };
    if (params !== undefined) msg.params = params;
    const [reply] = await this.exchange([msg], true);
    if (reply === undefined) throw new TransportError('empty reply');
    if (reply.error !== undefined) throw new RpcClientError(reply.error);
    return reply.result;
  }

  /** A notification: no reply, no error (JSON-RPC 2.0 §4.1). */
  async notify(method: string, params?: unknown): Promise<void> {
    const msg: Record<string, unknown> = { jsonrpc: '2.0', method };
    if (params !== undefined) msg.params = params;
    await this.exchange([msg], false);
  }

  /** Several calls in one JSON-RPC batch; results in call order, each ok or failed on its own. */
  async batch(calls: readonly BatchCall[]): Promise<BatchResult[]> {
    if (calls.length === 0) return [];
    const first = this.nextId;
    const msgs = calls.map((c) => {
      const m: Record<string, unknown> = { jsonrpc: '2.0', id: this.nextId++, method: c.method };
      if (c.params !== undefined) m.params = c.params;
      return m;
    });
    const replies = await this.exchange(msgs, true);
    const byId = new Map(replies.map((r) => [r.id, r]));
    return calls.map((_, i) => {
      const r = byId.get(first + i);
      if (r === undefined)
        return {
          ok: false,
          error: new RpcClientError({ code: -32603, message: 'no reply', data: { code: 'NO_REPLY' } }),
        };
      return r.error !== undefined ? { ok: false, error: new RpcClientError(r.error) } : { ok: true, result: r.result };
    });
  }

  /**
   * Subscribes to a topic (WebSocket clients only); returns a function that unsubscribes.
   * Events arrive in commit order.
   */
  async subscribe<T extends keyof Topics>(
    topic: T,
    filter: Topics[T] | undefined,
    onEvent: (event: unknown) => void,
  ): Promise<() => Promise<void>> {
    if (!(this.t instanceof WsTransport))
      throw new TransportError('subscriptions need a WebSocket client (MedchainClient.ws)');
    const t = this.t;
    if (this.keeper !== null && !PUBLIC_TOPICS.has(topic) && !this.wsSignedIn) {
      // Ask once more now: the account may have been registered since.
      this.nextSignInAt = 0;
      try {
        await this.keepSignedIn();
      } catch (err) {
        throw new SignInError('AUTH_NOT_SIGNED_IN', { cause: err });
      }
    }
    const id = (await this.raw('subscribe', filter === undefined ? [topic] : [topic, filter])) as string;
    t.onSubscription(id, onEvent);
    return async () => {
      t.offSubscription(id);
      await this.raw('unsubscribe', [id]);
    };
  }

  // ---- conveniences ----

  status(): Promise<Result<'chain_getStatus'>> {
    return this.call('chain_getStatus');
  }

  /**
   * Submits signed tx bytes (or a Tx with `bytes`); resolves to the tx hash once in the mempool.
   * A node too busy to check signatures (TX_NODE_BUSY) is asked again after a growing, jittered
   * pause, BUSY_ATTEMPTS times in all; then its refusal is thrown.
   */
  async submit(tx: Uint8Array | { bytes: Uint8Array }): Promise<string> {
    const params = { tx: hex(tx instanceof Uint8Array ? tx : tx.bytes) };
    for (let attempt = 1; ; attempt++) {
      try {
        // A signed tx speaks for itself (tx_submit is public): an account submits without a session,
        // so one that is not on chain yet (a patient registering herself) can submit.
        if (this.keeper !== null) return (await this.plain('tx_submit', params)) as string;
        return await this.call('tx_submit', params);
      } catch (err) {
        if (!(err instanceof RpcClientError && err.reason === 'TX_NODE_BUSY') || attempt >= BUSY_ATTEMPTS) throw err;
        const pause = Math.min(BUSY_BACKOFF_MAX_MS, BUSY_BACKOFF_MS * 2 ** (attempt - 1));
        // Jitter: clients refused together do not all come back together.
        await new Promise<void>((r) => this.timers.setTimeout(r, pause * (0.5 + Math.random() / 2)));
      }
    }
  }

  /**
   * Waits until the tx is final (committed) and returns its receipt with proofs. An account that
   * cannot sign in (it has no identity: its own registration is the tx, and may fail) waits under a
   * key-only session, which the node lets read the txs this key signed, so it learns the outcome,
   * failure code included. When that is refused too (the key was rotated away: the tx rotated it),
   * the sign-in's AUTH_KEY_NOT_CURRENT is what it throws.
   */
  async waitFinal(hash: string, timeoutMs = 30_000): Promise<Result<'tx_waitFinal'>> {
    const params = { hash, timeoutMs };
    if (this.keeper === null) return this.call('tx_waitFinal', params);
    const http = this.t instanceof HttpTransport;
    if (!http && !this.wsSignedIn && this.timers.now() >= this.nextSignInAt) await this.trySignInWs();
    if (!http && !this.wsSignedIn) return this.waitAsKey(params, this.signInError);
    try {
      return await this.call('tx_waitFinal', params);
    } catch (err) {
      if (!(http && err instanceof RpcClientError && err.reason === 'AUTH_KEY_NOT_CURRENT')) throw err;
      return this.waitAsKey(params, err);
    }
  }

  private async waitAsKey(
    params: { hash: string; timeoutMs: number },
    signInError: RpcClientError | null,
  ): Promise<Result<'tx_waitFinal'>> {
    try {
      return (await this.asKey('tx_waitFinal', params)) as Result<'tx_waitFinal'>;
    } catch (err) {
      if (signInError !== null && err instanceof RpcClientError && err.reason === 'OUT_OF_SCOPE') throw signInError;
      throw err;
    }
  }

  /** submit + waitFinal. The receipt's `status` tells whether the chain accepted (ok), denied or failed it. */
  async send(tx: Uint8Array | { bytes: Uint8Array }, timeoutMs?: number): Promise<Result<'tx_waitFinal'>> {
    return this.waitFinal(await this.submit(tx), timeoutMs);
  }

  close(): Promise<void> {
    const timer = this.renewTimer;
    this.renewTimer = null;
    if (timer !== null) this.timers.clearTimeout(timer);
    return this.t.close();
  }
}

/** WS: how often calls try to sign in while the account is not on chain. */
const SIGN_IN_RETRY_MS = 500;
/** WS renewal retries: first delay, cap, and number of attempts. */
const RENEW_BACKOFF_MS = 1_000;
const RENEW_BACKOFF_MAX_MS = 30_000;
const RENEW_ATTEMPTS = 8;
/** tx_submit refused TX_NODE_BUSY: first pause, cap, and attempts in all (about 6 s of retries). */
const BUSY_BACKOFF_MS = 200;
const BUSY_BACKOFF_MAX_MS = 3_200;
const BUSY_ATTEMPTS = 6;
/** Refusals that a renewal retry cannot change. */
const FINAL_REFUSALS: ReadonlySet<string> = new Set(['AUTH_KEY_NOT_CURRENT', 'AUTH_SUSPENDED', 'AUTH_BAD_SIGNATURE']);
/** Topics any caller may subscribe to; the others need a signed-in identity. */
const PUBLIC_TOPICS: ReadonlySet<string> = new Set(['newHeads', 'finalized']);

const needsSignIn = (r: Reply): boolean => {
  const code = r.error?.data?.code;
  return typeof code === 'string' && SIGN_IN_AGAIN.has(code);
};

/** Re-exported: callers across the repo import them from here. */
export { hex, unhex } from './hex.js';
