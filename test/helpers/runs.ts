/**
 * fast-check run counts for properties whose runs are costly (a fake chain, a vault, a database
 * per run): the test suite runs `ci` of them, so it fits its time budget on 2 cores;
 * PROPERTY_RUNS=full runs the `full` count, PROPERTY_RUNS=<n> exactly n.
 */
export function propertyRuns(full: number, ci: number): number {
  const v = process.env.PROPERTY_RUNS;
  if (v === 'full') return full;
  if (v !== undefined && /^\d+$/.test(v)) return Number(v);
  return ci;
}
