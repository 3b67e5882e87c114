/**
 * "How cost grows": the three scaling curves drawn from the saved
 * results. consensus.scale carries its whole curve in one result; the state
 * and e2e curves are the saved results of one id at several sizes (keys
 * e2e.devnet.v7, state.smt.update.k3000000: see baseline.ts). A curve with
 * fewer than two points prints the runs that would draw it.
 */

import { fieldAt as at } from '../measure.js';
import type { BenchResult } from '../types.js';
import { baselineKey, type Saved, sizeValue } from './baseline.js';
import { validatorProcs } from './goals.js';
import { xyChart } from './svg.js';

/** What bounds each curve: the README's sentences (test/bench/report.test.ts keeps them equal). */
export const BOUNDS = {
  consensus:
    'What bounds it: every validator sends a prevote and a precommit to every other, (2n + 1)(n − 1) messages per block, so messages, bytes and signature checks grow as n² (each validator verifies 2n votes per block, linear per validator), and the commit certificate grows as n (~46 bytes per signer); gossip relays add to the bytes on the wire, not to the verifies.',
  state:
    'What bounds it: up to about 1M keys the whole tree fits the 256 MiB node cache, and the cost per update grows with depth and with the work off the main thread (LevelDB compaction, GC helpers); beyond about 2M keys the tree outgrows the cache and every miss is a synchronous LevelDB read, so the cost grows with the miss rate.',
  devnet:
    'What bounds it here: every validator re-executes every block and judges every tx on the same two cores, so CPU per tx rises with the number of validators (each gets 2/n of a core) and the finalized rate falls about as 1/n; blocks sized by time keep heights near 2 s, and what is left is the fixed cost of a height (proposal gossip, vote round trips on busy event loops, the commit), which grows with n.',
} as const;

/** The runs that save each curve's points, one fresh process per size (size → command). */
export const CURVE_RUNS: Record<'consensus' | 'state' | 'devnet', Array<[number, string]>> = {
  consensus: [[0, 'npm run bench -- consensus.scale --validators 4,10,25,50,100 --save']],
  state: [100_000, 300_000, 1_000_000, 3_000_000, 10_000_000].map((k) => [
    k,
    `npm run bench -- state.smt.update state.smt.prove --keys ${k} --save`,
  ]),
  devnet: [4, 7, 10].map((v) => [v, `npm run bench -- e2e.devnet --validators ${v} --seconds 60 --save`]),
};

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const f = (x: unknown, d = 0): string => {
  const v = num(x);
  return v === undefined ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: d });
};

/** When and where a point was measured, as far as the result says. */
export function provenance(r: Saved): string {
  const m = r.machine as { cpu?: string; cores?: number; loadavg?: number[] } | undefined;
  const nums = (x: unknown): number[] | undefined =>
    Array.isArray(x) && x.every((v) => typeof v === 'number') ? (x as number[]) : undefined;
  const load = nums(m?.loadavg) ?? nums(r.saved_load);
  const cpu = m?.cpu ?? r.saved_machine?.cpu;
  const cores = m?.cores ?? r.saved_machine?.cores;
  const parts = [
    typeof r.saved_at !== 'string' ? 'this run (not saved)' : r.saved_at.slice(0, 16).replace('T', ' '),
    r.commit === undefined ? '' : `@ ${r.commit}`,
    load === undefined ? '' : `load ${load.map((x) => x.toFixed(1)).join(' ')}`,
    cpu === undefined && cores === undefined ? '' : `${cpu ?? '?'}, ${cores ?? '?'} cores`,
  ];
  return parts.filter((p) => p !== '').join(' · ');
}

function table(head: string[], body: string[][]): string {
  const tr = (cells: string[], tag: string): string =>
    `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`;
  return `<table class="curve">${tr(head, 'th')}${body.map((b) => tr(b, 'td')).join('')}</table>`;
}

/** A curve short of points: the runs of the sizes it lacks. */
function missing(have: Array<number | undefined>, runs: Array<[number, string]>): string {
  const todo = runs.filter(([size]) => !have.includes(size)).map(([, cmd]) => cmd);
  return `<p class="na">${have.length === 0 ? 'No saved point' : 'One saved point'}: a curve needs two or more. Runs that save its points:</p><pre>${esc(todo.join('\n'))}</pre>`;
}

const section = (title: string, body: string, bounds: string): string =>
  `<h3>${esc(title)}</h3>${body}<p class="bounds">${esc(bounds)}</p>`;

function consensusCurve(list: Saved[]): string {
  const r = list.find((x) => baselineKey(x) === 'consensus.scale');
  const curve = (Array.isArray(r?.curve) ? (r.curve as Array<Record<string, unknown> | null>) : [])
    .filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null && num(p.validators) !== undefined)
    .sort((a, b) => (a.validators as number) - (b.validators as number));
  const title = 'consensus.scale: messages, bytes and verifies per finalized block as the validator set grows';
  if (r === undefined || curve.length < 2)
    return section(
      title,
      missing(
        curve.map(() => undefined),
        CURVE_RUNS.consensus,
      ),
      BOUNDS.consensus,
    );
  const pts = (field: string): Array<[number, number]> =>
    curve.filter((p) => num(p[field]) !== undefined).map((p) => [p.validators as number, p[field] as number]);
  const chart = xyChart({
    title: 'per finalized block',
    xLabel: 'validators',
    yLabel: 'per block',
    series: [
      { label: 'messages', points: pts('messages_per_block'), color: '#2471a3' },
      { label: 'signature verifies', points: pts('verifies_per_block'), color: '#c0392b' },
    ],
  });
  const body = table(
    [
      'validators',
      'messages per block',
      'KiB per block',
      'verifies per block',
      'certificate bytes',
      'CPU ms per block, all validators',
    ],
    curve.map((p) => [
      f(p.validators),
      f(p.messages_per_block),
      f(p.kib_per_block, 1),
      f(p.verifies_per_block),
      f(p.cert_bytes),
      f(p.cpu_ms_per_block_all),
    ]),
  );
  return section(
    title,
    `<div class="charts">${chart}</div>${body}<p><small>${esc(provenance(r))}</small></p>`,
    BOUNDS.consensus,
  );
}

/** Saved results of `id` (saturation runs) that record their size, smallest first. */
const points = (list: Saved[], id: string): Saved[] =>
  list
    .filter((r) => r.id === id && r.mode !== 'rate' && sizeValue(r) !== undefined)
    .sort((a, b) => (sizeValue(a) as number) - (sizeValue(b) as number));

function stateCurve(list: Saved[]): string {
  const updates = points(list, 'state.smt.update');
  const proves = points(list, 'state.smt.prove');
  const title = 'state.smt.update --keys N: cost per committed update as state grows';
  if (updates.length < 2) return section(title, missing(updates.map(sizeValue), CURVE_RUNS.state), BOUNDS.state);
  const xy = (field: string): Array<[number, number]> =>
    updates.filter((r) => num(r[field]) !== undefined).map((r) => [sizeValue(r) as number, r[field] as number]);
  const chart = xyChart({
    title: 'CPU µs per committed update',
    xLabel: 'keys in state (log scale)',
    yLabel: 'µs per update',
    logX: true,
    series: [
      { label: 'whole process', points: xy('cpu_us_per_update'), color: '#2471a3' },
      { label: 'main thread', points: xy('main_thread_cpu_us_per_update'), color: '#27ae60' },
    ],
  });
  const body = table(
    [
      'keys loaded',
      'keys after the run',
      'CPU µs per update (process / main)',
      'updates/s (wall)',
      'RSS MB',
      'depth',
      'node cache hit rate',
      'proofs/s (CPU µs per proof)',
      'saved',
    ],
    updates.map((r) => {
      const p = proves.find((x) => sizeValue(x) === sizeValue(r));
      return [
        f(sizeValue(r)),
        f(r.keys),
        `${f(r.cpu_us_per_update, 1)} / ${f(r.main_thread_cpu_us_per_update, 1)}`,
        f(r.ops_per_s),
        f(r.rss_mb),
        f(r.depth, 2),
        f(r.node_cache_hit_rate, 2),
        p === undefined ? '—' : `${f(p.ops_per_s)} (${f(p.cpu_us_per_proof, 1)})`,
        provenance(r),
      ];
    }),
  );
  return section(title, `<div class="charts">${chart}</div>${body}`, BOUNDS.state);
}

function devnetCurve(list: Saved[]): string {
  const runs = points(list, 'e2e.devnet');
  const title = 'e2e.devnet --validators N: finalized tx/s as the network grows (saturation)';
  if (runs.length < 2) return section(title, missing(runs.map(sizeValue), CURVE_RUNS.devnet), BOUNDS.devnet);
  const xy = (field: string): Array<[number, number]> =>
    runs.filter((r) => num(r[field]) !== undefined).map((r) => [sizeValue(r) as number, r[field] as number]);
  const chart = xyChart({
    title: 'finalized tx/s and the verify limit (verifies/s ÷ validators)',
    xLabel: 'validators',
    yLabel: 'tx/s',
    series: [
      { label: 'finalized tx/s', points: xy('ops_per_s'), color: '#2471a3' },
      { label: 'limit', points: xy('limit_ops_per_s'), color: '#7d3c98' },
    ],
  });
  const cpu = (r: BenchResult): string => {
    const v = validatorProcs(r)
      .filter((p) => p.name !== 'loadgen')
      .map((p) => num(p.cpu_ms_per_tx))
      .filter((x): x is number => x !== undefined);
    return v.length === 0 ? '—' : `${f(Math.min(...v), 2)}–${f(Math.max(...v), 2)} ms`;
  };
  const body = table(
    [
      'validators',
      'finalized tx/s',
      'limit',
      'ratio',
      'p50 ms',
      'max block interval ms',
      'max round',
      'validator CPU per tx',
      'saved',
    ],
    runs.map((r) => [
      f(sizeValue(r)),
      f(r.ops_per_s),
      f(r.limit_ops_per_s),
      f(r.ratio, 2),
      f(r.p50_ms),
      f(at(r, 'blocks.max_interval_ms')),
      f(at(r, 'blocks.max_round')),
      cpu(r),
      provenance(r),
    ]),
  );
  return section(title, `<div class="charts">${chart}</div>${body}`, BOUNDS.devnet);
}

/** The "How cost grows" section from every result the report has (fresh ones over saved ones). */
export function curvesSection(list: Saved[]): string {
  return `<section><h2>How cost grows</h2>${consensusCurve(list)}${stateCurve(list)}${devnetCurve(list)}</section>`;
}
