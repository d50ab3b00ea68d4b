/**
 * Test helper: a seeded model of chunk transfers for swarm simulations, timed by the same
 * FakeClock as the simulated LAN (src/testkit/simulated-lan.ts carries the have datagrams). Each
 * site has one WAN link to the origin (the server's content store); each agent has a LAN port.
 * A transfer occupies the links it crosses for size / rate (store-and-forward, FIFO per link), then
 * arrives after the link's latency plus up to 1 ms of seeded jitter. A crashed agent's transfers
 * fail after `timeoutMs`; a `corrupting` agent flips a byte of everything it serves. WAN bytes are
 * counted per site, which is what the tests bound.
 */
import type { FakeClock } from '../../testkit/fake-clock.js';
import type { ChunkStore } from '../content/chunk-store.js';
import type { PeerChunkFetcher, SourceFetchResult, WanChunkFetcher } from './package-swarm.js';

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
  upBusyUntilMs: number;
  downBusyUntilMs: number;
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
    this.#agents.set(a.address, { ...a, up: true, corrupting: a.corrupting ?? false, upBusyUntilMs: 0, downBusyUntilMs: 0 });
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
    const start = Math.max(now, peer.upBusyUntilMs, me.downBusyUntilMs);
    const end = start + sizeBytes / this.config.lanBytesPerMs;
    peer.upBusyUntilMs = end;
    me.downBusyUntilMs = end;
    await this.#after(end - now + this.config.lanLatencyMs + this.#jitter());
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
