/**
 * Boots over time: boot events counted per hour (or any bucket) and outcome, oldest bucket first,
 * for the overview's chart.
 */
import { outcomeOf, type BootOutcome } from './boot-outcome.js';

export const chartedOutcomes: readonly BootOutcome[] = ['served', 'failed', 'offered', 'ignored'];

export interface HistogramBucket {
  startMs: number;
  counts: Record<BootOutcome, number>;
}

const zero = (): Record<BootOutcome, number> => ({ served: 0, failed: 0, offered: 0, ignored: 0, alert: 0, other: 0 });

/** `buckets` buckets of `bucketMs` ending at the bucket holding `nowMs`; events outside are left out. */
export function bootHistogram(events: ReadonlyArray<{ at: string; kind: string }>, nowMs: number, bucketMs = 3_600_000, buckets = 24): HistogramBucket[] {
  const lastStart = Math.floor(nowMs / bucketMs) * bucketMs;
  const firstStart = lastStart - (buckets - 1) * bucketMs;
  const out: HistogramBucket[] = Array.from({ length: buckets }, (_, i) => ({ startMs: firstStart + i * bucketMs, counts: zero() }));
  for (const e of events) {
    const t = Date.parse(e.at);
    if (!Number.isFinite(t) || t < firstStart || t >= lastStart + bucketMs) continue;
    out[Math.floor((t - firstStart) / bucketMs)]!.counts[outcomeOf(e.kind)] += 1;
  }
  return out;
}
