/**
 * Work counters of one validator, read from its /metrics at the window's start
 * and end: signatures sent to the verifier workers, and transactions offered to
 * the mempool (each one decoded there), by result.
 */
export interface WorkCounts {
  verifies: number;
  offered: Record<string, number>;
  /** medchain_consensus_height_phase_seconds by phase: [sum s, count]. */
  phases: Record<string, [number, number]>;
}

/** The counters in a Prometheus text page (absent counters are 0). */
export function parseCounts(text: string): WorkCounts {
  const c: WorkCounts = { verifies: 0, offered: {}, phases: {} };
  for (const line of text.split('\n')) {
    const p = /^medchain_consensus_height_phase_seconds_(sum|count)\{phase="([a-z]+)"\} ([0-9.e+-]+)/.exec(line);
    if (p) {
      const ph = c.phases[p[2] as string] ?? [0, 0];
      ph[p[1] === 'sum' ? 0 : 1] = Number(p[3]);
      c.phases[p[2] as string] = ph;
    }
    const v = /^medchain_verifier_items_total (\d+)/.exec(line);
    if (v) c.verifies = Number(v[1]);
    const a = /^medchain_mempool_admissions_total\{result="([A-Za-z_]+)"\} (\d+)/.exec(line);
    if (a) c.offered[a[1] as string] = Number(a[2]);
  }
  return c;
}

export async function readCounts(url: string | undefined): Promise<WorkCounts | undefined> {
  if (url === undefined) return undefined;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return res.ok ? parseCounts(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

/** Per finalized tx in the window: verifies, and mempool offers (decodes) by result. */
export function perTx(
  a: WorkCounts | undefined,
  b: WorkCounts | undefined,
  finalized: number,
): { verifies_per_tx_count: number; offered_per_tx: Record<string, number> } | undefined {
  if (a === undefined || b === undefined || finalized === 0) return undefined;
  const r = (n: number): number => Math.round((n / finalized) * 1000) / 1000;
  const offered: Record<string, number> = {};
  let all = 0;
  for (const [k, n] of Object.entries(b.offered)) {
    const d = n - (a.offered[k] ?? 0);
    all += d;
    if (d > 0) offered[k] = r(d);
  }
  offered.all = r(all);
  return { verifies_per_tx_count: r(b.verifies - a.verifies), offered_per_tx: offered };
}

/**
 * Mean ms from the previous commit to each phase of the heights in the window (first proposal,
 * own prevote, own precommit, decision, commit): where a height's time goes.
 */
export function phaseMeans(a: WorkCounts | undefined, b: WorkCounts | undefined): Record<string, number> | undefined {
  if (a === undefined || b === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const [k, [sum, n]] of Object.entries(b.phases)) {
    const [sum0, n0] = a.phases[k] ?? [0, 0];
    if (n > n0) out[k] = Math.round(((sum - sum0) / (n - n0)) * 1000);
  }
  return out;
}
