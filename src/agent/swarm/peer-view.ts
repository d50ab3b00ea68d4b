/**
 * Who holds what on this LAN: the latest "have" message (src/protocol/peer/chunk-have.ts) of each
 * neighbour, merged window by window into a full per-package bitmap, with liveness. Pure: the
 * shell feeds messages it has already authenticated (certificate, signature, site) and passes the
 * monotonic time. A neighbour is live while its messages keep coming: silence for
 * `livenessIntervals` of its announced interval (at least `livenessMinMs`, 4 s) and it is
 * forgotten, with all its chunks and its WAN-fetcher claim. Generous on purpose: declaring a busy
 * WAN fetcher dead (a loaded machine, lost datagrams) makes a second agent fetch the same chunks
 * over the WAN, which costs far more than waiting a few seconds to take over from a dead one.
 */
import { haveHoldsChunk, type ChunkHave } from '../../protocol/peer/chunk-have.js';

export interface PeerPackageState {
  chunkCount: number;
  complete: boolean;
  /** One bit per chunk, bit 7 of byte 0 = chunk 0. */
  held: Uint8Array;
  heldCount: number;
  wanFetcher: boolean;
  wanInFlight: ReadonlySet<number>;
}

export interface PeerState {
  agentId: string;
  address: string;
  chunkPort: number;
  weight: number;
  incarnation: string;
  seq: number;
  intervalMs: number;
  lastHeardMs: number;
  packages: Map<string, PeerPackageState>;
}

export type PeerUpdate = 'accepted' | 'stale' | 'restarted';

/** Ranks agents for the WAN-fetcher role the way the election ranks responders: weight descending, then agent id ascending (code-unit order). */
export function compareFetcherRank(a: { agentId: string; weight: number }, b: { agentId: string; weight: number }): number {
  return b.weight - a.weight || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0);
}

export function bitIsSet(bitmap: Uint8Array, index: number): boolean {
  return (((bitmap[index >> 3] ?? 0) >> (7 - (index & 7))) & 1) === 1;
}

export function setBit(bitmap: Uint8Array, index: number): void {
  bitmap[index >> 3] = (bitmap[index >> 3] ?? 0) | (0x80 >> (index & 7));
}

export function clearBit(bitmap: Uint8Array, index: number): void {
  bitmap[index >> 3] = (bitmap[index >> 3] ?? 0) & ~(0x80 >> (index & 7)) & 0xff;
}

export class PeerView {
  readonly #peers = new Map<string, PeerState>();
  readonly livenessIntervals: number;
  readonly livenessMinMs: number;
  readonly maxPeers: number;

  constructor(options: { livenessIntervals?: number; livenessMinMs?: number; maxPeers?: number } = {}) {
    this.livenessIntervals = options.livenessIntervals ?? 6;
    this.livenessMinMs = options.livenessMinMs ?? 4000;
    this.maxPeers = options.maxPeers ?? 256;
  }

  /** Records one authenticated have message from `address`. */
  update(h: ChunkHave, address: string, nowMs: number): PeerUpdate {
    let peer = this.#peers.get(h.agentId);
    let result: PeerUpdate = 'accepted';
    if (peer && peer.incarnation === h.incarnation && h.seq <= peer.seq) return 'stale';
    if (!peer || peer.incarnation !== h.incarnation) {
      if (peer) result = 'restarted';
      if (!peer && this.#peers.size >= this.maxPeers) this.#evictOldest();
      peer = { agentId: h.agentId, address, chunkPort: h.chunkPort, weight: h.weight, incarnation: h.incarnation, seq: h.seq, intervalMs: h.intervalMs, lastHeardMs: nowMs, packages: new Map() };
      this.#peers.set(h.agentId, peer);
    }
    peer.address = address;
    peer.chunkPort = h.chunkPort;
    peer.weight = h.weight;
    peer.seq = h.seq;
    peer.intervalMs = h.intervalMs;
    peer.lastHeardMs = nowMs;
    const next = new Map<string, PeerPackageState>();
    for (const p of h.packages) {
      const old = peer.packages.get(p.packageId);
      const bytes = Math.ceil(p.chunkCount / 8);
      const held = old && old.chunkCount === p.chunkCount ? old.held : new Uint8Array(bytes);
      if (p.complete) {
        held.fill(0xff);
        const tail = p.chunkCount & 7;
        if (tail !== 0 && bytes > 0) held[bytes - 1] = (0xff << (8 - tail)) & 0xff;
      } else {
        const end = Math.min(p.chunkCount, p.firstChunk + p.bitmap.length * 8);
        for (let i = p.firstChunk; i < end; i++) {
          if (haveHoldsChunk(p, i)) setBit(held, i);
          else clearBit(held, i);
        }
      }
      let heldCount = 0;
      for (const b of held) heldCount += popcount(b);
      next.set(p.packageId, { chunkCount: p.chunkCount, complete: p.complete || heldCount === p.chunkCount, held, heldCount, wanFetcher: p.wanFetcher, wanInFlight: new Set(p.wanInFlight) });
    }
    peer.packages = next;
    return result;
  }

  isLive(peer: PeerState, nowMs: number): boolean {
    return nowMs - peer.lastHeardMs <= Math.max(this.livenessMinMs, this.livenessIntervals * peer.intervalMs);
  }

  /** Live neighbours. */
  live(nowMs: number): PeerState[] {
    return [...this.#peers.values()].filter((p) => this.isLive(p, nowMs));
  }

  get(agentId: string): PeerState | undefined {
    return this.#peers.get(agentId);
  }

  /** Forgets neighbours silent for longer than their liveness window; returns their ids. */
  expire(nowMs: number): string[] {
    const gone: string[] = [];
    for (const [id, p] of this.#peers) if (!this.isLive(p, nowMs)) { this.#peers.delete(id); gone.push(id); }
    return gone;
  }

  /** When the next neighbour would expire (for the scheduler's wake-up), or null. */
  nextExpiryAtMs(): number | null {
    let next: number | null = null;
    for (const p of this.#peers.values()) {
      const at = p.lastHeardMs + Math.max(this.livenessMinMs, this.livenessIntervals * p.intervalMs) + 1;
      if (next === null || at < next) next = at;
    }
    return next;
  }

  /** A neighbour leaving for good (e.g. banned, or its process stopped): drop it now. */
  forget(agentId: string): void {
    this.#peers.delete(agentId);
  }

  get size(): number {
    return this.#peers.size;
  }

  #evictOldest(): void {
    let oldest: PeerState | undefined;
    for (const p of this.#peers.values()) if (!oldest || p.lastHeardMs < oldest.lastHeardMs) oldest = p;
    if (oldest) this.#peers.delete(oldest.agentId);
  }
}

function popcount(b: number): number {
  let n = 0;
  for (let x = b; x !== 0; x &= x - 1) n++;
  return n;
}
