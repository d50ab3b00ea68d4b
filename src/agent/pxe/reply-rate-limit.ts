/**
 * Reply rate limits for the proxyDHCP responder (docs/protocol-notes.md, "Reply rate limits"): per
 * MAC (default at most 4 replies in 10 s, enough for every DISCOVER retransmission at 4/8/16/32 s
 * plus the 4011 step) and a global replies-per-second ceiling. Time comes in as a number
 * (Clock.nowMs()), so it is exact under FakeClock. Memory is bounded: at most `trackedMacsMax` MACs, least recent evicted.
 */

export interface ReplyRateLimits {
  perMacMax: number;
  perMacWindowMs: number;
  globalPerSecondMax: number;
  trackedMacsMax: number;
}

export const defaultReplyRateLimits: ReplyRateLimits = {
  perMacMax: 4,
  perMacWindowMs: 10_000,
  globalPerSecondMax: 50,
  trackedMacsMax: 4096,
};

export type RateVerdict = { allowed: true } | { allowed: false; reason: 'per-mac' | 'global' };

export class ReplyRateLimiter {
  readonly #limits: ReplyRateLimits;
  /** MAC -> send times within the window, oldest first; Map order = least recently used first. */
  readonly #perMac = new Map<string, number[]>();
  #global: number[] = [];

  constructor(limits: Partial<ReplyRateLimits> = {}) {
    this.#limits = { ...defaultReplyRateLimits, ...limits };
  }

  /** Records a reply to `mac` at `nowMs` if both limits allow it. */
  take(mac: string, nowMs: number): RateVerdict {
    const { perMacMax, perMacWindowMs, globalPerSecondMax, trackedMacsMax } = this.#limits;
    this.#global = this.#global.filter((t) => nowMs - t < 1000);
    const times = (this.#perMac.get(mac) ?? []).filter((t) => nowMs - t < perMacWindowMs);
    this.#perMac.delete(mac);
    this.#perMac.set(mac, times);
    while (this.#perMac.size > trackedMacsMax) this.#perMac.delete(this.#perMac.keys().next().value as string);
    if (times.length >= perMacMax) return { allowed: false, reason: 'per-mac' };
    if (this.#global.length >= globalPerSecondMax) return { allowed: false, reason: 'global' };
    times.push(nowMs);
    this.#global.push(nowMs);
    return { allowed: true };
  }

  /** Number of MACs currently tracked (for tests of the memory bound). */
  trackedMacs(): number {
    return this.#perMac.size;
  }
}
