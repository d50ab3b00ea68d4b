/**
 * Boot events to the server (`POST /api/v1/agent/events`, batches of ≤ 500): queued in memory,
 * sent every `flushIntervalMs` or as soon as `flushAtCount` are waiting. When the server is down
 * the queue keeps the newest `queueMax` events (dropping the oldest, counted) and retries; the
 * agent never waits on it.
 */
import type { BootEventInput } from '../../contract/schemas.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import { silentLogger, type Logger } from '../../platform/logger.js';

export interface EventReporterOptions {
  send: (events: BootEventInput[]) => Promise<void>;
  clock: Clock;
  wallClock: () => number;
  logger?: Logger;
  counters?: Counters;
  flushIntervalMs?: number;
  flushAtCount?: number;
  queueMax?: number;
}

export class EventReporter {
  readonly #o: Required<EventReporterOptions>;
  #queue: BootEventInput[] = [];
  #timer: TimerHandle | null = null;
  #sending: Promise<void> | null = null;
  #failing = false;
  #stopped = false;

  constructor(options: EventReporterOptions) {
    this.#o = {
      logger: silentLogger, counters: new Counters(), flushIntervalMs: 2000, flushAtCount: 100, queueMax: 5000,
      ...options,
    };
    this.#o.logger = this.#o.logger.child({ component: 'events' });
  }

  /** Queues an event; `at` defaults to now. */
  report(event: Omit<BootEventInput, 'at'> & { at?: string }): void {
    if (this.#stopped) return;
    this.#queue.push({ ...event, at: event.at ?? new Date(this.#o.wallClock()).toISOString() });
    if (this.#queue.length > this.#o.queueMax) {
      const drop = this.#queue.length - this.#o.queueMax;
      this.#queue.splice(0, drop);
      this.#o.counters.increment('events_dropped_total', drop);
    }
    if (this.#queue.length >= this.#o.flushAtCount) void this.flush();
    else this.#arm();
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Sends what is queued now (coalesced with a send in flight). */
  flush(): Promise<void> {
    if (this.#sending) return this.#sending;
    this.#timer?.cancel();
    this.#timer = null;
    if (this.#queue.length === 0) return Promise.resolve();
    const batch = this.#queue.slice(0, 500);
    this.#sending = this.#o.send(batch).then(() => {
      this.#queue.splice(0, batch.length);
      this.#o.counters.increment('events_sent_total', batch.length);
      if (this.#failing) this.#o.logger.info('boot events delivered again', { sent: batch.length });
      this.#failing = false;
    }, (err: unknown) => {
      this.#o.counters.increment('events_send_errors_total');
      if (!this.#failing) this.#o.logger.warn('boot events not delivered; keeping them and retrying', { queued: this.#queue.length, error: (err as Error).message });
      this.#failing = true;
    }).finally(() => {
      this.#sending = null;
      if (this.#queue.length > 0) this.#arm();
    });
    return this.#sending;
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  #arm(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = this.#o.clock.setTimer(this.#failing ? Math.max(this.#o.flushIntervalMs, 10_000) : this.#o.flushIntervalMs, () => {
      this.#timer = null;
      void this.flush();
    });
  }
}
