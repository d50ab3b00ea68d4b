/**
 * Test helper: a seeded model of chunk transfers for swarm simulations, timed by the same
 * FakeClock as the simulated LAN (src/testkit/simulated-lan.ts carries the have datagrams). Each
 * site has one WAN link to the origin (the server's content store); each agent has a LAN port.
 * A transfer occupies the links it crosses for size / rate, in the earliest slot where every one
 * of them is free (a LAN transfer needs the sender's upload and the receiver's download port; a
 * port carries one transfer at a time at full rate), then arrives after the link's latency plus
 * up to 1 ms of seeded jitter. A crashed agent's transfers
 * fail after `timeoutMs`; a `corrupting` agent flips a byte of everything it serves. WAN bytes are
 * counted per site, which is what the tests bound.
 */
import type { FakeClock } from './fake-clock.js';
import type { ChunkStore } from '../agent/content/chunk-store.js';
import type { PeerChunkFetcher, SourceFetchResult, WanChunkFetcher } from '../agent/swarm/package-swarm.js';

export interface SimTransferConfig {
  wanBytesPerMs: number;
  wanLatencyMs: number;
  lanBytesPerMs: number;
  lanLatencyMs: number;
  timeoutMs: number;
}

interface SimAgent {
  agentId: string;
  siteId: string;
  address: string;
  store: ChunkStore;
  isInManifest: (sha256: string) => boolean;
  up: boolean;
  corrupting: boolean;
  upBusy: Array<[number, number]>;
  downBusy: Array<[number, number]>;
}

/** The earliest start ≥ nowMs at which [start, start + durationMs) is free on every port; reserves it. */
function reserveSlot(ports: Array<Array<[number, number]>>, nowMs: number, durationMs: number): number {
  for (const p of ports) {
    // Forget intervals that ended.
    for (let i = p.length - 1; i >= 0; i--) if (p[i]![1] <= nowMs) p.splice(i, 1);
  }
  const starts = [nowMs, ...ports.flatMap((p) => p.map(([, end]) => end))].filter((t) => t >= nowMs).sort((a, b) => a - b);
  for (const start of starts) {
    const end = start + durationMs;
    if (ports.every((p) => p.every(([a, b]) => end <= a || start >= b))) {
      for (const p of ports) { p.push([start, end]); p.sort((x, y) => x[0] - y[0]); }
      return start;
    }
  }
  throw new Error('unreachable: the last interval end is always free');
}

export class SimTransferNetwork {
  readonly origin = new Map<string, Uint8Array>();
  readonly #agents = new Map<string, SimAgent>();
  readonly #wanBusyUntilMs = new Map<string, number>();
  readonly #wanBytes = new Map<string, number>();
  readonly #wanChunks = new Map<string, Map<string, number>>();
  readonly config: SimTransferConfig;

  constructor(readonly clock: FakeClock, readonly random: () => number, config: Partial<SimTransferConfig> = {}) {
    this.config = { wanBytesPerMs: 160, wanLatencyMs: 20, lanBytesPerMs: 2000, lanLatencyMs: 1, timeoutMs: 1000, ...config };
  }

  addAgent(a: { agentId: string; siteId: string; address: string; store: ChunkStore; isInManifest: (sha256: string) => boolean; corrupting?: boolean }): void {
    this.#agents.set(a.address, { ...a, up: true, corrupting: a.corrupting ?? false, upBusy: [], downBusy: [] });
  }

  /** The agent at `address` loses power: its transfers fail from now on. */
  crash(address: string): void {
    const a = this.#agents.get(address);
    if (a) a.up = false;
  }

  /** WAN bytes a site fetched so far. */
  wanBytes(siteId: string): number {
    return this.#wanBytes.get(siteId) ?? 0;
  }

  /** How many times each chunk crossed a site's WAN link. */
  wanChunkCounts(siteId: string): Map<string, number> {
    return this.#wanChunks.get(siteId) ?? new Map();
  }

  peerFetcher(fromAddress: string): PeerChunkFetcher {
    return { fetchChunk: (peer, sha256, sizeBytes) => this.#peerFetch(fromAddress, peer.address, sha256, sizeBytes) };
  }

  wanFetcher(fromAddress: string): WanChunkFetcher {
    return { fetchChunk: (sha256, sizeBytes) => this.#wanFetch(fromAddress, sha256, sizeBytes) };
  }

  #after(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimer(ms, resolve));
  }

  #jitter(): number {
    return Math.round(this.random() * 1000) / 1000;
  }

  async #peerFetch(fromAddress: string, toAddress: string, sha256: string, sizeBytes: number): Promise<SourceFetchResult> {
    const me = this.#agents.get(fromAddress);
    const peer = this.#agents.get(toAddress);
    if (!me?.up) return { outcome: 'failed', detail: 'requester down' };
    if (!peer?.up) {
      await this.#after(this.config.timeoutMs);
      return { outcome: 'failed', detail: 'timeout' };
    }
    if (!peer.isInManifest(sha256)) {
      await this.#after(this.config.lanLatencyMs * 2);
      return { outcome: 'failed', detail: 'HTTP 403' };
    }
    const read = await peer.store.read(sha256);
    if (read.kind !== 'ok') {
      await this.#after(this.config.lanLatencyMs * 2);
      return { outcome: 'notFound', detail: 'HTTP 404' };
    }
    const now = this.clock.nowMs();
    const duration = sizeBytes / this.config.lanBytesPerMs;
    const start = reserveSlot([peer.upBusy, me.downBusy], now, duration);
    await this.#after(start + duration - now + this.config.lanLatencyMs + this.#jitter());
    if (!peer.up || !me.up) return { outcome: 'failed', detail: 'connection reset' };
    const bytes = Uint8Array.from(read.bytes);
    if (peer.corrupting && bytes.byteLength > 0) bytes[0] = bytes[0]! ^ 0x5a;
    return { outcome: 'ok', bytes };
  }

  async #wanFetch(fromAddress: string, sha256: string, sizeBytes: number): Promise<SourceFetchResult> {
    const me = this.#agents.get(fromAddress);
    if (!me?.up) return { outcome: 'failed', detail: 'requester down' };
    const bytes = this.origin.get(sha256);
    if (!bytes) {
      await this.#after(this.config.wanLatencyMs * 2);
      return { outcome: 'notFound', detail: 'HTTP 404' };
    }
    const now = this.clock.nowMs();
    const start = Math.max(now, this.#wanBusyUntilMs.get(me.siteId) ?? 0);
    const end = start + sizeBytes / this.config.wanBytesPerMs;
    this.#wanBusyUntilMs.set(me.siteId, end);
    // The bytes cross the WAN whether or not the requester survives to store them.
    this.#wanBytes.set(me.siteId, this.wanBytes(me.siteId) + sizeBytes);
    const counts = this.#wanChunks.get(me.siteId) ?? new Map<string, number>();
    counts.set(sha256, (counts.get(sha256) ?? 0) + 1);
    this.#wanChunks.set(me.siteId, counts);
    await this.#after(end - now + this.config.wanLatencyMs * 2 + this.#jitter());
    if (!me.up) return { outcome: 'failed', detail: 'requester down' };
    return { outcome: 'ok', bytes: Uint8Array.from(bytes) };
  }
}
