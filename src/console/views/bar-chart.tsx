/**
 * A small bar chart in inline SVG (no chart library): one bar per block, oldest on the left. For
 * screen readers the figure is an image named by its caption and described by a one-line summary,
 * and the numbers are in a table behind a disclosure.
 */

export interface Bar {
  label: string;
  value: number;
}

const W = 300;
const H = 80;

export function BarChart(props: {
  id: string;
  caption: string;
  summary: string;
  bars: readonly Bar[];
  column: string;
  format: (n: number) => string;
}) {
  const { id, bars } = props;
  const max = Math.max(...bars.map((b) => b.value), 0);
  const w = bars.length === 0 ? W : W / bars.length;
  return (
    <figure class="chart" data-testid={id}>
      <figcaption id={`${id}-cap`}>{props.caption}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-labelledby={`${id}-cap`}
        aria-describedby={`${id}-sum`}
      >
        <title>{props.caption}</title>
        <line x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} class="axis" />
        {bars.map((b, i) => {
          const h = max > 0 ? (b.value / max) * (H - 4) : 0;
          return <rect key={b.label} x={i * w + w * 0.15} width={w * 0.7} y={H - h} height={h} />;
        })}
      </svg>
      <p id={`${id}-sum`} class="muted">
        {props.summary}
      </p>
      <details>
        <summary>The numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Block</th>
              <th scope="col">{props.column}</th>
            </tr>
          </thead>
          <tbody>
            {[...bars].reverse().map((b) => (
              <tr key={b.label}>
                <td>{b.label}</td>
                <td>{props.format(b.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
