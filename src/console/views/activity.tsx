/**
 * The operator's view of consensus over the last blocks: each validator's votes (in the commit
 * certificates) and the blocks it missed, blocks that needed more than one round, and the time to
 * finality and throughput per block, charted with a text summary and a table for screen readers.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ValidatorJson } from '../../client/index.js';
import { type Activity, ActivityLoader, spread, summarize } from '../activity.js';
import { shortId } from '../format.js';
import { errorText } from '../live.js';
import type { Names } from '../names.js';
import { publicHttp } from '../session.js';
import { BarChart } from './bar-chart.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const rate = (n: number): string => `${n.toFixed(1)} tx/s`;

export function ChainActivity(props: { head: number; validators: ValidatorJson[]; names: Names }) {
  const loader = useMemo(() => new ActivityLoader(publicHttp()), []);
  const [act, setAct] = useState<Activity | null>(null);
  const [error, setError] = useState<string | null>(null);
  // One load at a time; heads that arrive meanwhile are folded into one more load.
  const st = useRef({ running: false, again: false, alive: true });
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const s = st.current;
    const run = (): void => {
      if (s.running) {
        s.again = true;
        return;
      }
      s.running = true;
      loader
        .update(latest.current.head)
        .then(
          (blocks) => s.alive && setAct(summarize(blocks, latest.current.validators)),
          (err: unknown) => s.alive && setError(errorText(err)),
        )
        .finally(() => {
          s.running = false;
          if (s.again && s.alive) {
            s.again = false;
            run();
          }
        });
    };
    if (props.head > 0) run();
  }, [props.head, loader]);
  useEffect(
    () => () => {
      st.current.alive = false;
    },
    [],
  );

  if (error !== null) return <p class="error">{error}</p>;
  if (act === null) return <p>Loading the latest blocks…</p>;
  const n = act.blocks.length;
  const gaps = spread(act.intervals.map((x) => x.ms));
  const txs = act.blocks.reduce((t, b) => t + b.txs, 0);
  const span = act.intervals.reduce((t, x) => t + x.ms, 0);
  const peak = spread(act.throughput.map((x) => x.perSecond)).max;
  return (
    <>
      <section aria-labelledby="pace-h">
        <h2 id="pace-h">Finality and throughput (last {n} blocks)</h2>
        <BarChart
          id="finality-chart"
          caption="Time to finality per block"
          summary={`A block is final once committed. Over the last ${act.intervals.length} blocks that took ${seconds(gaps.median)} (median), ${seconds(gaps.max)} at most.`}
          bars={act.intervals.map((x) => ({ label: String(x.height), value: x.ms }))}
          column="Seconds since the previous block"
          format={seconds}
        />
        <BarChart
          id="throughput-chart"
          caption="Transactions per second"
          summary={`${txs} transactions in ${seconds(span)}: ${rate(span > 0 ? (txs * 1000) / span : 0)} on average, ${rate(peak)} at the busiest block.`}
          bars={act.throughput.map((x) => ({ label: String(x.height), value: x.perSecond }))}
          column="Transactions per second"
          format={rate}
        />
      </section>
      <section aria-labelledby="validators-h">
        <h2 id="validators-h">Validators ({props.validators.length})</h2>
        <p class="muted">Votes in the commit certificates of the last {n} blocks.</p>
        <table>
          <thead>
            <tr>
              <th scope="col">Validator</th>
              <th scope="col">Signed</th>
              <th scope="col">Missed</th>
            </tr>
          </thead>
          <tbody>
            {act.validators.map((v) => (
              <ValidatorRow key={v.id} v={v} names={props.names} />
            ))}
          </tbody>
        </table>
        <h3>Blocks that needed more than one round</h3>
        {act.laterRounds.length === 0 ? (
          <p data-testid="later-rounds">None: every one of the last {n} blocks was committed in its first round.</p>
        ) : (
          <ul class="plain" data-testid="later-rounds">
            {act.laterRounds.map((r) => (
              <li key={r.height}>
                Block {r.height}: round {r.round}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function ValidatorRow(props: { v: Activity['validators'][number]; names: Names }) {
  const { v } = props;
  const [name, setName] = useState(shortId(v.id));
  useEffect(() => {
    props.names.party(v.id).then((p) => setName(p.label));
  }, [props.names, v.id]);
  const missed = v.missed.slice(0, 5).join(', ') + (v.missed.length > 5 ? ` and ${v.missed.length - 5} more` : '');
  return (
    <tr data-validator={v.id} data-signed={v.signed} data-missed={v.missed.length}>
      <td>
        <strong title={v.id}>{name}</strong>
        <br />
        <span class="muted">power {v.power}</span>
      </td>
      <td>
        {v.signed} of {v.due}
      </td>
      <td>{v.missed.length === 0 ? 'none' : `blocks ${missed}`}</td>
    </tr>
  );
}
