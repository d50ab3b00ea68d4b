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

function checkPolicy(policy: WanPolicy): void {
  if (policy.capBytesPerSecond !== null && !(policy.capBytesPerSecond > 0)) throw new RangeError(`WAN cap must be > 0 bytes/s or none, not ${policy.capBytesPerSecond}`);
  const target = policy.targetDelayMs ?? 50;
  if (policy.adaptive && !(target >= 25 && target <= 100)) throw new RangeError(`WAN target delay must be 25–100 ms, not ${target}`);
}

export class WanShaper {
  #policy: WanPolicy;
  #ledbat: LedbatController | null;
  readonly #ledbatTuning: Partial<LedbatConfig>;
  readonly #clock: Clock;
  #share = 1;
  #bucket: TokenBucket | null = null;

  constructor(policy: WanPolicy, clock: Clock, ledbat: Partial<LedbatConfig> = {}) {
    checkPolicy(policy);
    this.#policy = policy;
    this.#clock = clock;
    this.#ledbatTuning = ledbat;
    this.#ledbat = this.#newLedbat(policy);
  }

  get policy(): WanPolicy {
    return this.#policy;
  }

  get ledbat(): LedbatController | null {
    return this.#ledbat;
  }

  #newLedbat(policy: WanPolicy): LedbatController | null {
    return policy.adaptive
      ? new LedbatController({ ...this.#ledbatTuning, targetDelayMs: policy.targetDelayMs ?? 50, maxRateBytesPerSecond: (policy.capBytesPerSecond ?? Infinity) / this.#share })
      : null;
  }

  /**
   * The site's settings changed (a new signed policy). A LEDBAT controller that stays on keeps its
   * state (base-delay history, current rate) and only gets the new ceiling; a changed target
   * delay or switching the mode on starts a fresh controller, seeded with the old history.
   */
  setPolicy(policy: WanPolicy): void {
    checkPolicy(policy);
    const old = this.#policy;
    this.#policy = policy;
    if (policy.adaptive && old.adaptive && (policy.targetDelayMs ?? 50) === (old.targetDelayMs ?? 50) && this.#ledbat) {
      this.#ledbat.setMaxRate((policy.capBytesPerSecond ?? Infinity) / this.#share);
      return;
    }
    const history = this.baseHistory();
    this.#ledbat = this.#newLedbat(policy);
    if (history.length > 0) this.seedBaseHistory(history);
  }

  /** n agents of the site fetch over the WAN now (from their have messages); the cap is split between them. */
  setShare(fetchers: number): void {
    this.#share = Math.max(1, Math.floor(fetchers));
    if (this.#ledbat) this.#ledbat.setMaxRate((this.#policy.capBytesPerSecond ?? Infinity) / this.#share);
  }

  /** The rate now (bytes/s); Infinity when neither cap nor adaptive mode limits it. */
  rateBytesPerSecond(): number {
    const cap = this.#policy.capBytesPerSecond === null ? Infinity : this.#policy.capBytesPerSecond / this.#share;
    return Math.min(cap, this.#ledbat?.rateBytesPerSecond ?? Infinity);
  }

  reading(): LedbatReading | null {
    return this.#ledbat?.reading() ?? null;
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
    return this.#ledbat?.baseHistory(this.#clock.nowMs()) ?? [];
  }

  seedBaseHistory(entries: ReadonlyArray<{ ageMs: number; minMs: number }>): void {
    this.#ledbat?.seedBaseHistory(entries, this.#clock.nowMs());
  }

  onBytes(bytes: number): void {
    this.#ledbat?.onBytes(bytes, this.#clock.nowMs());
  }

  onDelaySample(delayMs: number): void {
    this.#ledbat?.onDelaySample(delayMs, this.#clock.nowMs());
  }

  /** A delay sample from an idle probe: base-delay history only (see LedbatController.observeIdleDelay). */
  onIdleDelaySample(delayMs: number): void {
    this.#ledbat?.observeIdleDelay(delayMs, this.#clock.nowMs());
  }

  onLoss(): void {
    this.#ledbat?.onLoss(this.#clock.nowMs());
  }
}
