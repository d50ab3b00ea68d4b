/**
 * A token bucket (RFC 2697's single-rate meter, used here as a shaper): tokens accrue at
 * `rateBytesPerSecond` up to `burstBytes`; sending n bytes takes n tokens. A reservation larger
 * than what is available is granted with a delay instead of refused (the balance goes negative and
 * the caller waits for it to recover), so a 1 MiB read never deadlocks behind a 64 KiB burst.
 * Pure: time is passed in (monotonic ms).
 */
export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #lastMs: number;

  constructor(rateBytesPerSecond: number, burstBytes: number, nowMs: number) {
    if (!(rateBytesPerSecond > 0)) throw new RangeError(`token bucket rate must be > 0 bytes/s, not ${rateBytesPerSecond}`);
    if (!(burstBytes > 0)) throw new RangeError(`token bucket burst must be > 0 bytes, not ${burstBytes}`);
    this.#rate = rateBytesPerSecond;
    this.#burst = burstBytes;
    this.#tokens = burstBytes;
    this.#lastMs = nowMs;
  }

  get rateBytesPerSecond(): number {
    return this.#rate;
  }

  /** Changes the rate from now on (tokens accrued so far are kept, capped to the burst). */
  setRate(rateBytesPerSecond: number, nowMs: number, burstBytes = this.#burst): void {
    if (!(rateBytesPerSecond > 0)) throw new RangeError(`token bucket rate must be > 0 bytes/s, not ${rateBytesPerSecond}`);
    this.#refill(nowMs);
    this.#rate = rateBytesPerSecond;
    this.#burst = burstBytes;
    this.#tokens = Math.min(this.#tokens, this.#burst);
  }

  /** Tokens available now (negative while repaying a large reservation). */
  available(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens;
  }

  /** Takes `bytes` tokens; returns how long (ms) the caller must wait before sending them. */
  reserve(bytes: number, nowMs: number): number {
    this.#refill(nowMs);
    this.#tokens -= bytes;
    if (this.#tokens >= 0) return 0;
    if (!Number.isFinite(this.#rate)) { this.#tokens = 0; return 0; }
    return (-this.#tokens / this.#rate) * 1000;
  }

  #refill(nowMs: number): void {
    const elapsedMs = Math.max(0, nowMs - this.#lastMs);
    this.#lastMs = Math.max(this.#lastMs, nowMs);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsedMs / 1000) * this.#rate);
  }
}
