/**
 * Prometheus text exposition of the server's /metrics with prom-client: the Counters (label-aware,
 * names checked by src/platform/counters.ts) plus gauges sampled at scrape time, all prefixed
 * `peerboot_`. A fresh registry per scrape keeps it stateless: Counters stays the one store, and
 * several apps in one process (tests) never share a registry.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { CounterSample, Counters } from '../platform/counters.js';

const prefix = 'peerboot_';

/** HELP text of the gauges the server exposes; any other gauge gets a generic one. */
const gaugeHelp: Record<string, string> = {
  process_resident_memory_bytes: 'Resident set size of the server process in bytes.',
  policy_streams_open: 'Agent policy streams (SSE) open on this server now.',
  config_revision: 'Revision of the configuration the policies are built from.',
};

export interface MetricsText {
  contentType: string;
  text: string;
}

export async function renderMetrics(counters: Counters, gauges: Record<string, number>): Promise<MetricsText> {
  const registry = new Registry();
  const byName = new Map<string, CounterSample[]>();
  for (const sample of counters.samples()) {
    const list = byName.get(sample.name);
    if (list) list.push(sample);
    else byName.set(sample.name, [sample]);
  }
  for (const [name, samples] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const labelNames = [...new Set(samples.flatMap((s) => Object.keys(s.labels)))].sort();
    const counter = new Counter({ name: `${prefix}${name}`, help: `peerboot counter ${name} (docs/ARCHITECTURE.md, Metrics).`, labelNames, registers: [registry] });
    for (const s of samples) counter.inc(s.labels, Number.isFinite(s.value) ? s.value : 0);
  }
  for (const [name, value] of Object.entries(gauges).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const gauge = new Gauge({ name: `${prefix}${name}`, help: gaugeHelp[name] ?? `peerboot gauge ${name}.`, registers: [registry] });
    gauge.set(Number.isFinite(value) ? value : 0);
  }
  return { contentType: registry.contentType, text: await registry.metrics() };
}
