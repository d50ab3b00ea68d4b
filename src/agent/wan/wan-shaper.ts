/**
 * WAN bandwidth management for the one agent per site that fetches over the WAN: a configurable
 * per-site cap (token bucket, ./token-bucket.ts), an adaptive mode (LEDBAT, ./ledbat.ts) that
 * backs off when the path's queueing delay rises, or both (the lower rate wins). The rate is
 * applied to reading chunk bodies, so TCP flow control slows the server down. `setShare(n)`
 * divides the cap when n agents of the site fetch different packages over the WAN at once, so
 * the site total stays within the cap. LAN transfers never pass through here.
 */
import type { Clock } from '../../platform/clock.js';
import { LedbatController, type LedbatConfig, type LedbatReading } from './ledbat.js';
import { TokenBucket } from './token-bucket.js';

export interface WanPolicy {
  /** Site cap in bytes per second; null = no cap. */
  capBytesPerSecond: number | null;
  /** LEDBAT on. */
  adaptive: boolean;
  /** LEDBAT target queueing delay (25–100 ms). Default 50. */
  targetDelayMs?: number;
}

export const UNLIMITED_WAN: WanPolicy = { capBytesPerSecond: null, adaptive: false };

export class WanShaper {
  readonly policy: WanPolicy;
  readonly ledbat: LedbatController | null;
  readonly #clock: Clock;
  #share = 1;
  #bucket: TokenBucket | null = null;

  constructor(policy: WanPolicy, clock: Clock, ledbat: Partial<LedbatConfig> = {}) {
    if (policy.capBytesPerSecond !== null && !(policy.capBytesPerSecond > 0)) throw new RangeError(`WAN cap must be > 0 bytes/s or none, not ${policy.capBytesPerSecond}`);
    const target = policy.targetDelayMs ?? 50;
    if (policy.adaptive && !(target >= 25 && target <= 100)) throw new RangeError(`WAN target delay must be 25–100 ms, not ${target}`);
    this.policy = policy;
    this.#clock = clock;
    this.ledbat = policy.adaptive ? new LedbatController({ ...ledbat, targetDelayMs: target, maxRateBytesPerSecond: policy.capBytesPerSecond ?? Infinity }) : null;
  }

  /** n agents of the site fetch over the WAN now (from their have messages); the cap is split between them. */
  setShare(fetchers: number): void {
    this.#share = Math.max(1, Math.floor(fetchers));
    if (this.ledbat && this.policy.capBytesPerSecond !== null) this.ledbat.setMaxRate(this.policy.capBytesPerSecond / this.#share);
  }

  /** The rate now (bytes/s); Infinity when neither cap nor adaptive mode limits it. */
  rateBytesPerSecond(): number {
    const cap = this.policy.capBytesPerSecond === null ? Infinity : this.policy.capBytesPerSecond / this.#share;
    return Math.min(cap, this.ledbat?.rateBytesPerSecond ?? Infinity);
  }

  reading(): LedbatReading | null {
    return this.ledbat?.reading() ?? null;
  }

  /** Waits until `bytes` more may be read from the WAN. */
  async take(bytes: number): Promise<void> {
    const rate = this.rateBytesPerSecond();
    if (!Number.isFinite(rate)) return;
    const now = this.#clock.nowMs();
    const burst = Math.max(16 * 1024, rate * 0.02);
    if (!this.#bucket) this.#bucket = new TokenBucket(rate, burst, now);
    else if (this.#bucket.rateBytesPerSecond !== rate) this.#bucket.setRate(rate, now, burst);
    const waitMs = this.#bucket.reserve(bytes, now);
    if (waitMs > 0) await new Promise<void>((resolve) => this.#clock.setTimer(waitMs, resolve));
  }

  /** LEDBAT's base-delay history (empty without the adaptive mode), to keep across restarts. */
  baseHistory(): Array<{ ageMs: number; minMs: number }> {
    return this.ledbat?.baseHistory(this.#clock.nowMs()) ?? [];
  }

  seedBaseHistory(entries: ReadonlyArray<{ ageMs: number; minMs: number }>): void {
    this.ledbat?.seedBaseHistory(entries, this.#clock.nowMs());
  }

  onBytes(bytes: number): void {
    this.ledbat?.onBytes(bytes, this.#clock.nowMs());
  }

  onDelaySample(delayMs: number): void {
    this.ledbat?.onDelaySample(delayMs, this.#clock.nowMs());
  }

  onLoss(): void {
    this.ledbat?.onLoss(this.#clock.nowMs());
  }
}
