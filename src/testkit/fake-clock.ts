/**
 * A Clock whose time moves only when a test calls advance(): timers fire in due order, exactly.
 * After tstest/clock.go (tailscale) and TigerBeetle's logical ticks.
 */
import type { Clock, TimerHandle } from '../platform/clock.js';

interface PendingTimer { dueMs: number; seq: number; fire: () => void; cancelled: boolean }

export class FakeClock implements Clock {
  #nowMs: number;
  #seq = 0;
  #timers: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  setTimer(delayMs: number, fire: () => void): TimerHandle {
    const timer: PendingTimer = { dueMs: this.#nowMs + Math.max(0, delayMs), seq: this.#seq++, fire, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => { timer.cancelled = true; } };
  }

  /** Number of timers not yet fired or cancelled. */
  pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Move time forward by `ms`, firing every timer that falls due, in order (ties by creation). */
  advance(ms: number): void {
    const targetMs = this.#nowMs + ms;
    for (;;) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      let next: PendingTimer | undefined;
      for (const t of this.#timers) {
        if (t.dueMs <= targetMs && (!next || t.dueMs < next.dueMs || (t.dueMs === next.dueMs && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.#nowMs = next.dueMs;
      next.cancelled = true;
      next.fire();
    }
    this.#nowMs = targetMs;
  }
}
