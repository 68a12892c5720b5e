/** A small line chart of one series (points of [time ms, value]), drawn as SVG: no library. */

import { num } from './format';

const W = 300;
const H = 100;
/** The plot area, between the label bands at the top and the bottom. */
const TOP = 16;
const BOTTOM = 84;
/** A gap in the points longer than this breaks the line. */
const GAP_MS = 5 * 60_000;

export function LineChart(props: { points: [number, number][]; hours: number; label: string }) {
  const { points, hours, label } = props;
  if (points.length === 0) return <p class="chart-empty">No data in the last {hours} hours.</p>;

  const to = Math.max(Date.now(), points[points.length - 1]![0]);
  const from = to - hours * 3_600_000;
  const values = points.map((p) => p[1]);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const last = values[values.length - 1]!;

  const x = (t: number) => ((t - from) / (to - from)) * W;
  const y = (v: number) =>
    max === min ? (TOP + BOTTOM) / 2 : BOTTOM - ((v - min) / (max - min)) * (BOTTOM - TOP);

  // One polyline per run of points without a long gap.
  const lines: string[][] = [];
  let prev: number | undefined;
  for (const [t, v] of points) {
    if (t < from) continue;
    if (prev === undefined || t - prev > GAP_MS) lines.push([]);
    lines[lines.length - 1]!.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    prev = t;
  }

  return (
    <svg
      class="chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`${label} over the last ${hours} hours: min ${num(min)}, max ${num(max)}, last ${num(last)}`}
    >
      <line class="chart-grid" x1="0" x2={W} y1={TOP} y2={TOP} />
      <line class="chart-grid" x1="0" x2={W} y1={BOTTOM} y2={BOTTOM} />
      {lines.map((pts, i) =>
        pts.length === 1 ? (
          <circle key={i} class="chart-dot" cx={pts[0]!.split(',')[0]} cy={pts[0]!.split(',')[1]} r="1.5" />
        ) : (
          <polyline key={i} class="chart-line" points={pts.join(' ')} />
        ),
      )}
      <text class="chart-text" x="0" y="11">
        max {num(max)}
      </text>
      <text class="chart-text" x="0" y={H - 3}>
        min {num(min)}
      </text>
      <text class="chart-text chart-last" x={W} y="11" text-anchor="end">
        last {num(last)}
      </text>
      <text class="chart-text" x={W} y={H - 3} text-anchor="end">
        {hours}h ago → now
      </text>
    </svg>
  );
}
