/** Minimal JSON-RPC over HTTP for the harness: one call or one batch, with a time bound. */

/** The nodes' operator token: receipts and waits on personal-data txs (ACCESS) need it. */
export const rpcAuth: { token?: string } = {};

const headers = (): Record<string, string> => ({
  'content-type': 'application/json',
  ...(rpcAuth.token === undefined ? {} : { authorization: `Bearer ${rpcAuth.token}` }),
});

export async function rpcCall<T>(url: string, method: string, params: unknown[] = [], timeoutMs = 5_000): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: headers(),
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error !== undefined) throw new Error(body.error.message);
  return body.result as T;
}

/** A batch of calls of one method; results in order, undefined where a call failed. */
export async function rpcBatch<T>(url: string, method: string, params: unknown[][], timeoutMs = 10_000) {
  if (params.length === 0) return [] as (T | undefined)[];
  const res = await fetch(url, {
    method: 'POST',
    headers: headers(),
    body: JSON.stringify(params.map((p, id) => ({ jsonrpc: '2.0', id, method, params: p }))),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as Array<{ id: number; result?: T }>;
  const out: (T | undefined)[] = new Array(params.length).fill(undefined);
  for (const r of body) out[r.id] = r.result;
  return out;
}
