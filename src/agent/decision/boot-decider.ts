/**
 * The stateful edge of the boot decision: holds the current compiled table (swapped atomically when
 * the policy or package readiness changes), counts outcomes, and measures how long each decision
 * took on the injected Clock. A decision slower than `slowDecisionMs` is logged: the goal is ≤ 5 ms
 * per request (bench/agent/decision.bench.ts), and it never waits on the server.
 */
import type { Clock } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { compileDecisionTable, decideBoot, type BootClient, type BootDecision, type DecisionTable } from './boot-decision.js';

export interface BootDeciderOptions {
  clock: Clock;
  counters?: Counters;
  logger?: Logger;
  /** Decisions slower than this are logged at warn (default 5 ms). */
  slowDecisionMs?: number;
}

/** A decision with when it was made and how long it took (both on the decider's Clock). */
export type TimedBootDecision = BootDecision & { decidedAtMs: number; decisionMs: number; policySerial: number | null };

export class BootDecider {
  #table: DecisionTable = compileDecisionTable(null, null, () => false);
  readonly #clock: Clock;
  readonly #counters: Counters;
  readonly #logger: Logger;
  readonly #slowMs: number;

  constructor(options: BootDeciderOptions) {
    this.#clock = options.clock;
    this.#counters = options.counters ?? new Counters();
    this.#logger = options.logger ?? silentLogger;
    this.#slowMs = options.slowDecisionMs ?? 5;
  }

  /** The table in use. */
  get table(): DecisionTable {
    return this.#table;
  }

  /** Replaces the table (a new policy, or package readiness changed). */
  setTable(table: DecisionTable): void {
    this.#table = table;
  }

  decide(client: BootClient): TimedBootDecision {
    const startMs = this.#clock.nowMs();
    const decision = decideBoot(this.#table, client);
    const endMs = this.#clock.nowMs();
    const decisionMs = endMs - startMs;
    if (decision.kind === 'boot') this.#counters.increment('decision_boot_total');
    else this.#counters.increment('decision_silence_total', { reason: decision.code });
    if (decisionMs > this.#slowMs) {
      this.#counters.increment('decision_slow_total');
      this.#logger.warn('slow boot decision', { mac: client.mac, ms: decisionMs, limitMs: this.#slowMs });
    }
    return { ...decision, decidedAtMs: startMs, decisionMs, policySerial: this.#table.serial };
  }
}
