/**
 * Status and inventory to the server (`POST /api/v1/agent/status`): every `intervalMs`, and soon
 * after a change (`nudge()`, debounced) — role, serving, package readiness, policy etag, addresses.
 * The answer carries the agent's site, its role and a fresh agent certificate (for the election).
 * Failures are logged once per outage and retried on the next tick; nothing waits on them.
 */
import type { AgentStatusReport, AgentStatusResult } from '../../contract/schemas.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import { silentLogger, type Logger } from '../../platform/logger.js';

export interface StatusReporterOptions {
  send: (report: AgentStatusReport) => Promise<AgentStatusResult>;
  build: () => AgentStatusReport;
  onResult: (result: AgentStatusResult) => void;
  clock: Clock;
  intervalMs: number;
  /** Delay after a nudge, so bursts of changes become one report (default 500 ms). */
  debounceMs?: number;
  /** First retry after a failed report (default 5 s), doubling up to intervalMs. */
  retryMs?: number;
  logger?: Logger;
  counters?: Counters;
}

export class StatusReporter {
  readonly #o: Required<StatusReporterOptions>;
  #timer: TimerHandle | null = null;
  #inFlight: Promise<void> | null = null;
  #again = false;
  #failures = 0;
  #stopped = false;

  constructor(options: StatusReporterOptions) {
    this.#o = { debounceMs: 500, retryMs: 5000, logger: silentLogger, counters: new Counters(), ...options };
    this.#o.logger = this.#o.logger.child({ component: 'status' });
  }

  /** Reports now, then every interval. */
  start(): void {
    void this.reportNow();
  }

  /** Something changed: report soon. */
  nudge(): void {
    if (this.#stopped) return;
    this.#schedule(this.#o.debounceMs);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  reportNow(): Promise<void> {
    if (this.#inFlight) {
      this.#again = true;
      return this.#inFlight;
    }
    this.#timer?.cancel();
    this.#timer = null;
    this.#inFlight = (async () => {
      try {
        const result = await this.#o.send(this.#o.build());
        this.#o.counters.increment('status_reports_total');
        if (this.#failures > 0) this.#o.logger.info('status reports delivered again');
        this.#failures = 0;
        this.#o.onResult(result);
      } catch (err) {
        this.#o.counters.increment('status_report_errors_total');
        if (this.#failures === 0) this.#o.logger.warn('status report failed; retrying', { error: (err as Error).message });
        this.#failures++;
      }
    })().finally(() => {
      this.#inFlight = null;
      if (this.#again) {
        this.#again = false;
        this.#schedule(this.#o.debounceMs);
      } else if (this.#failures > 0) {
        this.#schedule(Math.min(this.#o.intervalMs, this.#o.retryMs * 2 ** Math.min(this.#failures - 1, 8)));
      } else {
        this.#schedule(this.#o.intervalMs);
      }
    });
    return this.#inFlight;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer?.cancel();
    this.#timer = this.#o.clock.setTimer(delayMs, () => {
      this.#timer = null;
      void this.reportNow();
    });
  }
}
