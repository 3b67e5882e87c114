/** JSON-RPC server options. Every limit is explicit so a breach is a coded error, never a crash. */
export interface RateLimitOptions {
  /** Sustained calls per second per client (IPv4 address or IPv6 /64); each batch member counts. */
  perSecond: number;
  /** Bucket size: calls a fresh client may make at once. */
  burst: number;
  /** Clients tracked at once; idle (full) buckets are dropped first. */
  maxClients: number;
}

export interface RpcOptions {
  /** Loopback by default: the node's RPC is an operator/client interface, not a public one. */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /**
   * The operator token: `Authorization: Bearer <token>` reads everything. Without a guard (scope
   * rules) every HTTP request and WS upgrade needs it; with one, other callers are public or
   * signed-in identities and each method's scope decides.
   */
  authToken: string | null;
  /**
   * Browser origins allowed to call (exact `Origin` header values). Requests carrying any other
   * Origin get 403: this stops web pages (and DNS rebinding) from driving a local node. The node's
   * own origin (its console) is allowed when the Host is an IP literal or localhost.
   */
  allowedOrigins: readonly string[];
  /** HTTP request body limit, counted while streaming (413 beyond). */
  maxBodyBytes: number;
  /** Nesting of arrays/objects, checked on the raw bytes before JSON.parse. */
  maxJsonDepth: number;
  /** Members of one batch. */
  maxBatchLength: number;
  /** One WS message (the socket is closed with 1009 beyond). */
  maxWsMessageBytes: number;
  maxSubscriptionsPerConnection: number;
  /** Calls in progress per WS connection (e.g. tx_waitFinal); beyond it a call gets TOO_MANY_PENDING. */
  maxPendingPerConnection: number;
  /** A WS consumer whose unsent data exceeds this is disconnected rather than buffered without limit. */
  wsMaxBufferedBytes: number;
  /** Ping period for WS liveness; a connection that missed the previous pong is dropped. 0 disables. */
  wsPingIntervalMs: number;
  /** Handler time budget; methods may set their own `timeoutMs`. */
  requestTimeoutMs: number;
  /** null disables rate limiting. */
  rateLimit: RateLimitOptions | null;
  /** Open TCP connections (HTTP keep-alive and WS); further ones get 503 and are closed. */
  maxConnections: number;
  /** Slowloris guards (node:http): whole header block, whole request, idle keep-alive. */
  headersTimeoutMs: number;
  requestBodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** How often node:http enforces the two timeouts above. */
  connectionsCheckingIntervalMs: number;
  /** `close()` waits this long for in-flight requests before aborting them. */
  closeTimeoutMs: number;
  /** Check handler results against their schema (tests/devnet; costs a validation per call). */
  validateResults: boolean;
  /** `info` of the OpenRPC document. */
  title: string;
  version: string;
}

export const defaultRpcOptions: RpcOptions = {
  host: '127.0.0.1',
  port: 8545,
  authToken: null,
  allowedOrigins: [],
  maxBodyBytes: 1024 * 1024,
  maxJsonDepth: 32,
  maxBatchLength: 100,
  maxWsMessageBytes: 1024 * 1024,
  maxSubscriptionsPerConnection: 32,
  maxPendingPerConnection: 64,
  wsMaxBufferedBytes: 4 * 1024 * 1024,
  wsPingIntervalMs: 30_000,
  requestTimeoutMs: 10_000,
  rateLimit: { perSecond: 1000, burst: 2000, maxClients: 10_000 },
  maxConnections: 256,
  headersTimeoutMs: 10_000,
  requestBodyTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  connectionsCheckingIntervalMs: 1_000,
  closeTimeoutMs: 5_000,
  validateResults: false,
  title: 'MedChain JSON-RPC',
  version: '0.1.0',
};

export function resolveRpcOptions(opts: Partial<RpcOptions> = {}): RpcOptions {
  const o = { ...defaultRpcOptions, ...opts };
  // node:http rejects headersTimeout > requestTimeout.
  if (o.headersTimeoutMs > o.requestBodyTimeoutMs) o.headersTimeoutMs = o.requestBodyTimeoutMs;
  return o;
}
