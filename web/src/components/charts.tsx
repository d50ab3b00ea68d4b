/**
 * Two small SVG charts without a chart library: stacked bars over time, and a labelled progress
 * bar. Each has a text equivalent for screen readers (a table or the numbers in words).
 */
import type { HistogramBucket } from '../model/boot-histogram.js';
import { outcomeLabels, type BootOutcome } from '../model/boot-outcome.js';

const outcomeColour: Record<BootOutcome, string> = {
  served: '#15803d', failed: '#dc2626', offered: '#2563eb', ignored: '#a1a1aa', alert: '#d97706', other: '#6b7280',
};

export function StackedBars(props: { buckets: HistogramBucket[]; series: readonly BootOutcome[]; title: string }) {
  const width = 560;
  const height = 160;
  const pad = { left: 32, right: 8, top: 8, bottom: 22 };
  const totals = props.buckets.map((b) => props.series.reduce((n, s) => n + b.counts[s], 0));
  const max = Math.max(1, ...totals);
  const barW = (width - pad.left - pad.right) / Math.max(1, props.buckets.length);
  const y = (v: number) => pad.top + (height - pad.top - pad.bottom) * (1 - v / max);
  const hour = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${props.title}: ${totals.reduce((a, b) => a + b, 0)} events`}>
        <line x1={pad.left} x2={width - pad.right} y1={y(0)} y2={y(0)} stroke="#d4d4d8" />
        <text x={pad.left - 4} y={y(max) + 4} textAnchor="end" className="chart-axis">{max}</text>
        <text x={pad.left - 4} y={y(0)} textAnchor="end" className="chart-axis">0</text>
        {props.buckets.map((b, i) => {
          let acc = 0;
          return (
            <g key={b.startMs}>
              <title>{`${hour(b.startMs)}: ${props.series.map((s) => `${outcomeLabels[s]} ${b.counts[s]}`).join(', ')}`}</title>
              {props.series.map((s) => {
                const v = b.counts[s];
                if (v === 0) return null;
                const top = y(acc + v);
                const bottom = y(acc);
                acc += v;
                return <rect key={s} x={pad.left + i * barW + 1} width={Math.max(1, barW - 2)} y={top} height={Math.max(0, bottom - top)} fill={outcomeColour[s]} />;
              })}
              {i % 4 === 0 && <text x={pad.left + i * barW} y={height - 6} className="chart-axis">{hour(b.startMs)}</text>}
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        {props.series.map((s) => <span key={s}><i style={{ background: outcomeColour[s] }} aria-hidden="true" />{outcomeLabels[s]}</span>)}
      </figcaption>
    </figure>
  );
}

export function ProgressBar(props: { fraction: number; label: string; detail: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, props.fraction)) * 100);
  return (
    <div className="progress">
      <div className="progress-label"><span>{props.label}</span><span>{props.detail}</span></div>
      <div className="progress-track" role="progressbar" aria-label={props.label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={`${pct}% — ${props.detail}`}>
        <div className={`progress-fill${pct === 100 ? ' progress-done' : ''}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
