/**
 * Bans for neighbours that served wrong bytes. Pure; time is passed in.
 *   - per chunk: a peer that served bytes not hashing to the chunk's name is never asked for that
 *     chunk again (its copy is bad, or it lies);
 *   - overall: it is not asked for anything for `baseMs`, doubled on every further offence up to
 *     `maxMs` (a flaky disk recovers after a replacement; a liar stays out).
 * The table is bounded; it serialises to JSON so the agent keeps it across restarts.
 */

export interface BanRecord {
  offences: number;
  untilMs: number;
}

export interface BanTableJson {
  chunks: string[];
  peers: Array<{ agentId: string; offences: number }>;
}

export class PeerBans {
  readonly #chunkBans = new Set<string>();
  readonly #peers = new Map<string, BanRecord>();
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxChunkBans: number;

  constructor(options: { baseMs?: number; maxMs?: number; maxChunkBans?: number } = {}) {
    this.baseMs = options.baseMs ?? 10 * 60_000;
    this.maxMs = options.maxMs ?? 24 * 60 * 60_000;
    this.maxChunkBans = options.maxChunkBans ?? 100_000;
  }

  /** Records bad bytes from `agentId` for `sha256`; returns the resulting ban. */
  recordBadBytes(agentId: string, sha256: string, nowMs: number): BanRecord {
    if (this.#chunkBans.size >= this.maxChunkBans) {
      const first = this.#chunkBans.values().next().value;
      if (first !== undefined) this.#chunkBans.delete(first);
    }
    this.#chunkBans.add(`${agentId}|${sha256}`);
    const offences = (this.#peers.get(agentId)?.offences ?? 0) + 1;
    const record = { offences, untilMs: nowMs + Math.min(this.maxMs, this.baseMs * 2 ** (offences - 1)) };
    this.#peers.set(agentId, record);
    return { ...record };
  }

  /** Never ask `agentId` for `sha256`. */
  isChunkBanned(agentId: string, sha256: string): boolean {
    return this.#chunkBans.has(`${agentId}|${sha256}`);
  }

  /** Do not ask `agentId` for anything now. */
  isPeerBanned(agentId: string, nowMs: number): boolean {
    const r = this.#peers.get(agentId);
    return r !== undefined && nowMs < r.untilMs;
  }

  banOf(agentId: string): BanRecord | undefined {
    const r = this.#peers.get(agentId);
    return r ? { ...r } : undefined;
  }

  /** Peers banned now. */
  bannedPeers(nowMs: number): Array<{ agentId: string } & BanRecord> {
    return [...this.#peers].filter(([, r]) => nowMs < r.untilMs).map(([agentId, r]) => ({ agentId, ...r }));
  }

  /** When the next overall ban ends (after `nowMs`), or null. */
  nextExpiryAtMs(nowMs: number): number | null {
    let next: number | null = null;
    for (const r of this.#peers.values()) if (r.untilMs > nowMs && (next === null || r.untilMs < next)) next = r.untilMs;
    return next;
  }

  get chunkBanCount(): number {
    return this.#chunkBans.size;
  }

  toJSON(): BanTableJson {
    return { chunks: [...this.#chunkBans], peers: [...this.#peers].map(([agentId, r]) => ({ agentId, offences: r.offences })) };
  }

  /**
   * Restores a saved table. Chunk bans are permanent; overall bans restart from `nowMs` (the
   * monotonic clock does not survive a restart), so a restart never shortens one.
   */
  static fromJSON(json: unknown, nowMs: number, options?: ConstructorParameters<typeof PeerBans>[0]): PeerBans {
    const bans = new PeerBans(options);
    const j = json as Partial<BanTableJson> | null;
    for (const c of Array.isArray(j?.chunks) ? j.chunks : []) if (typeof c === 'string' && c.includes('|')) bans.#chunkBans.add(c);
    for (const p of Array.isArray(j?.peers) ? j.peers : []) {
      if (typeof p?.agentId !== 'string' || !Number.isInteger(p.offences) || p.offences < 1) continue;
      bans.#peers.set(p.agentId, { offences: p.offences, untilMs: nowMs + Math.min(bans.maxMs, bans.baseMs * 2 ** (p.offences - 1)) });
    }
    return bans;
  }
}
