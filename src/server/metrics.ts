/**
 * Prometheus text exposition (format 0.0.4): the Counters (names may carry `{labels}`) plus gauges
 * sampled at scrape time. Hand-written: one function, no client library.
 */
import type { Counters } from '../platform/counters.js';

export function renderMetrics(counters: Counters, gauges: Record<string, number>): string {
  const lines: string[] = [];
  const typed = new Set<string>();
  const emit = (name: string, value: number, type: 'counter' | 'gauge') => {
    const base = name.replace(/\{.*$/, '');
    const full = `peerboot_${base}`;
    if (!typed.has(full)) {
      typed.add(full);
      lines.push(`# TYPE ${full} ${type}`);
    }
    lines.push(`peerboot_${name} ${Number.isFinite(value) ? value : 0}`);
  };
  const sorted = Object.entries(counters.snapshot()).sort(([a], [b]) => a.localeCompare(b));
  for (const [name, value] of sorted) emit(name, value, 'counter');
  for (const [name, value] of Object.entries(gauges).sort(([a], [b]) => a.localeCompare(b))) emit(name, value, 'gauge');
  return lines.join('\n') + '\n';
}
