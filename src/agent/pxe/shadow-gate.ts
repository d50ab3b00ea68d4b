/**
 * The standby's "shadow" proxyDHCP decision: answer only the PXE DISCOVERs the active left unanswered.
 *
 * Why: failover takes ≈1.5 s (3 missed 500 ms announcements), but SeaBIOS's iPXE ROM sends only two
 * DISCOVERs, at 0 s and ≈1 s, then prints "Nothing to boot" (docs/lab-notes.md, "The iPXE ROM
 * asks twice, about 1 s apart"). A BIOS machine powered on in the first ≈1.5 s after the active died
 * would get no proxy offer at all. So the elected standby hears every DISCOVER too, waits
 * `delayMs` (300 ms by default: the active answers in a few ms, and the ROM's second DISCOVER at
 * ≈1 s still lands inside its window), and sends its own offer only when it saw no proxy offer
 * (yiaddr 0, option 60 "PXEClient", same xid) from another server for that DISCOVER. With the active
 * alive the client gets exactly one offer; both firmwares take the first anyway (docs/lab-notes.md,
 * "Two responders: the first proxy offer wins").
 *
 * `decideShadowReply` is the pure decision; `ShadowGate` keeps the per-xid book and the timers
 * against an injectable Clock (no I/O; the socket shell is shadow-responder.ts).
 */
import type { Clock, TimerHandle } from '../../platform/clock.js';

/** How long the standby waits for the active's offer before answering itself. */
export const DEFAULT_SHADOW_DELAY_MS = 300;
/**
 * An offer may be read a little before the DISCOVER it answers (two sockets, one event loop), so an
 * offer up to this long before the DISCOVER still counts for it. Kept well under the ROM's 1 s
 * retransmission gap, so an offer to the first DISCOVER does not silence the answer to the second.
 */
export const OFFER_SLACK_MS = 200;

export interface SeenOffer {
  /** Source address of the proxy offer. */
  from: string;
  atMs: number;
}

export type ShadowVerdict =
  | { kind: 'wait'; reason: string }
  | { kind: 'skip'; reason: string; answeredBy: string }
  | { kind: 'answer'; reason: string };

export interface ShadowInput {
  discoverAtMs: number;
  nowMs: number;
  delayMs: number;
  /** Proxy offers seen for this DISCOVER's xid (any time). */
  offers: readonly SeenOffer[];
  /** Our own address: our own offers never silence us. */
  selfAddress: string;
}

/** Pure: whether the standby answers a DISCOVER now, stays silent, or waits longer. */
export function decideShadowReply(input: ShadowInput): ShadowVerdict {
  const { discoverAtMs, nowMs, delayMs, offers, selfAddress } = input;
  const other = offers.find((o) => o.from !== selfAddress && o.atMs >= discoverAtMs - OFFER_SLACK_MS);
  if (other) return { kind: 'skip', reason: `${other.from} offered ${Math.round(other.atMs - discoverAtMs)} ms after the DISCOVER`, answeredBy: other.from };
  if (nowMs - discoverAtMs < delayMs) return { kind: 'wait', reason: `no offer yet; waiting ${delayMs} ms for the active` };
  return { kind: 'answer', reason: `no proxy offer from another server within ${Math.round(nowMs - discoverAtMs)} ms` };
}

export interface ShadowGateOptions {
  clock: Clock;
  selfAddress: string;
  delayMs?: number;
  /** Bound on DISCOVERs waiting at once and on xids remembered (a flood cannot grow memory). */
  maxPending?: number;
}

interface Pending { xid: number; atMs: number; timer: TimerHandle; onVerdict: (v: ShadowVerdict) => void }

/**
 * Holds each DISCOVER for `delayMs`, then reports 'answer' or 'skip' once. An offer seen meanwhile
 * settles the DISCOVER as 'skip' at once (no need to wait for the timer).
 */
export class ShadowGate {
  readonly delayMs: number;
  readonly #clock: Clock;
  readonly #self: string;
  readonly #max: number;
  readonly #pending = new Set<Pending>();
  /** xid → offers seen, oldest xid first (Map keeps insertion order). */
  readonly #offers = new Map<number, SeenOffer[]>();

  constructor(o: ShadowGateOptions) {
    this.#clock = o.clock;
    this.#self = o.selfAddress;
    this.delayMs = o.delayMs ?? DEFAULT_SHADOW_DELAY_MS;
    this.#max = o.maxPending ?? 256;
  }

  /** A DISCOVER we would answer arrived. Returns false (and reports nothing) when too many wait already. */
  discover(xid: number, onVerdict: (v: ShadowVerdict) => void): boolean {
    if (this.#pending.size >= this.#max) return false;
    const atMs = this.#clock.nowMs();
    const early = this.#judge(xid, atMs);
    if (early.kind === 'skip') { onVerdict(early); return true; }
    const p: Pending = {
      xid, atMs, onVerdict,
      timer: this.#clock.setTimer(this.delayMs, () => {
        this.#pending.delete(p);
        const v = this.#judge(xid, atMs);
        p.onVerdict(v.kind === 'wait' ? { kind: 'answer', reason: v.reason } : v);
      }),
    };
    this.#pending.add(p);
    return true;
  }

  /** A proxy offer (yiaddr 0, option 60 PXEClient) for `xid` was seen from `from`. */
  offerSeen(xid: number, from: string): void {
    const atMs = this.#clock.nowMs();
    let list = this.#offers.get(xid);
    if (!list) {
      if (this.#offers.size >= this.#max) this.#offers.delete(this.#offers.keys().next().value!);
      list = [];
      this.#offers.set(xid, list);
    }
    if (list.length < 8) list.push({ from, atMs });
    for (const p of this.#pending) {
      if (p.xid !== xid) continue;
      const v = this.#judge(xid, p.atMs);
      if (v.kind !== 'skip') continue;
      p.timer.cancel();
      this.#pending.delete(p);
      p.onVerdict(v);
    }
  }

  pendingCount(): number {
    return this.#pending.size;
  }

  /** Drops every waiting DISCOVER without a verdict. */
  close(): void {
    for (const p of this.#pending) p.timer.cancel();
    this.#pending.clear();
    this.#offers.clear();
  }

  #judge(xid: number, discoverAtMs: number): ShadowVerdict {
    return decideShadowReply({ discoverAtMs, nowMs: this.#clock.nowMs(), delayMs: this.delayMs, offers: this.#offers.get(xid) ?? [], selfAddress: this.#self });
  }
}
