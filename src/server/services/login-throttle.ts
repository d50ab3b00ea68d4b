/**
 * Slows password guessing: after 5 consecutive failures for a username, each further attempt must
 * wait 2^(failures-5) seconds (capped at 5 minutes) or is answered 429 with Retry-After. A success
 * resets the count. Per process and in memory: a restart forgives, which is the point of a cap.
 * Pure apart from the injected clock value, so tests drive it with numbers.
 */

export const freeFailures = 5;
export const maxDelayMs = 5 * 60_000;

interface Entry { failures: number; lastFailureMs: number }

export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();
  /** Bound on tracked usernames, so guessing many names cannot grow memory without end. */
  readonly #maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  /** 0 when an attempt may proceed now; otherwise milliseconds to wait. */
  waitMs(username: string, nowMs: number): number {
    const e = this.#entries.get(username.toLowerCase());
    if (!e || e.failures < freeFailures) return 0;
    const delay = Math.min(maxDelayMs, 1000 * 2 ** (e.failures - freeFailures));
    return Math.max(0, e.lastFailureMs + delay - nowMs);
  }

  failed(username: string, nowMs: number): void {
    const key = username.toLowerCase();
    const e = this.#entries.get(key) ?? { failures: 0, lastFailureMs: nowMs };
    e.failures++;
    e.lastFailureMs = nowMs;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  succeeded(username: string): void {
    this.#entries.delete(username.toLowerCase());
  }
}
