/**
 * One TFTP read transfer as a clock-driven state machine: option negotiation (RFC 2347/2348/2349,
 * RFC 7440 windowsize, tftp-hpa rollover), RFC 7440 sliding windows over an absolute block counter,
 * retransmission on timeout only (RFC 1123 §4.2.3.1: never on a duplicate ACK, the Sorcerer's
 * Apprentice), and an adaptive retransmission timeout per session (RFC 6298 SRTT/RTTVAR, Karn's
 * rule, exponential backoff). No sockets and no file access: inputs are decoded ACK/ERROR packets,
 * outputs are effects the server shell performs (docs/protocol-notes.md, "TFTP option negotiation",
 * "Retransmission and Sorcerer's Apprentice", "Windowed transfers (RFC 7440)",
 * "Adaptive retransmission timeout", "Block-number rollover",
 * "Duplicate requests and the end of a transfer").
 */
import type { Clock, TimerHandle } from '../../platform/clock.js';
import type { TftpOptions } from '../../protocol/tftp/packet.js';

/** Limits the server applies when negotiating. */
export interface NegotiationLimits {
  /** Largest blksize granted (default 1468 = Ethernet MTU 1500 − 20 IP − 8 UDP − 4 TFTP, what EDK2 asks). */
  blockSizeMax: number;
  /** Largest windowsize granted (default 64). */
  windowSizeMax: number;
}

export const defaultNegotiationLimits: NegotiationLimits = { blockSizeMax: 1468, windowSizeMax: 64 };

/** RFC 2348: blksize is 8…65464. */
export const BLOCK_SIZE_MIN = 8;
export const BLOCK_SIZE_MAX = 65464;
/** Default block size without the blksize option (RFC 1350). */
export const BLOCK_SIZE_DEFAULT = 512;
/** Our hard cap on windows: far below 32768, so an ACK number maps to one block of the window unambiguously. */
export const WINDOW_SIZE_CAP = 4096;

export interface NegotiatedOptions {
  blockSize: number;
  windowSize: number;
  /** Block number after 65535: 0 (common practice, docs/protocol-notes.md, "Block-number rollover") or 1 (tftp-hpa `rollover=1`). */
  rollover: 0 | 1;
  /** Seconds the client asked for with `timeout` (echoed exactly), or null. */
  timeoutS: number | null;
  /** Options to put in the OACK, in request order; null = no OACK, DATA 1 goes out directly (RFC 2347). */
  optionAck: TftpOptions | null;
  /** Options requested but not granted, with why (for the debug log). */
  ignored: Array<{ name: string; value: string; reason: string }>;
}

const decimal = /^[0-9]{1,10}$/;

/**
 * Decides which requested options to grant (docs/protocol-notes.md, "TFTP option negotiation").
 * Never grants more than asked: EDK2 refuses an OACK with a larger blksize or windowsize, a
 * different timeout, or an option it did not request. `msftwindow` is not implemented, so it is never echoed (docs/protocol-notes.md,
 * "Windows TFTP tuning and msftwindow").
 */
export function negotiateTftpOptions(
  request: { mode: string; options: TftpOptions },
  fileSize: number,
  limits: NegotiationLimits = defaultNegotiationLimits,
): NegotiatedOptions {
  const blockSizeMax = Math.min(BLOCK_SIZE_MAX, Math.max(BLOCK_SIZE_MIN, Math.floor(limits.blockSizeMax)));
  const windowSizeMax = Math.min(WINDOW_SIZE_CAP, Math.max(1, Math.floor(limits.windowSizeMax)));
  const result: NegotiatedOptions = { blockSize: BLOCK_SIZE_DEFAULT, windowSize: 1, rollover: 0, timeoutS: null, optionAck: null, ignored: [] };
  const granted = new Map<string, string>();
  const ignore = (name: string, value: string, reason: string) => result.ignored.push({ name, value, reason });
  for (const [name, value] of request.options) {
    const numeric = decimal.test(value) ? Number(value) : NaN;
    switch (name) {
      case 'blksize':
        // RFC 2348: values below 8 are invalid; larger than we allow is clamped down (tftp-hpa does the same).
        if (!(numeric >= BLOCK_SIZE_MIN)) { ignore(name, value, 'not a number ≥ 8'); break; }
        result.blockSize = Math.min(numeric, blockSizeMax);
        granted.set(name, String(result.blockSize));
        break;
      case 'tsize':
        // RFC 2349: the size is only known in octet mode (netascii changes it; dnsmasq does the same).
        if (request.mode !== 'octet') { ignore(name, value, 'not in netascii mode'); break; }
        if (Number.isNaN(numeric)) { ignore(name, value, 'not a number'); break; }
        // curl rejects an OACK carrying tsize=0 ("invalid tsize value in OACK packet", curl tftp.c),
        // so an empty file goes without it: the client then simply receives one empty DATA block.
        if (fileSize === 0) { ignore(name, value, 'empty file (curl refuses tsize=0)'); break; }
        granted.set(name, String(fileSize));
        break;
      case 'timeout':
        // RFC 2349: 1…255 s, and the OACK must carry exactly the requested value (EDK2 checks).
        if (!(numeric >= 1 && numeric <= 255)) { ignore(name, value, 'not 1…255'); break; }
        result.timeoutS = numeric;
        granted.set(name, value);
        break;
      case 'windowsize':
        // RFC 7440: 1…65535, reply ≤ request.
        if (!(numeric >= 1 && numeric <= 65535)) { ignore(name, value, 'not 1…65535'); break; }
        result.windowSize = Math.min(numeric, windowSizeMax);
        granted.set(name, String(result.windowSize));
        break;
      case 'rollover':
        if (value !== '0' && value !== '1') { ignore(name, value, 'not 0 or 1'); break; }
        result.rollover = value === '1' ? 1 : 0;
        granted.set(name, value);
        break;
      case 'msftwindow':
        ignore(name, value, 'Microsoft variable window not implemented (never echoed)');
        break;
      default:
        ignore(name, value, 'unknown option');
    }
  }
  if (granted.size > 0) result.optionAck = granted;
  return result;
}

/** Retransmission timing. */
export interface TransferTiming {
  /**
   * RTO before the first RTT sample (RFC 6298 §2.1 says 1 s). A negotiated `timeout` lowers it
   * when smaller, never raises it: clients ask for 5–6 s (curl sends timeout=6), and honouring that
   * made a lost OACK or ACK 0 stall the transfer for 6 s on the bench's lossy path. Retransmitting
   * sooner than the client's interval is harmless (it re-ACKs a repeated OACK), and the value is
   * still echoed exactly (EDK2 checks it) and still lifts the backoff ceiling.
   */
  initialRtoMs: number;
  /**
   * Floor of the adaptive RTO. RFC 6298 §2.4 asks for 1 s on the open Internet; TCP stacks use
   * 200 ms on LANs (Linux TCP_RTO_MIN) mostly because TCP receivers delay ACKs by up to 200 ms
   * (RFC 1122 §4.2.3.2). TFTP receivers never delay: an ACK leaves as soon as the block, or the
   * RFC 7440 window, is in. So the floor only has to cover timer granularity and scheduling jitter
   * at both ends (RFC 6298 §4), and the default 20 ms is ≈ 10× a LAN's SRTT (≈ 2 ms measured).
   * A spurious timeout costs one duplicate window and backs the RTO off; Karn's rule keeps it out
   * of the RTT estimate.
   */
  minRtoMs: number;
  /** Ceiling of the backed-off RTO (raised to the negotiated timeout if that is larger). */
  maxRtoMs: number;
  /** Consecutive timeouts before a data transfer is abandoned (if also idle for idleGiveUpMs). */
  retriesMax: number;
  /** Retransmissions of the first packet (OACK, or DATA 1 without options): kept low against amplification (docs/protocol-notes.md, "TFTP amplification"). */
  firstPacketRetriesMax: number;
  /** A transfer that has made progress is abandoned only after this long without any (dnsmasq waits 120 s). */
  idleGiveUpMs: number;
}

export const defaultTransferTiming: TransferTiming = {
  initialRtoMs: 1000,
  minRtoMs: 20,
  maxRtoMs: 3000,
  retriesMax: 6,
  firstPacketRetriesMax: 3,
  idleGiveUpMs: 10_000,
};

export type TransferEffect =
  | { kind: 'sendOptionAck'; options: TftpOptions; retransmit: boolean }
  /** Send DATA for absolute blocks first … first+count−1, in order. */
  | { kind: 'sendBlocks'; first: number; count: number; retransmit: boolean }
  | { kind: 'done'; outcome: 'complete' | 'probe' }
  | { kind: 'failed'; reason: 'timeout' | 'clientError'; detail: string };

export type TransferPhase = 'new' | 'optionAck' | 'data' | 'done' | 'failed';

export interface TransferStats {
  /** Blocks sent for the first time. */
  blocksSent: number;
  /** Blocks (and OACKs) sent again. */
  retransmitted: number;
  timeouts: number;
  /** ACKs that did not advance the window (duplicates, stale or out of range): ignored. */
  ignoredAcks: number;
  rttSamples: number;
}

const noEffects: TransferEffect[] = [];
Object.freeze(noEffects);

/** Wire block number of absolute block `index` (docs/protocol-notes.md, "Block-number rollover"): low 16 bits, or 1 after 65535 with rollover=1. */
export function wireBlockNumber(index: number, rollover: 0 | 1): number {
  if (rollover === 0 || index <= 0xffff) return index % 0x10000;
  return ((index - 1) % 0xffff) + 1;
}

export interface TftpTransferOptions {
  clock: Clock;
  /** Bytes to serve: the size taken when the RRQ arrived. */
  fileSize: number;
  negotiated: NegotiatedOptions;
  timing?: Partial<TransferTiming>;
  /** Receives the effects of a retransmission timeout (the other inputs return theirs). */
  onTimerEffects: (effects: TransferEffect[]) => void;
}

/**
 * The sender side of one RRQ. Call start() once, then feed receiveAck()/receiveError(); apply the
 * returned effects in order. Block indices in effects are absolute (1-based, never wrap); use
 * wireBlock()/blockOffset()/blockLength() to build the packets.
 */
export class TftpTransfer {
  readonly fileSize: number;
  readonly blockSize: number;
  readonly windowSize: number;
  readonly rollover: 0 | 1;
  /** Number of DATA blocks, including the final short (possibly empty) one. */
  readonly totalBlocks: number;
  readonly optionAck: TftpOptions | null;
  readonly stats: TransferStats = { blocksSent: 0, retransmitted: 0, timeouts: 0, ignoredAcks: 0, rttSamples: 0 };

  #phase: TransferPhase = 'new';
  /** Highest absolute block the client has acknowledged (0 = none; also the OACK's ACK 0). */
  #acked = 0;
  /** Highest absolute block sent so far. */
  #sent = 0;
  /** Highest block of the last retransmission: until it is acknowledged, mid-window ACKs resend nothing. */
  #recoverUntil = 0;
  readonly #sentAtMs: Float64Array;
  /** 1 when the block in that window slot was sent more than once (Karn: no RTT sample from it). */
  readonly #resent: Uint8Array;
  #optionAckSentAtMs = 0;
  #optionAckResent = false;

  readonly #clock: Clock;
  readonly #timing: TransferTiming;
  readonly #onTimerEffects: (effects: TransferEffect[]) => void;
  readonly #maxRtoMs: number;
  #rtoMs: number;
  #srttMs = -1;
  #rttvarMs = 0;
  #retries = 0;
  #lastProgressMs = 0;
  /** When a retransmission is due; the timer itself is re-armed lazily so that an ACK allocates nothing. */
  #deadlineMs = Infinity;
  #timer: TimerHandle | null = null;
  #timerDueMs = Infinity;
  /** The deadline passed once: the timeout is confirmed one timer turn later (see #onTimer). */
  #confirming = false;
  readonly #fire = () => this.#onTimer();

  constructor(options: TftpTransferOptions) {
    const { negotiated } = options;
    this.#clock = options.clock;
    this.#timing = { ...defaultTransferTiming, ...options.timing };
    this.#onTimerEffects = options.onTimerEffects;
    this.fileSize = options.fileSize;
    this.blockSize = negotiated.blockSize;
    this.windowSize = Math.min(WINDOW_SIZE_CAP, negotiated.windowSize);
    this.rollover = negotiated.rollover;
    this.optionAck = negotiated.optionAck;
    this.totalBlocks = Math.floor(this.fileSize / this.blockSize) + 1;
    this.#sentAtMs = new Float64Array(this.windowSize);
    this.#resent = new Uint8Array(this.windowSize);
    const negotiatedMs = negotiated.timeoutS !== null ? negotiated.timeoutS * 1000 : Infinity;
    this.#rtoMs = Math.min(negotiatedMs, this.#timing.initialRtoMs);
    this.#maxRtoMs = Math.max(this.#timing.maxRtoMs, negotiated.timeoutS !== null ? negotiatedMs : 0);
  }

  get phase(): TransferPhase { return this.#phase; }
  /** Highest absolute block acknowledged. */
  get ackedBlock(): number { return this.#acked; }
  /** Highest absolute block sent. */
  get sentBlock(): number { return this.#sent; }
  /** Bytes the client has acknowledged. */
  get bytesAcked(): number { return Math.min(this.fileSize, this.#acked * this.blockSize); }
  get rtoMs(): number { return this.#rtoMs; }
  /** Smoothed RTT, or null before the first sample. */
  get srttMs(): number | null { return this.#srttMs < 0 ? null : this.#srttMs; }

  wireBlock(index: number): number { return wireBlockNumber(index, this.rollover); }
  blockOffset(index: number): number { return (index - 1) * this.blockSize; }
  blockLength(index: number): number {
    return index < this.totalBlocks ? this.blockSize : this.fileSize - (this.totalBlocks - 1) * this.blockSize;
  }

  /** Sends the OACK, or DATA 1 when no option was granted. */
  start(): TransferEffect[] {
    if (this.#phase !== 'new') return noEffects;
    this.#lastProgressMs = this.#clock.nowMs();
    if (this.optionAck) {
      this.#phase = 'optionAck';
      this.#optionAckSentAtMs = this.#clock.nowMs();
      this.#arm();
      return [{ kind: 'sendOptionAck', options: this.optionAck, retransmit: false }];
    }
    this.#phase = 'data';
    return [this.#sendRange(1, Math.min(this.windowSize, this.totalBlocks))];
  }

  /** An ACK from the client's TID, with its 16-bit block number. */
  receiveAck(wireBlock: number): TransferEffect[] {
    const now = this.#clock.nowMs();
    if (this.#phase === 'optionAck') {
      // ACK 0 accepts the OACK (RFC 2347). Anything else is ignored and the OACK timer keeps running (tftp-hpa).
      if (wireBlock !== 0) { this.stats.ignoredAcks++; return noEffects; }
      if (!this.#optionAckResent) this.#sampleRtt(now - this.#optionAckSentAtMs);
      this.#phase = 'data';
      this.#progress(now);
      return [this.#sendRange(1, Math.min(this.windowSize, this.totalBlocks))];
    }
    if (this.#phase !== 'data') return noEffects;
    const index = this.#ackedIndex(wireBlock);
    if (index <= this.#acked) {
      // A duplicate or stale ACK: never answer it with data (Sorcerer's Apprentice). The timer resends if needed.
      this.stats.ignoredAcks++;
      return noEffects;
    }
    const slot = index % this.windowSize;
    if (this.#resent[slot] === 0) this.#sampleRtt(now - (this.#sentAtMs[slot] as number));
    const recovering = this.#acked < this.#recoverUntil;
    this.#acked = index;
    this.#progress(now);
    if (index === this.totalBlocks) {
      this.#finish();
      this.#phase = 'done';
      return [{ kind: 'done', outcome: 'complete' }];
    }
    const windowEnd = Math.min(index + this.windowSize, this.totalBlocks);
    // RFC 7440 §4: the next window starts right after the acknowledged block, so blocks the client
    // discarded after a gap go out again at once. But only once per loss episode: while resent
    // blocks are still unacknowledged, a mid-window ACK is more likely the client re-ACKing a
    // duplicate than a new gap, and answering it with the window again would send every block
    // twice from then on (a windowed Sorcerer's Apprentice). Then only new blocks go out.
    const first = recovering ? this.#sent + 1 : index + 1;
    if (first > windowEnd) {
      this.#arm();
      return noEffects;
    }
    return [this.#sendRange(first, windowEnd)];
  }

  /** An ERROR from the client's TID: the transfer ends silently (never answer an ERROR with an ERROR). */
  receiveError(code: number, message: string): TransferEffect[] {
    if (this.#phase === 'done' || this.#phase === 'failed') return noEffects;
    const wasOptionAck = this.#phase === 'optionAck';
    this.#finish();
    // EDK2's tsize probe: OACK, then ERROR 8 "User aborted the transfer". ERROR 0 is treated the same
    // (the Wireshark heuristic); both are a normal close, not a failure
    // (docs/protocol-notes.md, "TFTP option negotiation").
    if (wasOptionAck && (code === 8 || code === 0)) {
      this.#phase = 'done';
      return [{ kind: 'done', outcome: 'probe' }];
    }
    this.#phase = 'failed';
    return [{ kind: 'failed', reason: 'clientError', detail: `client sent ERROR ${code}${message ? `: ${message}` : ''}` }];
  }

  /** Stops the transfer without effects (server shutting down, or the shell failed it). */
  abort(): void {
    if (this.#phase === 'done' || this.#phase === 'failed') return;
    this.#finish();
    this.#phase = 'failed';
  }

  /** The absolute block in [acked, sent] whose wire number is `wireBlock`, or −1. */
  #ackedIndex(wireBlock: number): number {
    for (let index = this.#sent; index >= this.#acked; index--) {
      if (wireBlockNumber(index, this.rollover) === wireBlock) return index;
    }
    return -1;
  }

  /** Sends blocks first … last (at most one window); blocks already sent count as retransmissions. */
  #sendRange(first: number, last: number): TransferEffect {
    const now = this.#clock.nowMs();
    let resent = false;
    for (let index = first; index <= last; index++) {
      const slot = index % this.windowSize;
      if (index <= this.#sent) {
        this.#resent[slot] = 1;
        this.stats.retransmitted++;
        resent = true;
      } else {
        this.#resent[slot] = 0;
        this.stats.blocksSent++;
      }
      this.#sentAtMs[slot] = now;
    }
    if (last > this.#sent) this.#sent = last;
    if (resent) this.#recoverUntil = Math.max(this.#recoverUntil, last);
    this.#arm();
    return { kind: 'sendBlocks', first, count: last - first + 1, retransmit: resent };
  }

  #progress(now: number): void {
    this.#retries = 0;
    this.#lastProgressMs = now;
  }

  /** RFC 6298 §2: SRTT/RTTVAR update and RTO = SRTT + max(G, 4·RTTVAR), clamped. */
  #sampleRtt(sampleMs: number): void {
    const r = Math.max(0, sampleMs);
    if (this.#srttMs < 0) {
      this.#srttMs = r;
      this.#rttvarMs = r / 2;
    } else {
      this.#rttvarMs = 0.75 * this.#rttvarMs + 0.25 * Math.abs(this.#srttMs - r);
      this.#srttMs = 0.875 * this.#srttMs + 0.125 * r;
    }
    this.stats.rttSamples++;
    const granularityMs = 1;
    this.#rtoMs = Math.min(this.#maxRtoMs, Math.max(this.#timing.minRtoMs, this.#srttMs + Math.max(granularityMs, 4 * this.#rttvarMs)));
  }

  #arm(): void {
    const deadline = this.#clock.nowMs() + this.#rtoMs;
    this.#deadlineMs = deadline;
    if (this.#timer && this.#timerDueMs <= deadline) return; // fires first, then re-arms for the rest
    this.#timer?.cancel();
    this.#timerDueMs = deadline;
    this.#timer = this.#clock.setTimer(this.#rtoMs, this.#fire);
  }

  #finish(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#deadlineMs = Infinity;
  }

  #onTimer(): void {
    this.#timer = null;
    if (this.#phase !== 'optionAck' && this.#phase !== 'data') return;
    const now = this.#clock.nowMs();
    if (now < this.#deadlineMs) {
      this.#confirming = false;
      this.#timerDueMs = this.#deadlineMs;
      this.#timer = this.#clock.setTimer(this.#deadlineMs - now, this.#fire);
      return;
    }
    if (!this.#confirming) {
      // Node runs due timers before it reads the sockets. After the event loop was busy (GC, a
      // burst from other sessions) the ACK that meets this deadline may already wait in the socket
      // buffer, and with a 20 ms floor that happens. So look again one timer turn later, after the
      // pending datagrams were read: an ACK that advanced meanwhile has moved the deadline.
      this.#confirming = true;
      this.#timerDueMs = now;
      this.#timer = this.#clock.setTimer(0, this.#fire);
      return;
    }
    this.#confirming = false;
    this.#onTimerEffects(this.#timeout(now));
  }

  #timeout(now: number): TransferEffect[] {
    this.stats.timeouts++;
    this.#retries++;
    const firstPacket = this.#phase === 'optionAck' || (this.#acked === 0 && this.optionAck === null);
    if (firstPacket ? this.#retries > this.#timing.firstPacketRetriesMax
      : this.#retries > this.#timing.retriesMax && now - this.#lastProgressMs >= this.#timing.idleGiveUpMs) {
      // dnsmasq notes that some clients never ACK the final block: say so rather than blame the link.
      const where = firstPacket ? (this.optionAck ? 'the OACK' : 'DATA 1')
        : this.#acked + 1 === this.totalBlocks ? `the final block ${this.#acked + 1} (the client may have finished without acknowledging it)`
          : `block ${this.#acked + 1}`;
      this.#finish();
      this.#phase = 'failed';
      return [{ kind: 'failed', reason: 'timeout', detail: `no ACK for ${where} after ${this.#retries - 1} retransmissions` }];
    }
    // RFC 6298 §5.5: back off; the backed-off RTO stays until a valid (non-retransmitted) sample.
    this.#rtoMs = Math.min(this.#maxRtoMs, this.#rtoMs * 2);
    if (this.#phase === 'optionAck') {
      this.#optionAckResent = true;
      this.stats.retransmitted++;
      this.#arm();
      return [{ kind: 'sendOptionAck', options: this.optionAck as TftpOptions, retransmit: true }];
    }
    // Resend the whole outstanding window, starting after the last ACK (RFC 7440 §4).
    return [this.#sendRange(this.#acked + 1, this.#sent)];
  }
}
