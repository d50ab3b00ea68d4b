/**
 * Slows password guessing per source address: after 5 consecutive failures from one address, each
 * further attempt from it must wait 2^(failures-5) seconds (capped at 5 minutes) or is answered
 * 429. Keyed by where the attempts come from, not by the account: an attacker elsewhere cannot
 * lock the admin out (security review M1), and spraying many usernames from one address is slowed
 * the same way. A success resets that address's count. Per process and in memory: a restart
 * forgives, which is the point of a cap. Pure apart from the injected clock value.
 */

export const freeFailures = 5;
export const maxDelayMs = 5 * 60_000;

interface Entry { failures: number; lastFailureMs: number }

export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();
  /** Bound on tracked addresses, so many sources cannot grow memory without end. */
  readonly #maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  /** 0 when an attempt may proceed now; otherwise milliseconds to wait. */
  waitMs(source: string, nowMs: number): number {
    const e = this.#entries.get(source);
    if (!e || e.failures < freeFailures) return 0;
    const delay = Math.min(maxDelayMs, 1000 * 2 ** (e.failures - freeFailures));
    return Math.max(0, e.lastFailureMs + delay - nowMs);
  }

  failed(source: string, nowMs: number): void {
    const key = source;
    const e = this.#entries.get(key) ?? { failures: 0, lastFailureMs: nowMs };
    e.failures++;
    e.lastFailureMs = nowMs;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  succeeded(source: string): void {
    this.#entries.delete(source);
  }
}
