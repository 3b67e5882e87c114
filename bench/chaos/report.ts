/** The chaos summary in a few lines for people (the JSON line on stdout is for tools). */
import type { ChaosSummary } from './run.js';

const sec = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function summaryLines(s: ChaosSummary): string[] {
  const faults = Object.entries(s.faults)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  // Enabled but never injected (every start was shifted past the last start time): not exercised.
  const never = Object.entries(s.faults)
    .filter(([, n]) => n === 0)
    .map(([k]) => k);
  const recovery = Object.entries(s.recovery_ms)
    .map(([k, r]) => `${k} median ${sec(r.median)} max ${sec(r.max)} (${r.count})`)
    .join(', ');
  const heights = Object.entries(s.heights)
    .map(([n, h]) => `${n} ${h ?? 'silent'}`)
    .join(', ');
  return [
    `seed ${s.seed}, ${s.validators} validators + full node, ${s.seconds} s, ${s.rate} tx/s offered`,
    `faults injected: ${faults || 'none'} (${s.skipped_faults} skipped; ${s.quorum_losses} quorum losses; peak ${s.peak_faulty} faulty, f = ${s.max_faulty})`,
    ...(never.length > 0 ? [`never injected (earlier faults still recovering): ${never.join(', ')}`] : []),
    `longest stall: ${sec(s.longest_stall_ms)}; round changes: ${s.round_changes}`,
    `recovery per fault kind: ${recovery || 'none'}`,
    `liveness after the last fault: ${sec(s.liveness_ms)}; heights at the end: ${heights}`,
    `txs: ${s.txs.submitted} submitted, ${s.txs.acknowledged} acknowledged final, ${s.txs.found_on_every_node} of them found on every node (${s.txs.refused} refused, ${s.txs.unconfirmed} unconfirmed)`,
    `vault: ${s.vault.disclosures} disclosures, ${s.vault.failed} failed opens; double signs ${s.double_signs}; crashes ${s.crashes}; RSS peak MB ${s.rss_peak_mb.join('/')}`,
    s.violations.length === 0 ? 'PASS' : `FAIL: ${s.violations.length} violations`,
  ];
}
