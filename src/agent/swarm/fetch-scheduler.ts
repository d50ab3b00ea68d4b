/**
 * The swarm's fetch plan: which missing chunk to fetch next, and from where. Pure and
 * clock-driven, so simulations run it on a fake clock: every input is a method call with the
 * monotonic time, every decision comes back as effects; the shell (./package-swarm.ts) does the
 * HTTP and the disk.
 *
 * Rules, in order:
 *   1. Peer first. A chunk some live neighbour holds is fetched from a neighbour: rarest chunk
 *      first (fewest holders; ties by package order, then a per-agent hash so neighbours pick
 *      different chunks and can trade them), from the holder we have the fewest requests
 *      in flight to (ties by a hash of us, the chunk and the holder, so neighbours spread out).
 *      A holder that served wrong bytes for that chunk is never asked for it again, and is asked
 *      for nothing while its overall ban lasts (./peer-bans.ts).
 *   2. WAN once per site. A chunk no live neighbour holds or is fetching over the WAN is fetched
 *      from the server only by the package's WAN fetcher: the neighbour already claiming the role
 *      (the have message's wanFetcher flag; incumbency, so a better agent arriving later does not
 *      take over mid-transfer and duplicate chunks), else the best-ranked live agent interested in
 *      the package, ranked like the election's responders (weight, then id). An agent that just
 *      started listens `listenBeforeWanMs` first, so it knows its neighbours before it decides.
 *      Two claims (after a partition heals) resolve to the better-ranked one. The fetcher fetches
 *      in chunk order, so the others can copy each chunk from it as soon as it lands.
 *   3. Nothing without a manifest: only chunks of accepted packages are ever scheduled.
 * Bounds: `peerFetchesMax` requests in flight to neighbours (at most `peerFetchesPerPeerMax` to
 * one), `wanFetchesMax` to the server.
 */
import type { PackageChunks } from '../content/package-chunks.js';
import { PeerBans } from './peer-bans.js';
import { PeerView, bitIsSet, compareFetcherRank, setBit, clearBit, type PeerState } from './peer-view.js';

export interface SchedulerConfig {
  peerFetchesMax: number;
  peerFetchesPerPeerMax: number;
  wanFetchesMax: number;
  /** Listen this long after start before deciding who fetches over the WAN. */
  listenBeforeWanMs: number;
  /** After a neighbour answered "not here" (for that chunk) or failed (for everything): leave it alone this long. */
  peerRetryAfterMs: number;
  /** After a neighbour answered "busy" (all its upload slots taken): try it again this soon. */
  peerBusyRetryMs: number;
  /** WAN failure backoff bounds. */
  wanRetryMs: [number, number];
  /** After a full disk: wait this long before trying to store again. */
  diskFullRetryMs: number;
}

export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = {
  peerFetchesMax: 4,
  peerFetchesPerPeerMax: 2,
  wanFetchesMax: 3,
  listenBeforeWanMs: 3000,
  peerRetryAfterMs: 2000,
  peerBusyRetryMs: 300,
  wanRetryMs: [1000, 30_000],
  diskFullRetryMs: 30_000,
};

export type FetchSource = { kind: 'peer'; agentId: string; address: string; port: number } | { kind: 'wan' };

/** How a fetch ended, as the shell classifies it. */
export type FetchOutcome =
  | 'stored'        // bytes verified and stored
  | 'badBytes'      // bytes did not hash to the chunk's name (or had the wrong size)
  | 'notFound'      // the source does not have it (404)
  | 'busy'          // the source refused for load (503)
  | 'failed'        // connection refused/reset, timeout, other HTTP error
  | 'diskFull';     // our cache is full

export type SchedulerEffect =
  | { kind: 'fetch'; sha256: string; sizeBytes: number; packageId: string; index: number; source: FetchSource }
  | { kind: 'peerBanned'; agentId: string; sha256: string; offences: number; untilMs: number }
  | { kind: 'packageComplete'; packageId: string }
  | { kind: 'wanRole'; packageId: string; fetching: boolean; reason: WanRoleReason }
  | { kind: 'haveChanged' };

export type WanRoleReason = 'claimed-alone' | 'best-ranked' | 'better-claimant' | 'package-complete' | 'incumbent-elsewhere' | 'listening';

interface ChunkEntry {
  sha256: string;
  sizeBytes: number;
  /** Every (package, index) this chunk appears at. */
  refs: Array<{ packageId: string; index: number }>;
}

interface PackageEntry {
  pkg: PackageChunks;
  held: Uint8Array;
  heldCount: number;
  heldBytes: number;
  complete: boolean;
  wanClaim: boolean;
}

interface InFlight {
  source: FetchSource;
  startedMs: number;
  packageId: string;
  index: number;
}

/** Per-package progress as the scheduler knows it. */
export interface PackageProgress {
  packageId: string;
  chunksHeld: number;
  chunksTotal: number;
  bytesHeld: number;
  bytesTotal: number;
  complete: boolean;
  wanFetcher: boolean;
}

/** What this agent says about a package in its have message. */
export interface PackageHaveState {
  packageId: string;
  chunkCount: number;
  complete: boolean;
  held: Uint8Array;
  wanFetcher: boolean;
  wanInFlight: number[];
}

function mix(text: string): number {
  // FNV-1a, 32-bit: a cheap, stable tie-breaker.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export class FetchScheduler {
  readonly config: SchedulerConfig;
  readonly view: PeerView;
  readonly bans: PeerBans;
  readonly self: { readonly agentId: string; weight: number };
  readonly #startedMs: number;
  #packages: PackageEntry[] = [];
  readonly #chunks = new Map<string, ChunkEntry>();
  readonly #held = new Set<string>();
  readonly #inFlight = new Map<string, InFlight>();
  readonly #peerLoad = new Map<string, number>();
  readonly #peerChunkBackoff = new Map<string, number>();
  readonly #peerBackoff = new Map<string, number>();
  #wanFailures = 0;
  #wanBackoffUntilMs = 0;
  #diskFullUntilMs = 0;
  #diskFull = false;

  constructor(self: { agentId: string; weight: number }, nowMs: number, options: { config?: Partial<SchedulerConfig>; view?: PeerView; bans?: PeerBans } = {}) {
    this.self = { ...self };
    this.config = { ...DEFAULT_SCHEDULER_CONFIG, ...options.config };
    this.view = options.view ?? new PeerView();
    this.bans = options.bans ?? new PeerBans();
    this.#startedMs = nowMs;
  }

  /** The accepted packages to hold, in priority order. Chunks already held stay held. */
  setPackages(packages: readonly PackageChunks[], nowMs: number): SchedulerEffect[] {
    const previous = new Map(this.#packages.map((p) => [p.pkg.packageId, p]));
    this.#chunks.clear();
    this.#packages = packages.map((pkg) => {
      const held = new Uint8Array(Math.ceil(pkg.chunks.length / 8));
      let heldCount = 0;
      let heldBytes = 0;
      pkg.chunks.forEach((c, index) => {
        let entry = this.#chunks.get(c.sha256);
        if (!entry) { entry = { sha256: c.sha256, sizeBytes: c.sizeBytes, refs: [] }; this.#chunks.set(c.sha256, entry); }
        entry.refs.push({ packageId: pkg.packageId, index });
        if (this.#held.has(c.sha256)) { setBit(held, index); heldCount++; heldBytes += c.sizeBytes; }
      });
      const complete = heldCount === pkg.chunks.length;
      return { pkg, held, heldCount, heldBytes, complete, wanClaim: previous.get(pkg.packageId)?.wanClaim ?? false };
    });
    const effects: SchedulerEffect[] = [{ kind: 'haveChanged' }];
    for (const p of this.#packages) if (p.complete && !previous.get(p.pkg.packageId)?.complete) effects.push({ kind: 'packageComplete', packageId: p.pkg.packageId });
    return [...effects, ...this.plan(nowMs)];
  }

  /** Whether `sha256` belongs to an accepted package (what may be fetched, stored and served). */
  isWanted(sha256: string): boolean {
    return this.#chunks.has(sha256);
  }

  isHeld(sha256: string): boolean {
    return this.#held.has(sha256);
  }

  /** Chunks verified in the store (at start, or after a fetch). */
  markHeld(sha256s: Iterable<string>, nowMs: number): SchedulerEffect[] {
    const effects: SchedulerEffect[] = [];
    let changed = false;
    for (const sha of sha256s) changed = this.#setHeld(sha, effects) || changed;
    if (changed) effects.push({ kind: 'haveChanged' });
    return [...effects, ...this.plan(nowMs)];
  }

  /** A stored chunk turned out corrupt (verify on read) and was removed: fetch it again. */
  markLost(sha256: string, nowMs: number): SchedulerEffect[] {
    if (!this.#held.delete(sha256)) return this.plan(nowMs);
    const entry = this.#chunks.get(sha256);
    for (const ref of entry?.refs ?? []) {
      const p = this.#packages.find((x) => x.pkg.packageId === ref.packageId);
      if (!p || !bitIsSet(p.held, ref.index)) continue;
      clearBit(p.held, ref.index);
      p.heldCount--;
      p.heldBytes -= entry!.sizeBytes;
      p.complete = false;
    }
    return [{ kind: 'haveChanged' }, ...this.plan(nowMs)];
  }

  /** The end of a fetch the scheduler asked for. */
  onFetchDone(sha256: string, outcome: FetchOutcome, nowMs: number): SchedulerEffect[] {
    const flight = this.#inFlight.get(sha256);
    if (!flight) return this.plan(nowMs);
    this.#inFlight.delete(sha256);
    const effects: SchedulerEffect[] = [];
    const source = flight.source;
    if (source.kind === 'peer') this.#peerLoad.set(source.agentId, Math.max(0, (this.#peerLoad.get(source.agentId) ?? 1) - 1));
    if (outcome !== 'diskFull') this.#diskFull = false;
    switch (outcome) {
      case 'stored':
        if (source.kind === 'wan') this.#wanFailures = 0;
        if (this.#setHeld(sha256, effects)) effects.push({ kind: 'haveChanged' });
        break;
      case 'badBytes':
        if (source.kind === 'peer') {
          const ban = this.bans.recordBadBytes(source.agentId, sha256, nowMs);
          effects.push({ kind: 'peerBanned', agentId: source.agentId, sha256, offences: ban.offences, untilMs: ban.untilMs });
        } else {
          this.#wanFailed(nowMs);
        }
        break;
      case 'notFound':
        if (source.kind === 'peer') this.#peerChunkBackoff.set(`${source.agentId}|${sha256}`, nowMs + this.config.peerRetryAfterMs);
        else this.#wanFailed(nowMs);
        break;
      case 'busy':
        if (source.kind === 'peer') this.#peerBackoff.set(source.agentId, nowMs + this.config.peerBusyRetryMs);
        else this.#wanFailed(nowMs);
        break;
      case 'failed':
        if (source.kind === 'peer') this.#peerBackoff.set(source.agentId, nowMs + this.config.peerRetryAfterMs);
        else this.#wanFailed(nowMs);
        break;
      case 'diskFull':
        this.#diskFull = true;
        this.#diskFullUntilMs = nowMs + this.config.diskFullRetryMs;
        break;
    }
    return [...effects, ...this.plan(nowMs)];
  }

  /** Periodic wake-up (and after a have message was fed to `view`). */
  tick(nowMs: number): SchedulerEffect[] {
    return this.plan(nowMs);
  }

  /** Is the cache full (fetching paused)? */
  get diskFull(): boolean {
    return this.#diskFull;
  }

  /** Decides the fetches to start now. */
  plan(nowMs: number): SchedulerEffect[] {
    const effects: SchedulerEffect[] = [];
    const live = this.view.live(nowMs).filter((p) => p.agentId !== this.self.agentId);
    this.#decideWanRoles(live, nowMs, effects);
    if (nowMs < this.#diskFullUntilMs) return effects;
    this.#planPeerFetches(live, nowMs, effects);
    this.#planWanFetches(live, nowMs, effects);
    return effects;
  }

  /** The earliest time a plan could start something new (backoffs, listening, expiries), or null. */
  nextWakeAtMs(nowMs: number): number | null {
    const times: number[] = [];
    const listenEnd = this.#startedMs + this.config.listenBeforeWanMs;
    if (listenEnd > nowMs) times.push(listenEnd);
    if (this.#wanBackoffUntilMs > nowMs) times.push(this.#wanBackoffUntilMs);
    if (this.#diskFullUntilMs > nowMs) times.push(this.#diskFullUntilMs);
    for (const t of this.#peerBackoff.values()) if (t > nowMs) times.push(t);
    for (const t of this.#peerChunkBackoff.values()) if (t > nowMs) times.push(t);
    const expiry = this.view.nextExpiryAtMs();
    if (expiry !== null && expiry > nowMs) times.push(expiry);
    const ban = this.bans.nextExpiryAtMs(nowMs);
    if (ban !== null) times.push(ban);
    return times.length === 0 ? null : Math.min(...times);
  }

  progress(): PackageProgress[] {
    return this.#packages.map((p) => ({
      packageId: p.pkg.packageId, chunksHeld: p.heldCount, chunksTotal: p.pkg.chunks.length, bytesHeld: p.heldBytes, bytesTotal: p.pkg.totalBytes,
      complete: p.complete, wanFetcher: p.wanClaim,
    }));
  }

  /** What to announce: per package, the held bitmap, the WAN-fetcher claim and the WAN fetches in flight. */
  haveState(): PackageHaveState[] {
    return this.#packages.map((p) => ({
      packageId: p.pkg.packageId,
      chunkCount: p.pkg.chunks.length,
      complete: p.complete,
      held: p.held,
      wanFetcher: p.wanClaim && !p.complete,
      wanInFlight: [...this.#inFlight.values()].filter((f) => f.source.kind === 'wan' && f.packageId === p.pkg.packageId).map((f) => f.index).slice(0, 8),
    }));
  }

  inFlight(): Array<{ sha256: string } & InFlight> {
    return [...this.#inFlight].map(([sha256, f]) => ({ sha256, ...f }));
  }

  #setHeld(sha256: string, effects: SchedulerEffect[]): boolean {
    if (this.#held.has(sha256)) return false;
    this.#held.add(sha256);
    const entry = this.#chunks.get(sha256);
    if (!entry) return false;
    for (const ref of entry.refs) {
      const p = this.#packages.find((x) => x.pkg.packageId === ref.packageId);
      if (!p || bitIsSet(p.held, ref.index)) continue;
      setBit(p.held, ref.index);
      p.heldCount++;
      p.heldBytes += entry.sizeBytes;
      if (!p.complete && p.heldCount === p.pkg.chunks.length) {
        p.complete = true;
        effects.push({ kind: 'packageComplete', packageId: p.pkg.packageId });
        if (p.wanClaim) {
          p.wanClaim = false;
          effects.push({ kind: 'wanRole', packageId: p.pkg.packageId, fetching: false, reason: 'package-complete' });
        }
      }
    }
    return true;
  }

  #wanFailed(nowMs: number): void {
    this.#wanFailures++;
    const [lo, hi] = this.config.wanRetryMs;
    this.#wanBackoffUntilMs = nowMs + Math.min(hi, lo * 2 ** Math.min(this.#wanFailures - 1, 16));
  }

  #holds(peer: PeerState, entry: ChunkEntry): boolean {
    for (const ref of entry.refs) {
      const p = peer.packages.get(ref.packageId);
      if (p && ref.index < p.chunkCount && bitIsSet(p.held, ref.index)) return true;
    }
    return false;
  }

  #usableHolders(live: PeerState[], entry: ChunkEntry, nowMs: number): { usable: PeerState[]; any: boolean } {
    const usable: PeerState[] = [];
    let any = false;
    for (const peer of live) {
      if (!this.#holds(peer, entry)) continue;
      if (this.bans.isChunkBanned(peer.agentId, entry.sha256) || this.bans.isPeerBanned(peer.agentId, nowMs)) continue;
      any = true;
      if ((this.#peerBackoff.get(peer.agentId) ?? 0) > nowMs) continue;
      if ((this.#peerChunkBackoff.get(`${peer.agentId}|${entry.sha256}`) ?? 0) > nowMs) continue;
      usable.push(peer);
    }
    return { usable, any };
  }

  #peerFetchCount(): number {
    let n = 0;
    for (const f of this.#inFlight.values()) if (f.source.kind === 'peer') n++;
    return n;
  }

  #planPeerFetches(live: PeerState[], nowMs: number, effects: SchedulerEffect[]): void {
    if (live.length === 0) return;
    let inFlight = this.#peerFetchCount();
    if (inFlight >= this.config.peerFetchesMax) return;
    const candidates: Array<{ entry: ChunkEntry; holders: PeerState[]; packageOrder: number; tie: number }> = [];
    for (const [packageOrder, p] of this.#packages.entries()) {
      if (p.complete) continue;
      for (const [index, c] of p.pkg.chunks.entries()) {
        if (bitIsSet(p.held, index) || this.#inFlight.has(c.sha256)) continue;
        const entry = this.#chunks.get(c.sha256)!;
        if (entry.refs[0]!.packageId !== p.pkg.packageId || entry.refs[0]!.index !== index) continue;
        const { usable } = this.#usableHolders(live, entry, nowMs);
        if (usable.length > 0) candidates.push({ entry, holders: usable, packageOrder, tie: mix(`${this.self.agentId}|${c.sha256}`) });
      }
    }
    // Rarest first; among equally rare chunks each agent has its own (hashed) order, so neighbours
    // fetch different chunks and then trade them, instead of all asking the same holder for the same
    // chunk (as BitTorrent picks at random within the rarest set).
    candidates.sort((a, b) => a.holders.length - b.holders.length || a.packageOrder - b.packageOrder || a.tie - b.tie);
    for (const c of candidates) {
      if (inFlight >= this.config.peerFetchesMax) break;
      const open = c.holders.filter((h) => (this.#peerLoad.get(h.agentId) ?? 0) < this.config.peerFetchesPerPeerMax);
      if (open.length === 0) continue;
      open.sort((a, b) => (this.#peerLoad.get(a.agentId) ?? 0) - (this.#peerLoad.get(b.agentId) ?? 0)
        || mix(`${this.self.agentId}|${c.entry.sha256}|${a.agentId}`) - mix(`${this.self.agentId}|${c.entry.sha256}|${b.agentId}`));
      const peer = open[0]!;
      const ref = c.entry.refs[0]!;
      const source: FetchSource = { kind: 'peer', agentId: peer.agentId, address: peer.address, port: peer.chunkPort };
      this.#inFlight.set(c.entry.sha256, { source, startedMs: nowMs, packageId: ref.packageId, index: ref.index });
      this.#peerLoad.set(peer.agentId, (this.#peerLoad.get(peer.agentId) ?? 0) + 1);
      inFlight++;
      effects.push({ kind: 'fetch', sha256: c.entry.sha256, sizeBytes: c.entry.sizeBytes, packageId: ref.packageId, index: ref.index, source });
    }
  }

  #decideWanRoles(live: PeerState[], nowMs: number, effects: SchedulerEffect[]): void {
    const listening = nowMs - this.#startedMs < this.config.listenBeforeWanMs;
    for (const p of this.#packages) {
      const id = p.pkg.packageId;
      let claim = false;
      let reason: WanRoleReason;
      if (p.complete) {
        reason = 'package-complete';
      } else {
        // Candidates: live neighbours that still need the package and that we trust now (a banned
        // neighbour's claim is ignored: it must not be able to starve the site by claiming).
        const interested = live.filter((peer) => {
          const state = peer.packages.get(id);
          return state !== undefined && !state.complete && !this.bans.isPeerBanned(peer.agentId, nowMs);
        });
        const claimants = interested.filter((peer) => peer.packages.get(id)!.wanFetcher);
        if (claimants.length > 0) {
          const best = [...claimants, ...(p.wanClaim ? [this.self] : [])].sort(compareFetcherRank)[0]!;
          claim = best.agentId === this.self.agentId;
          reason = claim ? 'best-ranked' : p.wanClaim ? 'better-claimant' : 'incumbent-elsewhere';
        } else if (p.wanClaim) {
          claim = true;
          reason = 'claimed-alone';
        } else if (listening) {
          reason = 'listening';
        } else {
          const best = [...interested, this.self].sort(compareFetcherRank)[0]!;
          claim = best.agentId === this.self.agentId;
          reason = claim ? 'best-ranked' : 'incumbent-elsewhere';
        }
      }
      if (claim !== p.wanClaim) {
        p.wanClaim = claim;
        effects.push({ kind: 'wanRole', packageId: id, fetching: claim, reason }, { kind: 'haveChanged' });
      }
    }
  }

  #planWanFetches(live: PeerState[], nowMs: number, effects: SchedulerEffect[]): void {
    if (nowMs < this.#wanBackoffUntilMs) return;
    let inFlight = 0;
    for (const f of this.#inFlight.values()) if (f.source.kind === 'wan') inFlight++;
    for (const p of this.#packages) {
      if (!p.wanClaim || p.complete) continue;
      for (const [index, c] of p.pkg.chunks.entries()) {
        if (inFlight >= this.config.wanFetchesMax) return;
        if (bitIsSet(p.held, index) || this.#inFlight.has(c.sha256) || this.#held.has(c.sha256)) continue;
        const entry = this.#chunks.get(c.sha256)!;
        if (this.#usableHolders(live, entry, nowMs).any) continue;
        if (live.some((peer) => entry.refs.some((ref) => peer.packages.get(ref.packageId)?.wanInFlight.has(ref.index)))) continue;
        this.#inFlight.set(c.sha256, { source: { kind: 'wan' }, startedMs: nowMs, packageId: p.pkg.packageId, index });
        inFlight++;
        effects.push({ kind: 'fetch', sha256: c.sha256, sizeBytes: c.sizeBytes, packageId: p.pkg.packageId, index, source: { kind: 'wan' } });
      }
    }
  }
}
