/**
 * Named monotonic counters with Prometheus labels (packets dropped{reason}, transfers finished{outcome}, …).
 * One naming rule, checked when a series is first used (docs/ARCHITECTURE.md "Metrics"): snake_case
 * `<subsystem>_<what>_total`, variants as label values, never in the name. A bad metric or label name
 * throws: it is a programming error, caught by the tests that reach the call. Cheap enough for hot
 * paths: a label-less increment is one Map lookup; a labelled one builds its series key per call, or
 * never through a `series()` handle. The server exports them with prom-client (src/server/metrics.ts);
 * the agent only logs snapshots, so this file stays free of dependencies.
 */

/** Label values by label name. Numbers (an HTTP status) are written as decimal strings. */
export type CounterLabels = Readonly<Record<string, string | number>>;

/** One series as the exporter sees it. */
export interface CounterSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Prometheus metric-name grammar (exposition formats, data model). */
const PROMETHEUS_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Prometheus label-name grammar; names starting with `__` are reserved for Prometheus itself. */
const PROMETHEUS_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Our counter style: lower snake_case, at least `<subsystem>_<what>`, ending in `_total`. */
const COUNTER_NAME_STYLE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+_total$/;
const LABEL_NAME_STYLE = /^[a-z][a-z0-9_]*$/;

/** Why `name` is not an acceptable counter name, or null if it is. */
export function counterNameProblem(name: string): string | null {
  if (!PROMETHEUS_METRIC_NAME.test(name)) return `"${name}" is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*); put variants in labels`;
  if (!COUNTER_NAME_STYLE.test(name)) return `"${name}" does not follow <subsystem>_<what>_total in lower snake_case`;
  return null;
}

/** Why `name` is not an acceptable label name, or null if it is. */
export function labelNameProblem(name: string): string | null {
  if (!PROMETHEUS_LABEL_NAME.test(name) || name.startsWith('__')) return `label "${name}" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, no leading __)`;
  if (!LABEL_NAME_STYLE.test(name)) return `label "${name}" is not lower snake_case`;
  return null;
}

/** A handle on one series: validated and keyed once, so `increment()` touches no map. */
export class CounterSeries implements CounterSample {
  value = 0;

  constructor(readonly name: string, readonly labels: Readonly<Record<string, string>>) {}

  increment(by = 1): void {
    this.value += by;
  }
}

export class Counters {
  /** Label-less series by name. Kept apart from #labelled so an unchecked name can never hit a labelled key. */
  readonly #plain = new Map<string, CounterSeries>();
  /** Labelled series by their Prometheus series text, `name{a="x",b="y"}` (label names sorted). */
  readonly #labelled = new Map<string, CounterSeries>();

  increment(name: string, by?: number): void;
  increment(name: string, labels: CounterLabels, by?: number): void;
  increment(name: string, labelsOrBy?: CounterLabels | number, by = 1): void {
    if (labelsOrBy === undefined || typeof labelsOrBy === 'number') {
      const series = this.#plain.get(name) ?? this.#createPlain(name);
      series.value += labelsOrBy ?? 1;
      return;
    }
    const key = seriesKey(name, labelsOrBy);
    const series = key === name ? (this.#plain.get(name) ?? this.#createPlain(name)) : (this.#labelled.get(key) ?? this.#createLabelled(key, name, labelsOrBy));
    series.value += by;
  }

  /** The series for `name` and `labels`, created at 0 if new; keep it to count on a hot path. */
  series(name: string, labels: CounterLabels = {}): CounterSeries {
    const key = seriesKey(name, labels);
    if (key === name) return this.#plain.get(name) ?? this.#createPlain(name);
    return this.#labelled.get(key) ?? this.#createLabelled(key, name, labels);
  }

  /** The value of one series (0 if never counted). Checks the names, so a test asking for a misspelt name fails. */
  get(name: string, labels: CounterLabels = {}): number {
    checkNames(name, labels);
    const key = seriesKey(name, labels);
    return (key === name ? this.#plain.get(name) : this.#labelled.get(key))?.value ?? 0;
  }

  /** Every series, sorted by series text. */
  samples(): CounterSample[] {
    return [...this.#plain.values(), ...this.#labelled.values()]
      .map((s) => ({ key: seriesKey(s.name, s.labels), s }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ s }) => ({ name: s.name, labels: s.labels, value: s.value }));
  }

  /** Values by Prometheus series text (`name` or `name{label="value"}`), sorted: for logs and test dumps. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.samples().map((s) => [seriesKey(s.name, s.labels), s.value]));
  }

  #createPlain(name: string): CounterSeries {
    checkNames(name, {});
    const series = new CounterSeries(name, {});
    this.#plain.set(name, series);
    return series;
  }

  #createLabelled(key: string, name: string, labels: CounterLabels): CounterSeries {
    checkNames(name, labels);
    const copy: Record<string, string> = {};
    for (const label of Object.keys(labels).sort()) copy[label] = String(labels[label]);
    const series = new CounterSeries(name, Object.freeze(copy));
    this.#labelled.set(key, series);
    return series;
  }
}

function checkNames(name: string, labels: CounterLabels): void {
  const problem = counterNameProblem(name) ?? Object.keys(labels).map(labelNameProblem).find((p) => p !== null) ?? null;
  if (problem !== null) throw new Error(`counter ${problem}`);
}

/** `name{a="x",b="y"}` with label names sorted and values escaped as in the text exposition; `name` if no labels. */
function seriesKey(name: string, labels: CounterLabels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return name;
  if (names.length > 1) names.sort();
  let key = `${name}{`;
  for (let i = 0; i < names.length; i++) {
    const label = names[i]!;
    const value = String(labels[label]);
    key += `${i === 0 ? '' : ','}${label}="${/[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value}"`;
  }
  return `${key}}`;
}
