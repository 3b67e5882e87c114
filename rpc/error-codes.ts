/**
 * Numeric JSON-RPC error codes. Numbers are part of the public API: once published, a code keeps
 * its number forever (clients switch on it); add new ones, never renumber.
 *
 * | range             | owner                                                        |
 * |-------------------|--------------------------------------------------------------|
 * | -32700, -32600..3 | JSON-RPC 2.0 standard errors                                 |
 * | -32000..-32099    | server errors (transport, limits); -32000 = uncoded domain   |
 * | 1000..1999        | chain_  (blocks, headers, proofs)                            |
 * | 2000..2999        | tx_     (admission, mempool, codec of transactions)          |
 * | 3000..3999        | state_  (state tree, stores)                                 |
 * | 4000..4999        | consent_                                                     |
 * | 5000..5999        | access_ (access checks, break-glass)                         |
 * | 6000..6999        | audit_                                                       |
 * | 7000..7999        | net_    (p2p, peers)                                         |
 * | 8000..8999        | identity_ (identities, credentials, governance)              |
 * | 9000..9999        | record_ (record pointers)                                    |
 * | 10000..10999      | auth_   (sign-in, sessions)                                  |
 *
 * A MedchainError whose string code is not in the table maps to DOMAIN_ERROR (-32000); the string
 * code is always in `error.data.code`, so clients can rely on it even before a number is assigned.
 */
export const JsonRpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

/**
 * Server errors: JSON-RPC reserves -32000..-32099 for implementation-defined server errors.
 * `data.code` holds the name. Transport-level refusals come with the HTTP status noted (the body is
 * still a JSON-RPC error with id null); all other errors are HTTP 200.
 */
export const ServerCode = {
  /** A coded (MedchainError) failure whose code has no number in the table yet. */
  DOMAIN_ERROR: -32000,
  /** HTTP 401 (and refused WS upgrade): bearer token missing or wrong. */
  UNAUTHORIZED: -32001,
  /** HTTP 403: a browser Origin not in allowedOrigins. */
  FORBIDDEN_ORIGIN: -32002,
  /** HTTP 429 with Retry-After; over WS an error reply to the call. */
  RATE_LIMITED: -32003,
  /** The handler exceeded its time budget; its signal is aborted. */
  TIMEOUT: -32004,
  /** HTTP 413, connection closed (WS: close code 1009 instead). */
  BODY_TOO_LARGE: -32005,
  /** Nesting beyond maxJsonDepth, found before parsing. */
  JSON_TOO_DEEP: -32006,
  /** More than maxBatchLength members: one error for the whole batch. */
  BATCH_TOO_LARGE: -32007,
  TOO_MANY_SUBSCRIPTIONS: -32008,
  /** subscribe/unsubscribe over HTTP. */
  SUBSCRIPTIONS_UNSUPPORTED: -32009,
  /** HTTP 503, connection closed: beyond maxConnections. */
  TOO_MANY_CONNECTIONS: -32010,
  /** HTTP 503 during close(). */
  SHUTTING_DOWN: -32011,
  /** HTTP 405 (Allow: POST). */
  METHOD_NOT_ALLOWED: -32012,
  /** HTTP 415: POST body not declared application/json. */
  UNSUPPORTED_MEDIA_TYPE: -32013,
  /**
   * The caller's scope (public, a signed-in identity, the operator) does not cover this call. One
   * answer whether the subject exists or not, so a refusal reveals nothing about it.
   */
  OUT_OF_SCOPE: -32014,
  /** A WS connection already has maxPendingPerConnection calls in progress. */
  TOO_MANY_PENDING: -32015,
} as const;
export type ServerCodeName = keyof typeof ServerCode;

export const DOMAIN_RANGES = {
  chain: [1000, 1999],
  tx: [2000, 2999],
  state: [3000, 3999],
  consent: [4000, 4999],
  access: [5000, 5999],
  audit: [6000, 6999],
  net: [7000, 7999],
  identity: [8000, 8999],
  record: [9000, 9999],
  auth: [10000, 10999],
} as const satisfies Record<string, readonly [number, number]>;
export type DomainNamespace = keyof typeof DOMAIN_RANGES;

/**
 * Stable numbers for MedchainError string codes, grouped by namespace. The lead fills this as the
 * subsystems publish their codes (e.g. tx: { TX_EXPIRED: 2001 }); `ErrorTable` checks the ranges.
 */
export const DOMAIN_ERROR_CODES: { readonly [N in DomainNamespace]?: Readonly<Record<string, number>> } = {
  tx: { CODEC_OVERSIZE: 2001, CODEC_MALFORMED: 2002, CODEC_NON_CANONICAL: 2003, CODEC_SHAPE: 2004 },
  auth: {
    AUTH_UNKNOWN_CHALLENGE: 10001,
    AUTH_CHALLENGE_EXPIRED: 10002,
    AUTH_KEY_NOT_CURRENT: 10003,
    AUTH_BAD_SIGNATURE: 10004,
    AUTH_SUSPENDED: 10005,
    AUTH_SESSION_EXPIRED: 10006,
    AUTH_SESSION_ENDED: 10007,
    AUTH_TOO_MANY_SESSIONS: 10008,
  },
};

/** String code → number, with range and uniqueness checks at definition time. */
export class ErrorTable {
  private readonly byCode = new Map<string, number>();
  private readonly byNumber = new Map<number, string>();

  constructor(initial: typeof DOMAIN_ERROR_CODES = DOMAIN_ERROR_CODES) {
    for (const [ns, codes] of Object.entries(initial)) if (codes) this.define(ns as DomainNamespace, codes);
  }

  define(ns: DomainNamespace, codes: Readonly<Record<string, number>>): this {
    const range = DOMAIN_RANGES[ns];
    if (range === undefined) throw new RangeError(`unknown error namespace ${ns}`);
    for (const [code, n] of Object.entries(codes)) {
      if (!Number.isInteger(n) || n < range[0] || n > range[1])
        throw new RangeError(`${code}=${n} is outside the ${ns} range ${range[0]}..${range[1]}`);
      const prevN = this.byCode.get(code);
      if (prevN !== undefined && prevN !== n) throw new RangeError(`${code} already has number ${prevN}`);
      const prevCode = this.byNumber.get(n);
      if (prevCode !== undefined && prevCode !== code) throw new RangeError(`${n} already belongs to ${prevCode}`);
      this.byCode.set(code, n);
      this.byNumber.set(n, code);
    }
    return this;
  }

  /** The number for a string code; DOMAIN_ERROR when unassigned. */
  numberOf(code: string): number {
    return this.byCode.get(code) ?? ServerCode.DOMAIN_ERROR;
  }

  entries(): IterableIterator<[string, number]> {
    return this.byCode.entries();
  }
}
