/** Options of the FHIR facade and its audit feed, with defaults. */
export interface FhirOptions {
  /** Mounted under the JSON-RPC server at this path. */
  basePath: string;
  /** Query string size limit (414 beyond). */
  maxQueryBytes: number;
  defaultCount: number;
  /** Largest _count accepted (400 beyond). */
  maxCount: number;
}

export const defaultFhirOptions: FhirOptions = {
  basePath: '/fhir',
  maxQueryBytes: 2048,
  defaultCount: 50,
  maxCount: 200,
};

export interface FeedOptions {
  /** The audit record repository's base URL: each block's AuditEvents go as a batch Bundle to it. */
  url: string;
  /** Optional bearer token for the repository. */
  token?: string;
  /** Where the delivered height is kept (absolute, or relative to the node home). */
  cursorFile: string;
  /** First height to deliver when there is no cursor yet. */
  fromHeight: number;
  /** Per-POST timeout. */
  timeoutMs: number;
  /** Retry backoff: first delay, doubling up to the cap (retries never skip an event). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Blocks with events sent per POST at most (a block is never split). */
  maxBlocksPerPost: number;
  /** Lag line period (info; warn beyond lagWarnBlocks). */
  lagLogMs: number;
  lagWarnBlocks: number;
}

export const defaultFeedOptions: Omit<FeedOptions, 'url'> = {
  cursorFile: 'fhir-feed.json',
  fromHeight: 1,
  timeoutMs: 10_000,
  retryBaseMs: 250,
  retryMaxMs: 30_000,
  maxBlocksPerPost: 1,
  lagLogMs: 10_000,
  lagWarnBlocks: 100,
};
