/**
 * Peer-to-peer package distribution for one agent: the shell around the pure FetchScheduler.
 * It holds the signed manifests the policy names (a bad signature is rejected and reported), the
 * verified chunk cache (src/agent/content), the who-has-what view fed by neighbours' signed have
 * messages (src/protocol/peer/chunk-have.ts, UDP 4016), and runs the fetches the scheduler asks
 * for: from neighbours' chunk servers first, from the server over the WAN only as the site's WAN
 * fetcher, paced by the WAN shaper. Every chunk is stored only if it hashes to its name; wrong
 * bytes from a neighbour ban it. A package is ready when every chunk is verified in the cache
 * (and, with an assembler, every file of it is verified in the boot root).
 *
 * Start-up resumes: every chunk already in the cache is verified before the first plan, so an
 * interrupted download continues where it stopped and never re-fetches what it holds.
 *
 * I/O comes in through the options (transport, clients, store, clock), so the same shell runs in
 * the agent and in the seeded simulation (./package-swarm.sim.test.ts).
 */
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PackageManifest, SignedManifest } from '../../contract/manifest.js';
import { systemClock, type Clock, type TimerHandle } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import { datagramDropper, type DropDatagram } from '../../platform/datagram-drop.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import {
  chunkHaveBitmapBudget, decodeChunkHave, encodeChunkHaveToSign, encodeSignedChunkHave, MAX_HAVE_PACKAGES,
  type ChunkHave, type PackageHave,
} from '../../protocol/peer/chunk-have.js';
import { toHex } from '../../protocol/peer/wire-bytes.js';
import { ChunkStoreError, type ChunkStore } from '../content/chunk-store.js';
import { planEviction } from '../content/eviction.js';
import { checkSignedManifest, type ManifestRejectReason, type PackageChunks } from '../content/package-chunks.js';
import { toPrivateKey, toPublicKey } from '../../platform/crypto/ed25519-keys.js';
import { CertificateCache, SignatureCache } from '../peers/peer-crypto.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import type { LedbatReading } from '../wan/ledbat.js';
import type { WanShaper } from '../wan/wan-shaper.js';
import { FetchScheduler, type FetchOutcome, type SchedulerConfig, type SchedulerEffect } from './fetch-scheduler.js';
import { PeerBans } from './peer-bans.js';
import type { PeerIdentity } from './peer-auth.js';
import { admitHave } from './have-admission.js';

/** Broadcast datagrams on the LAN (a dgram socket, or a simulated one). */
export interface HaveTransport {
  send(bytes: Uint8Array): void;
  onMessage(handler: (bytes: Uint8Array, from: { address: string; port: number }) => void): void;
  close(): void | Promise<void>;
}

export type SourceFetchResult =
  | { outcome: 'ok'; bytes: Uint8Array; firstByteMs?: number }
  | { outcome: 'badBytes' | 'notFound' | 'busy' | 'failed'; detail: string };

export interface PeerChunkFetcher {
  fetchChunk(peer: { address: string; port: number }, sha256: string, sizeBytes: number): Promise<SourceFetchResult>;
}

export interface WanChunkFetcher {
  fetchChunk(sha256: string, sizeBytes: number): Promise<SourceFetchResult>;
}

/** Builds package files from verified chunks (src/agent/content/package-sync.ts fits). */
export interface PackageAssembler {
  setWanted(manifests: readonly PackageManifest[]): void;
  isReady(packageId: string): boolean;
  stop(): void;
}

/** What the agent reports per package (the contract's PackageReadiness). */
export interface PackageReadiness {
  packageId: string;
  ready: boolean;
  chunksHeld: number;
  chunksTotal: number;
}

export interface RejectedManifest {
  packageId: string;
  reason: ManifestRejectReason;
  detail: string;
}

export interface SwarmProgress {
  agentId: string;
  packages: Array<PackageReadiness & { bytesHeld: number; bytesTotal: number; wanFetcher: boolean }>;
  rejected: RejectedManifest[];
  neighbours: number;
  bytesFromPeers: number;
  bytesFromWan: number;
  chunksFromPeers: number;
  chunksFromWan: number;
  badChunksFromPeers: number;
  bannedPeers: Array<{ agentId: string; offences: number; untilMs: number }>;
  diskFull: boolean;
  wan: { rateBytesPerSecond: number | null; ledbat: LedbatReading | null };
}

export interface PackageSwarmOptions {
  identity: PeerIdentity;
  /** Our LAN IPv4 address: announced in have messages, where our chunk server listens. */
  address: string;
  chunkPort: number;
  /** The server's Ed25519 public key (base64url raw): verifies manifests and peers' certificates. */
  serverPublicKey: string;
  store: ChunkStore;
  wan: WanChunkFetcher;
  peers: PeerChunkFetcher;
  have: HaveTransport;
  wanShaper?: WanShaper | null;
  /** WAN-fetcher rank (the election weight). Default 300. */
  weight?: number;
  clock?: Clock;
  wallClock?: () => number;
  logger?: Logger;
  counters?: Counters;
  haveIntervalMs?: number;
  /** Minimum gap between have messages sent on change. Default 250 ms. */
  haveMinGapMs?: number;
  scheduler?: Partial<SchedulerConfig>;
  bans?: { baseMs?: number; maxMs?: number };
  /** Where bans are kept across restarts (JSON); none by default. */
  bansPath?: string | null;
  /** Accepted difference between a have message's timestamp and our wall clock. Default 60 s. */
  replayWindowMs?: number;
  incarnation?: string;
  onChange?: () => void;
}

const TICK_MS = 250;
const PLAN_COALESCE_MS = 10;

export class PackageSwarm {
  #o: PackageSwarmOptions;
  readonly #clock: Clock;
  readonly #wallClock: () => number;
  readonly #logger: Logger;
  readonly #dropped: DropDatagram;
  readonly counters: Counters;
  readonly #scheduler: FetchScheduler;
  readonly #serverKeys: KeyObject[];
  readonly #privateKey: KeyObject;
  readonly #incarnation: string;
  readonly #certificates = new CertificateCache();
  readonly #signatures = new SignatureCache();
  readonly #waiters = new Map<string, Array<{ resolve: () => void; reject: (e: Error) => void }>>();
  #assembler: PackageAssembler | null = null;
  #accepted: PackageChunks[] = [];
  /** Chunk count of each accepted package: the bound a peer's have entry must match. */
  #chunkCounts = new Map<string, number>();
  #rejected: RejectedManifest[] = [];
  #pendingWanted: readonly SignedManifest[] | null = null;
  #scanned = false;
  #closed = false;
  #seq = 0;
  #tickTimer: TimerHandle | null = null;
  #haveTimer: TimerHandle | null = null;
  #haveSoonTimer: TimerHandle | null = null;
  #planTimer: TimerHandle | null = null;
  #lastHaveSentMs = -Infinity;
  readonly #windowCursor = new Map<string, number>();
  #stats = { bytesFromPeers: 0, bytesFromWan: 0, chunksFromPeers: 0, chunksFromWan: 0, badChunksFromPeers: 0 };
  #lastDiskFullLogMs = -Infinity;
  #evicting = false;

  private constructor(o: PackageSwarmOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#wallClock = o.wallClock ?? Date.now;
    this.#logger = (o.logger ?? silentLogger).child({ component: 'swarm', agentId: o.identity.agentId });
    this.counters = o.counters ?? new Counters();
    this.#dropped = datagramDropper({ counters: this.counters, logger: this.#logger, counter: 'swarm_have_dropped_total', message: 'have message dropped' });
    this.#serverKeys = [toPublicKey(o.serverPublicKey)];
    this.#privateKey = toPrivateKey(o.identity.privateKey);
    this.#incarnation = o.incarnation ?? randomBytes(8).toString('hex');
    let bans = new PeerBans(o.bans);
    if (o.bansPath) {
      try {
        bans = PeerBans.fromJSON(JSON.parse(readFileSync(o.bansPath, 'utf8')), this.#clock.nowMs(), o.bans);
      } catch {
        // No saved bans yet (or unreadable: start clean; bans are a safeguard, not state we need).
      }
    }
    this.#scheduler = new FetchScheduler({ agentId: o.identity.agentId, weight: o.weight ?? 300 }, this.#clock.nowMs(), { config: o.scheduler, bans });
    o.have.onMessage((bytes, from) => {
      try {
        this.#receiveHave(bytes, from);
      } catch (error) {
        this.counters.increment('swarm_have_dropped_total', { reason: 'internal-error' });
        this.#logger.error('have message handling failed', { error: (error as Error).message });
      }
    });
  }

  /** Starts the swarm: verifies the cache (resume), then begins announcing and fetching. */
  static async start(o: PackageSwarmOptions): Promise<PackageSwarm> {
    const swarm = new PackageSwarm(o);
    await swarm.#scan();
    return swarm;
  }

  /** A renewed agent certificate (signs have messages from now on). */
  setCertificate(certificate: Uint8Array): void {
    this.#o.identity = { ...this.#o.identity, certificate };
  }

  /** The WAN-fetcher rank changed (the election weight: 0 while not serving). */
  setWeight(weight: number): void {
    this.#o.weight = weight;
    this.#scheduler.self.weight = weight;
  }

  /** Attaches the file assembler (after construction: it fetches through `waitForChunk`). */
  attachAssembler(assembler: PackageAssembler): void {
    this.#assembler = assembler;
    assembler.setWanted(this.#accepted.map((p) => p.manifest));
  }

  /**
   * The packages the policy names. Each signed manifest is checked (signature by the server key,
   * structure); rejected ones are reported (returned, logged, counted, in progress()) and never
   * fetched. Chunks already held stay; chunks of packages no longer named are evicted once every
   * wanted package is ready.
   */
  setWanted(manifests: readonly SignedManifest[]): { accepted: string[]; rejected: RejectedManifest[] } {
    const accepted: PackageChunks[] = [];
    const rejected: RejectedManifest[] = [];
    for (const doc of manifests) {
      const check = checkSignedManifest(doc, this.#o.serverPublicKey);
      if (check.ok) {
        if (!accepted.some((p) => p.packageId === check.pkg.packageId)) accepted.push(check.pkg);
      } else {
        rejected.push({ packageId: check.packageId, reason: check.reason, detail: check.detail });
        this.counters.increment('swarm_manifests_rejected_total', { reason: check.reason });
        this.#logger.warn(`package ${check.packageId} rejected: ${check.detail}; it will not be fetched or served (check the server key the agent enrolled with)`, { packageId: check.packageId, reason: check.reason });
      }
    }
    this.#accepted = accepted;
    this.#chunkCounts = new Map(accepted.map((p) => [p.packageId, p.chunks.length]));
    this.#rejected = rejected;
    if (!this.#scanned) {
      this.#pendingWanted = manifests;
    } else {
      this.#apply(this.#scheduler.setPackages(accepted, this.#clock.nowMs()));
      this.#maybeEvict();
    }
    this.#assembler?.setWanted(accepted.map((p) => p.manifest));
    this.#o.onChange?.();
    return { accepted: accepted.map((p) => p.packageId), rejected };
  }

  isReady(packageId: string): boolean {
    const p = this.#scheduler.progress().find((x) => x.packageId === packageId);
    return p !== undefined && p.complete && (this.#assembler ? this.#assembler.isReady(packageId) : true);
  }

  readyIds(): string[] {
    return this.#accepted.map((p) => p.packageId).filter((id) => this.isReady(id));
  }

  wantedIds(): string[] {
    return this.#accepted.map((p) => p.packageId);
  }

  rejected(): RejectedManifest[] {
    return [...this.#rejected];
  }

  /** Per package: ready (every chunk verified), chunks held / total. For the agent's status report. */
  readiness(): PackageReadiness[] {
    return this.#scheduler.progress().map((p) => ({ packageId: p.packageId, ready: this.isReady(p.packageId), chunksHeld: p.chunksHeld, chunksTotal: p.chunksTotal }));
  }

  progress(): SwarmProgress {
    const now = this.#clock.nowMs();
    return {
      agentId: this.#o.identity.agentId,
      packages: this.#scheduler.progress().map((p) => ({
        packageId: p.packageId, ready: this.isReady(p.packageId), chunksHeld: p.chunksHeld, chunksTotal: p.chunksTotal,
        bytesHeld: p.bytesHeld, bytesTotal: p.bytesTotal, wanFetcher: p.wanFetcher,
      })),
      rejected: this.rejected(),
      neighbours: this.#scheduler.view.live(now).length,
      ...this.#stats,
      bannedPeers: this.#scheduler.bans.bannedPeers(now),
      diskFull: this.#scheduler.diskFull,
      wan: { rateBytesPerSecond: this.#o.wanShaper ? finiteOrNull(this.#o.wanShaper.rateBytesPerSecond()) : null, ledbat: this.#o.wanShaper?.reading() ?? null },
    };
  }

  /** For the chunk server: is this chunk in an accepted signed manifest? */
  isInManifest(sha256: string): boolean {
    return this.#scheduler.isWanted(sha256);
  }

  /** For the chunk server: a held chunk failed verification on read and was removed. */
  chunkLost(sha256: string): void {
    if (this.#closed) return;
    this.counters.increment('swarm_chunks_lost_total');
    this.#apply(this.#scheduler.markLost(sha256, this.#clock.nowMs()));
  }

  /** The chunk's verified bytes, waiting until the swarm holds it (the assembler's chunk source). */
  async waitForChunk(sha256: string): Promise<Uint8Array> {
    for (;;) {
      if (this.#closed) throw new Error('package swarm stopped');
      if (!this.#scheduler.isWanted(sha256)) throw new Error(`chunk ${sha256.slice(0, 12)} is in no accepted manifest`);
      if (this.#scheduler.isHeld(sha256)) {
        const r = await this.#o.store.read(sha256);
        if (r.kind === 'ok') return r.bytes;
        this.chunkLost(sha256);
      }
      await new Promise<void>((resolve, reject) => {
        const list = this.#waiters.get(sha256) ?? [];
        list.push({ resolve, reject });
        this.#waiters.set(sha256, list);
      });
    }
  }

  /** Feeds one received have datagram (the transport does this; simulations may call it too). */
  receiveHave(bytes: Uint8Array, from: { address: string; port: number }): void {
    this.#receiveHave(bytes, from);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tickTimer?.cancel();
    this.#haveTimer?.cancel();
    this.#haveSoonTimer?.cancel();
    this.#planTimer?.cancel();
    this.#assembler?.stop();
    for (const list of this.#waiters.values()) for (const w of list) w.reject(new Error('package swarm stopped'));
    this.#waiters.clear();
    await this.#o.have.close();
  }

  // ---- internals -----------------------------------------------------------------------------

  async #scan(): Promise<void> {
    const started = this.#clock.nowMs();
    const stored = await this.#o.store.list();
    const verified: string[] = [];
    let corrupt = 0;
    for (const c of stored) {
      const v = await this.#o.store.verify(c.sha256);
      if (v === 'ok') verified.push(c.sha256);
      else if (v === 'corrupt') corrupt++;
    }
    if (corrupt > 0) {
      this.counters.increment('swarm_scan_corrupt_chunks_total', corrupt);
      this.#logger.warn(`${corrupt} cached chunk(s) failed verification at start and were removed; they will be fetched again`);
    }
    this.#logger.info('chunk cache verified', { chunks: verified.length, corrupt, ms: Math.round(this.#clock.nowMs() - started) });
    this.#scanned = true;
    this.#apply(this.#scheduler.markHeld(verified, this.#clock.nowMs()));
    if (this.#pendingWanted) {
      const pending = this.#pendingWanted;
      this.#pendingWanted = null;
      this.setWanted(pending);
    }
    this.#scheduleTick();
    this.#sendHave();
  }

  #scheduleTick(): void {
    if (this.#closed) return;
    this.#tickTimer?.cancel();
    const now = this.#clock.nowMs();
    const next = this.#scheduler.nextWakeAtMs(now);
    const delay = Math.max(1, Math.min(TICK_MS, next === null ? TICK_MS : next - now));
    this.#tickTimer = this.#clock.setTimer(delay, () => {
      this.#tickTimer = null;
      if (this.#closed) return;
      this.#scheduler.view.expire(this.#clock.nowMs());
      this.#apply(this.#scheduler.tick(this.#clock.nowMs()));
      this.#scheduleTick();
    });
  }

  #apply(effects: SchedulerEffect[]): void {
    if (this.#closed) return;
    let changed = false;
    for (const e of effects) {
      switch (e.kind) {
        case 'fetch':
          void this.#fetch(e);
          break;
        case 'peerBanned':
          this.counters.increment('swarm_peers_banned_total');
          this.#logger.warn('neighbour served wrong bytes: banned', { peer: e.agentId, chunk: e.sha256, offences: e.offences, forMs: Math.round(e.untilMs - this.#clock.nowMs()) });
          this.#saveBans();
          break;
        case 'packageComplete':
          this.counters.increment('swarm_packages_complete_total');
          this.#logger.info('every chunk of the package verified', { packageId: e.packageId });
          changed = true;
          this.#maybeEvict();
          break;
        case 'wanRole':
          this.#logger.info(e.fetching ? 'this agent fetches the package over the WAN for the site' : 'this agent no longer fetches the package over the WAN', { packageId: e.packageId, reason: e.reason });
          this.#updateWanShare();
          break;
        case 'haveChanged':
          this.#haveSoon();
          break;
      }
    }
    if (changed) this.#o.onChange?.();
  }

  async #fetch(e: Extract<SchedulerEffect, { kind: 'fetch' }>): Promise<void> {
    const fromWan = e.source.kind === 'wan';
    let outcome: FetchOutcome;
    try {
      const result = e.source.kind === 'wan'
        ? await this.#o.wan.fetchChunk(e.sha256, e.sizeBytes)
        : await this.#o.peers.fetchChunk({ address: e.source.address, port: e.source.port }, e.sha256, e.sizeBytes);
      if (result.outcome === 'ok') {
        outcome = await this.#store(e.sha256, result.bytes);
        if (outcome === 'stored') {
          const k = fromWan ? 'Wan' : 'Peers';
          this.#stats[`bytesFrom${k}`] += e.sizeBytes;
          this.#stats[`chunksFrom${k}`]++;
          this.counters.increment('swarm_fetched_bytes_total', { source: fromWan ? 'wan' : 'peer' }, e.sizeBytes);
        }
      } else {
        outcome = result.outcome;
        this.#logger.debug('chunk fetch failed', { chunk: e.sha256, from: e.source.kind === 'peer' ? e.source.agentId : 'wan', outcome, detail: result.detail });
      }
    } catch (error) {
      outcome = 'failed';
      this.#logger.warn('chunk fetch failed', { chunk: e.sha256, error: (error as Error).message });
    }
    if (outcome === 'badBytes' && !fromWan) this.#stats.badChunksFromPeers++;
    if (outcome === 'badBytes' && fromWan) this.#logger.warn('the server sent bytes that do not match the chunk name; will retry', { chunk: e.sha256 });
    this.counters.increment('swarm_fetches_total', { source: fromWan ? 'wan' : 'peer', outcome });
    if (this.#closed) return;
    this.#apply(this.#scheduler.onFetchDone(e.sha256, outcome, this.#clock.nowMs()));
    if (outcome === 'stored') this.#wake(e.sha256);
  }

  async #store(sha256: string, bytes: Uint8Array): Promise<FetchOutcome> {
    try {
      await this.#o.store.put(sha256, bytes);
      return 'stored';
    } catch (error) {
      if (error instanceof ChunkStoreError) {
        if (error.code === 'PEERBOOT_ERR_CHUNK_DIGEST_MISMATCH' || error.code === 'PEERBOOT_ERR_CHUNK_TOO_LARGE') return 'badBytes';
        if (error.code === 'PEERBOOT_ERR_CACHE_DISK_FULL') {
          this.counters.increment('swarm_disk_full_total');
          const now = this.#clock.nowMs();
          if (now - this.#lastDiskFullLogMs > 60_000) {
            this.#lastDiskFullLogMs = now;
            this.#logger.error(error.message, { code: error.code });
          }
          return 'diskFull';
        }
      }
      this.#logger.error('storing a chunk failed', { chunk: sha256, error: (error as Error).message });
      return 'failed';
    }
  }

  #wake(sha256: string): void {
    const list = this.#waiters.get(sha256);
    if (!list) return;
    this.#waiters.delete(sha256);
    for (const w of list) w.resolve();
  }

  #updateWanShare(): void {
    const shaper = this.#o.wanShaper;
    if (!shaper) return;
    const now = this.#clock.nowMs();
    const others = this.#scheduler.view.live(now).filter((p) => [...p.packages.values()].some((x) => x.wanFetcher && !x.complete)).length;
    const self = this.#scheduler.progress().some((p) => p.wanFetcher) ? 1 : 0;
    shaper.setShare(others + self);
  }

  #maybeEvict(): void {
    if (this.#evicting || this.#accepted.length === 0) return;
    const progress = this.#scheduler.progress();
    if (!progress.every((p) => p.complete)) return;
    this.#evicting = true;
    const referenced = new Set(this.#accepted.flatMap((p) => p.chunks.map((c) => c.sha256)));
    void (async () => {
      try {
        const plan = planEviction({ stored: await this.#o.store.list(), referenced, allWantedReady: true });
        for (const sha of plan.evict) await this.#o.store.delete(sha);
        if (plan.evict.length > 0) {
          this.counters.increment('swarm_evicted_chunks_total', plan.evict.length);
          this.#logger.info('old package versions evicted from the chunk cache', { chunks: plan.evict.length, bytes: plan.evictBytes });
        }
      } catch (error) {
        this.#logger.warn('eviction failed', { error: (error as Error).message });
      } finally {
        this.#evicting = false;
      }
    })();
  }

  #saveBans(): void {
    if (!this.#o.bansPath) return;
    try {
      writeFileAtomic(this.#o.bansPath, JSON.stringify(this.#scheduler.bans), 0o600);
    } catch (error) {
      this.#logger.warn('could not save the ban list', { error: (error as Error).message });
    }
  }

  #drop(reason: string, from: { address: string }, detail: string): void {
    this.#dropped(reason, { reason, from: from.address, detail });
  }

  #receiveHave(bytes: Uint8Array, from: { address: string; port: number }): void {
    if (this.#closed) return;
    this.counters.increment('swarm_have_received_total');
    const decoded = decodeChunkHave(bytes);
    if (!decoded.ok) { this.#drop(decoded.kind, from, decoded.reason); return; }
    const { certificate, signedBytes, signature } = decoded.packet;
    if (decoded.packet.have.agentId === this.#o.identity.agentId && decoded.packet.have.incarnation === this.#incarnation) { this.counters.increment('swarm_have_own_total'); return; }
    if (decoded.packet.have.address !== from.address) { this.#drop('address-mismatch', from, `message says ${decoded.packet.have.address}, datagram came from ${from.address}`); return; }
    // Bounds from the signed manifests before any signature work (have-admission.ts).
    const admitted = admitHave(decoded.packet.have, (id) => this.#chunkCounts.get(id));
    if (!admitted.ok) { this.#drop(admitted.reason, from, admitted.detail); return; }
    const h = admitted.have;
    const nowWall = this.#wallClock();
    const cert = this.#certificates.check(certificate, this.#serverKeys, this.#o.identity.siteId, nowWall);
    if (!cert.ok) { this.#drop(cert.reason, from, cert.detail); return; }
    if (cert.certificate.agentId !== h.agentId || cert.certificate.siteId !== h.siteId) {
      this.#drop('identity-mismatch', from, `message says ${h.agentId}@${h.siteId}, certificate is for ${cert.certificate.agentId}@${cert.certificate.siteId}`);
      return;
    }
    if (!this.#signatures.verify(signedBytes, signature, cert.agentKey, toHex(cert.certificate.publicKey))) {
      this.#drop('bad-signature', from, 'signature does not verify with the certified key');
      return;
    }
    if (h.agentId === this.#o.identity.agentId) { this.#drop('duplicate-agent-id', from, `incarnation ${h.incarnation} also uses our agent id`); return; }
    if (Math.abs(nowWall - h.timestampMs) > (this.#o.replayWindowMs ?? 60_000)) {
      this.#drop('stale-timestamp', from, `timestamp differs from ours by ${Math.round((h.timestampMs - nowWall) / 1000)} s`);
      return;
    }
    if (!this.#scanned) {
      this.#scheduler.view.update(h, from.address, this.#clock.nowMs());
      return;
    }
    const result = this.#scheduler.view.update(h, from.address, this.#clock.nowMs());
    if (result === 'stale') { this.#drop('replayed', from, `seq ${h.seq} not newer`); return; }
    this.counters.increment('swarm_have_accepted_total');
    this.#updateWanShare();
    this.#planSoon();
  }

  /** Plans once for a burst of have messages (each plan walks every missing chunk). */
  #planSoon(): void {
    if (this.#planTimer || this.#closed) return;
    this.#planTimer = this.#clock.setTimer(PLAN_COALESCE_MS, () => {
      this.#planTimer = null;
      if (!this.#closed) this.#apply(this.#scheduler.tick(this.#clock.nowMs()));
    });
  }

  #haveSoon(): void {
    if (this.#closed || this.#haveSoonTimer || !this.#scanned) return;
    const gap = this.#o.haveMinGapMs ?? 250;
    const wait = Math.max(0, this.#lastHaveSentMs + gap - this.#clock.nowMs());
    this.#haveSoonTimer = this.#clock.setTimer(wait, () => {
      this.#haveSoonTimer = null;
      this.#sendHave();
    });
  }

  #sendHave(): void {
    if (this.#closed) return;
    this.#haveTimer?.cancel();
    const interval = this.#o.haveIntervalMs ?? 500;
    this.#haveTimer = this.#clock.setTimer(interval, () => this.#sendHave());
    this.#lastHaveSentMs = this.#clock.nowMs();
    try {
      this.#o.have.send(this.#buildHave());
      this.counters.increment('swarm_have_sent_total');
    } catch (error) {
      this.counters.increment('swarm_have_send_errors_total');
      this.#logger.warn('have message not sent', { error: (error as Error).message });
    }
  }

  #buildHave(): Uint8Array {
    const states = this.#scheduler.haveState();
    // At most 8 packages per message: incomplete ones first (they are what neighbours need now).
    const chosen = [...states.filter((s) => !s.complete), ...states.filter((s) => s.complete)].slice(0, MAX_HAVE_PACKAGES);
    const base: Omit<ChunkHave, 'packages'> = {
      agentId: this.#o.identity.agentId, siteId: this.#o.identity.siteId, chunkPort: this.#o.chunkPort,
      intervalMs: this.#o.haveIntervalMs ?? 500, weight: this.#o.weight ?? 300, incarnation: this.#incarnation,
      seq: (this.#seq = (this.#seq + 1) >>> 0), timestampMs: Math.floor(this.#wallClock()), address: this.#o.address,
    };
    const incomplete = chosen.filter((s) => !s.complete && s.chunkCount > 0);
    const budget = chunkHaveBitmapBudget(base, chosen, this.#o.identity.certificate.length);
    const perPackage = Math.max(1, Math.floor(budget / Math.max(1, incomplete.length)));
    const packages: PackageHave[] = chosen.map((s) => {
      if (s.complete || s.chunkCount === 0) {
        return { packageId: s.packageId, complete: s.complete, wanFetcher: false, chunkCount: s.chunkCount, firstChunk: 0, bitmap: new Uint8Array(0), wanInFlight: [] };
      }
      const totalBytes = Math.ceil(s.chunkCount / 8);
      let startByte = 0;
      let lengthBytes = totalBytes;
      if (totalBytes > perPackage) {
        startByte = (this.#windowCursor.get(s.packageId) ?? 0) % totalBytes;
        lengthBytes = Math.min(perPackage, totalBytes - startByte);
        this.#windowCursor.set(s.packageId, (startByte + lengthBytes) % totalBytes);
      }
      return {
        packageId: s.packageId, complete: false, wanFetcher: s.wanFetcher, chunkCount: s.chunkCount, firstChunk: startByte * 8,
        bitmap: s.held.slice(startByte, startByte + lengthBytes), wanInFlight: s.wanInFlight,
      };
    });
    const signed = encodeChunkHaveToSign({ ...base, packages }, this.#o.identity.certificate);
    return encodeSignedChunkHave(signed, new Uint8Array(sign(null, signed, this.#privateKey)));
  }
}

function finiteOrNull(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}
