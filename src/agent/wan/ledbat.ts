/**
 * LEDBAT (RFC 6817), receiver-driven and rate-based: the agent that fetches a site's chunks over
 * the WAN backs off as soon as the path's queueing delay rises, so the branch's business traffic
 * keeps its bandwidth, and uses the link fully when it is idle.
 *
 * The server is the sender of chunk data and we do not control its TCP, so the controller runs at
 * the receiver (as rLEDBAT, draft-ietf-tcpm-rledbat, does) and its output is a *rate*: a token
 * bucket paces how fast the agent reads chunk bodies, and TCP flow control carries that back to
 * the server. Delay samples are the time from sending a small request to its first answer byte on
 * a WAN connection; that is the one-way delay of the path plus a near-constant remainder (the
 * request leg, the server's turnaround), and like RFC 6817's one-way delay with its unknown clock
 * offset, every fixed part cancels against the base delay. What remains is queueing delay.
 *
 *   base delay      min over the last BASE_HISTORY minutes of per-minute minima (§3.4.2)
 *   current delay   min over the last CURRENT_FILTER samples (§3.4.1, noise filter)
 *   queuing delay   current − base;  off_target = (TARGET − queuing) / TARGET
 *   increase        off_target ≥ 0: rate += GAIN · off_target · MSS / RTT per RTT (§2.4.2's
 *                   cwnd += GAIN · off_target · MSS per RTT, divided by RTT); slow start (×2 per
 *                   RTT) until queueing first reaches TARGET/2
 *   decrease        off_target < 0: the same linear law (it goes negative); when queueing exceeds
 *                   2 × TARGET also halve per RTT (LEDBAT++, draft-irtf-iccrg-ledbat-plus-plus:
 *                   linear steps alone are too slow to make room for a TCP flow); never below
 *                   2 MSS per RTT (§2.4.2's minimum cwnd)
 *   app-limited     the rate never grows past four times what the last second carried (§2.4.2
 *                   "max_allowed_cwnd": no credit for bytes the sender had no reason to send)
 * Pure: time and samples are passed in.
 */

export interface LedbatConfig {
  /** TARGET (RFC 6817 §2.5.1: at most 100 ms). Default 50. */
  targetDelayMs: number;
  /** GAIN (at most 1). Default 1. */
  gain: number;
  /** BASE_HISTORY in minutes. Default 10. */
  baseHistoryMinutes: number;
  /** CURRENT_FILTER in samples. Default 2 (samples come every ~50 ms). */
  currentFilter: number;
  mssBytes: number;
  /** Starting rate. Default 256 KiB/s (about TCP's 10-segment initial window per 40 ms RTT). */
  initialRateBytesPerSecond: number;
  /** Absolute floor whatever the RTT. Default 16 KiB/s. */
  minRateBytesPerSecond: number;
  /** Ceiling (a configured cap, or Infinity). */
  maxRateBytesPerSecond: number;
}

export const DEFAULT_LEDBAT_CONFIG: LedbatConfig = {
  targetDelayMs: 50,
  gain: 1,
  baseHistoryMinutes: 10,
  currentFilter: 2,
  mssBytes: 1448,
  initialRateBytesPerSecond: 256 * 1024,
  minRateBytesPerSecond: 16 * 1024,
  maxRateBytesPerSecond: Infinity,
};

/** What the last update saw and did (for logs, progress and tests). */
export interface LedbatReading {
  rateBytesPerSecond: number;
  baseDelayMs: number | null;
  currentDelayMs: number | null;
  queuingDelayMs: number | null;
  offTarget: number | null;
  slowStart: boolean;
  samples: number;
}

const MINUTE_MS = 60_000;
const RTT_FLOOR_MS = 10;
const THROUGHPUT_WINDOW_MS = 1000;

export class LedbatController {
  readonly config: LedbatConfig;
  #rate: number;
  #slowStart = true;
  #baseMinutes: Array<{ minute: number; minMs: number }> = [];
  #current: number[] = [];
  #lastUpdateMs: number | null = null;
  #samples = 0;
  #received: Array<{ atMs: number; bytes: number }> = [];
  #last: LedbatReading;

  constructor(config: Partial<LedbatConfig> = {}) {
    this.config = { ...DEFAULT_LEDBAT_CONFIG, ...config };
    if (!(this.config.targetDelayMs > 0 && this.config.targetDelayMs <= 100)) {
      throw new RangeError(`LEDBAT target delay must be in (0, 100] ms (RFC 6817 §2.5.1), not ${this.config.targetDelayMs}`);
    }
    if (!(this.config.gain > 0 && this.config.gain <= 1)) throw new RangeError(`LEDBAT gain must be in (0, 1], not ${this.config.gain}`);
    this.#rate = this.#clamp(this.config.initialRateBytesPerSecond, null);
    this.#last = { rateBytesPerSecond: this.#rate, baseDelayMs: null, currentDelayMs: null, queuingDelayMs: null, offTarget: null, slowStart: true, samples: 0 };
  }

  get rateBytesPerSecond(): number {
    return this.#rate;
  }

  reading(): LedbatReading {
    return { ...this.#last };
  }

  /** Changes the ceiling (a cap set or changed at run time, or a site share). */
  setMaxRate(maxRateBytesPerSecond: number): void {
    this.config.maxRateBytesPerSecond = maxRateBytesPerSecond;
    this.#rate = this.#clamp(this.#rate, this.#baseDelay());
  }

  /**
   * The base-delay history (RFC 6817 §3.4.2: per-minute minima over BASE_HISTORY minutes) as
   * entries aged relative to `nowMs`, to be kept across restarts: an agent that starts its transfer
   * while another flow already keeps the bottleneck queue full cannot see the empty-queue delay
   * itself, and would take that standing queue for propagation delay ("latecomer" problem).
   */
  baseHistory(nowMs: number): Array<{ ageMs: number; minMs: number }> {
    return this.#baseMinutes.map((b) => ({ ageMs: Math.max(0, nowMs - b.minute * MINUTE_MS), minMs: b.minMs }));
  }

  /** Restores saved history; entries older than BASE_HISTORY are ignored. */
  seedBaseHistory(entries: ReadonlyArray<{ ageMs: number; minMs: number }>, nowMs: number): void {
    const nowMinute = Math.floor(nowMs / MINUTE_MS);
    for (const e of entries) {
      if (!Number.isFinite(e.ageMs) || !Number.isFinite(e.minMs) || e.ageMs < 0 || e.minMs < 0) continue;
      const minute = Math.floor((nowMs - e.ageMs) / MINUTE_MS);
      if (minute <= nowMinute - this.config.baseHistoryMinutes) continue;
      const existing = this.#baseMinutes.find((b) => b.minute === minute);
      if (existing) existing.minMs = Math.min(existing.minMs, e.minMs);
      else this.#baseMinutes.push({ minute, minMs: e.minMs });
    }
    this.#baseMinutes.sort((a, b) => a.minute - b.minute);
  }

  /**
   * A delay sample taken while no transfer runs (the agent's idle probes): it only feeds the
   * base-delay history, so the empty-queue delay is known before a transfer starts on a link that
   * another flow may by then keep full (RFC 6817 §4.4, latecomers); the rate is left alone.
   */
  observeIdleDelay(delayMs: number, nowMs: number): void {
    if (!Number.isFinite(delayMs) || delayMs < 0) return;
    this.#recordBase(delayMs, nowMs);
  }

  /** Bytes of chunk data received from the WAN (for the app-limited rule). */
  onBytes(bytes: number, nowMs: number): void {
    this.#received.push({ atMs: nowMs, bytes });
    while (this.#received.length > 0 && this.#received[0]!.atMs < nowMs - THROUGHPUT_WINDOW_MS) this.#received.shift();
  }

  /** A timeout or a reset on the WAN connection: treat as loss, halve (RFC 6817 §2.4.2). */
  onLoss(nowMs: number): void {
    this.#slowStart = false;
    this.#rate = this.#clamp(this.#rate / 2, this.#baseDelay());
    this.#lastUpdateMs = nowMs;
    this.#last = { ...this.#last, rateBytesPerSecond: this.#rate, slowStart: false };
  }

  /** One delay sample (ms); updates the filters and the rate. */
  onDelaySample(delayMs: number, nowMs: number): LedbatReading {
    if (!Number.isFinite(delayMs) || delayMs < 0) return this.reading();
    this.#samples++;
    this.#recordBase(delayMs, nowMs);
    this.#current.push(delayMs);
    if (this.#current.length > this.config.currentFilter) this.#current.shift();
    const base = this.#baseDelay()!;
    const current = Math.min(...this.#current);
    const queuing = Math.max(0, current - base);
    const target = this.config.targetDelayMs;
    const offTarget = (target - queuing) / target;
    const rttMs = Math.max(RTT_FLOOR_MS, base);
    const dtMs = this.#lastUpdateMs === null ? rttMs : Math.min(1000, Math.max(0, nowMs - this.#lastUpdateMs));
    this.#lastUpdateMs = nowMs;
    const rtts = dtMs / rttMs;
    let rate = this.#rate;
    if (offTarget >= 0) {
      if (this.#slowStart && queuing < target / 2) {
        rate *= Math.min(2, 2 ** rtts);
      } else {
        if (queuing >= target / 2) this.#slowStart = false;
        rate += this.config.gain * offTarget * (this.config.mssBytes / (rttMs / 1000)) * rtts;
      }
      // Application-limited: no credit beyond four times what the last second actually carried.
      rate = Math.min(rate, Math.max(this.#rate, 4 * this.#receivedLastSecond(nowMs)));
    } else {
      this.#slowStart = false;
      // RFC 6817's linear decrease (off_target < 0), plus LEDBAT++'s multiplicative cut once the
      // queue is far over target, where linear steps are too slow to make room for TCP.
      rate += this.config.gain * offTarget * (this.config.mssBytes / (rttMs / 1000)) * rtts;
      if (queuing > 2 * target) rate *= 0.5 ** Math.min(1, rtts);
    }
    this.#rate = this.#clamp(rate, base);
    this.#last = {
      rateBytesPerSecond: this.#rate, baseDelayMs: base, currentDelayMs: current, queuingDelayMs: queuing, offTarget,
      slowStart: this.#slowStart, samples: this.#samples,
    };
    return this.reading();
  }

  #receivedLastSecond(nowMs: number): number {
    return this.#received.filter((r) => r.atMs > nowMs - THROUGHPUT_WINDOW_MS).reduce((n, r) => n + r.bytes, 0) * (1000 / THROUGHPUT_WINDOW_MS);
  }

  #recordBase(delayMs: number, nowMs: number): void {
    const minute = Math.floor(nowMs / MINUTE_MS);
    const last = this.#baseMinutes[this.#baseMinutes.length - 1];
    if (last && last.minute === minute) last.minMs = Math.min(last.minMs, delayMs);
    else this.#baseMinutes.push({ minute, minMs: delayMs });
    while (this.#baseMinutes.length > 0 && this.#baseMinutes[0]!.minute <= minute - this.config.baseHistoryMinutes) this.#baseMinutes.shift();
  }

  #baseDelay(): number | null {
    if (this.#baseMinutes.length === 0) return null;
    return Math.min(...this.#baseMinutes.map((b) => b.minMs));
  }

  #clamp(rate: number, baseDelayMs: number | null): number {
    const rttMs = Math.max(RTT_FLOOR_MS, baseDelayMs ?? 100);
    const floor = Math.max(this.config.minRateBytesPerSecond, (2 * this.config.mssBytes) / (rttMs / 1000));
    return Math.max(Math.min(floor, this.config.maxRateBytesPerSecond), Math.min(rate, this.config.maxRateBytesPerSecond));
  }
}
