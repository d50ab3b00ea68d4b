/**
 * Replay protection for signed election announcements (docs/election.md "Security"). Pure and
 * deterministic: the caller passes the wall and monotonic times; nothing here reads a clock.
 *
 * A message (agentId, incarnation, seq, timestampMs) whose signature already verified is accepted when
 * 1. Window: its timestamp lies within ±maxClockSkewMs of our wall clock. This is the clock skew
 *    tolerated between two agents; agents further apart cannot hear each other (and say so).
 * 2. High-water mark: for an incarnation we know, seq is above the highest seq accepted from it, so a
 *    duplicated or replayed packet never counts twice and cannot roll a peer's state back.
 * 3. Incarnation order: for an incarnation we do not know, its timestamp is later than the last one
 *    accepted from that agent's latest known incarnation. A recording of an earlier run can neither
 *    displace the running one nor stand in for it after it died.
 * 4. Freshness: once we have heard an agent, we know its clock's lead over ours
 *    (`lead = timestamp − our wall clock at receipt` ≈ skew − transit delay). A message whose lead is
 *    more than maxLatenessMs below the best lead seen is late: recorded and replayed, or stuck in a
 *    queue. So a recording cannot keep a dead or cut-off agent alive for more than maxLatenessMs. The
 *    best lead decays by leadDecayRatio (1 %: 100× the drift of a poor crystal) so drift never
 *    accumulates; a sender clock stepped back by S is deaf to us for about (S − 1 s) / 1 %.
 * State per agent is kept for 2 × maxClockSkewMs + 60 s after its last message (then rule 1 alone
 * rejects every old message) and is bounded by maxAgents × maxIncarnationsPerAgent.
 *
 * Known limit: an agent with no state for a peer (never heard it, e.g. it just restarted) accepts that
 * peer's recorded messages while they are inside the window and newer than anything it has seen.
 * Costs: an agent restarted with its wall clock stepped back is not heard by peers that remember it
 * until its clock passes its last timestamp or their record expires (it still hears them, so it never
 * fights the incumbent).
 */

export interface ReplayGuardConfig {
  maxClockSkewMs: number;
  maxLatenessMs: number;
  leadDecayRatio: number;
  maxAgents: number;
  maxIncarnationsPerAgent: number;
}

export const DEFAULT_REPLAY_GUARD_CONFIG: Readonly<ReplayGuardConfig> = {
  maxClockSkewMs: 300_000,
  maxLatenessMs: 1000,
  leadDecayRatio: 0.01,
  maxAgents: 1024,
  maxIncarnationsPerAgent: 4,
};

export type ReplayRefusal = 'stale-timestamp' | 'future-timestamp' | 'replayed' | 'stale-incarnation' | 'late';
export type ReplayVerdict = { accept: true } | { accept: false; reason: ReplayRefusal; detail: string };

export interface ReplayCheckInput {
  agentId: string;
  incarnation: string;
  seq: number;
  timestampMs: number;
}

interface IncarnationRecord {
  incarnation: string;
  highSeq: number;
  lastTimestampMs: number;
}

interface AgentRecord {
  /** Most recently accepted last. */
  incarnations: IncarnationRecord[];
  /** Best (decayed) lead of the agent's clock over ours. */
  bestLeadMs: number;
  bestLeadAtMonoMs: number;
  lastSeenMonoMs: number;
}

export class ReplayGuard {
  readonly #config: ReplayGuardConfig;
  readonly #agents = new Map<string, AgentRecord>();

  constructor(config: Partial<ReplayGuardConfig> = {}) {
    this.#config = { ...DEFAULT_REPLAY_GUARD_CONFIG, ...config };
  }

  /** Number of agents tracked (bounded by maxAgents). */
  get size(): number {
    return this.#agents.size;
  }

  /** Checks and, when accepted, records the message. */
  check(m: ReplayCheckInput, nowWallMs: number, nowMonoMs: number): ReplayVerdict {
    const c = this.#config;
    const leadMs = m.timestampMs - nowWallMs;
    if (leadMs < -c.maxClockSkewMs) {
      return { accept: false, reason: 'stale-timestamp', detail: `sender clock ${Math.round(-leadMs / 1000)} s behind ours (tolerance ${c.maxClockSkewMs / 1000} s)` };
    }
    if (leadMs > c.maxClockSkewMs) {
      return { accept: false, reason: 'future-timestamp', detail: `sender clock ${Math.round(leadMs / 1000)} s ahead of ours (tolerance ${c.maxClockSkewMs / 1000} s)` };
    }
    let agent = this.#agents.get(m.agentId);
    if (agent && nowMonoMs - agent.lastSeenMonoMs > this.#retainMs()) {
      this.#agents.delete(m.agentId); // rule 1 alone now rejects every message it could replay
      agent = undefined;
    }
    if (!agent) {
      this.#makeRoom(nowMonoMs);
      this.#agents.set(m.agentId, {
        incarnations: [{ incarnation: m.incarnation, highSeq: m.seq, lastTimestampMs: m.timestampMs }],
        bestLeadMs: leadMs, bestLeadAtMonoMs: nowMonoMs, lastSeenMonoMs: nowMonoMs,
      });
      return { accept: true };
    }
    const known = agent.incarnations.find((r) => r.incarnation === m.incarnation);
    if (known && m.seq <= known.highSeq) return { accept: false, reason: 'replayed', detail: `seq ${m.seq} <= high-water mark ${known.highSeq}` };
    const latest = agent.incarnations[agent.incarnations.length - 1]!;
    if (!known && m.timestampMs <= latest.lastTimestampMs) {
      return { accept: false, reason: 'stale-incarnation', detail: `incarnation ${m.incarnation} is older than running incarnation ${latest.incarnation}` };
    }
    const bestLeadMs = agent.bestLeadMs - c.leadDecayRatio * Math.max(0, nowMonoMs - agent.bestLeadAtMonoMs);
    const latenessMs = bestLeadMs - leadMs;
    if (latenessMs > c.maxLatenessMs) {
      return { accept: false, reason: 'late', detail: `${Math.round(latenessMs)} ms later than this agent's messages usually arrive (limit ${c.maxLatenessMs} ms)` };
    }
    agent.bestLeadMs = Math.max(bestLeadMs, leadMs);
    agent.bestLeadAtMonoMs = nowMonoMs;
    agent.lastSeenMonoMs = nowMonoMs;
    if (known) {
      known.highSeq = m.seq;
      known.lastTimestampMs = Math.max(known.lastTimestampMs, m.timestampMs);
      agent.incarnations.splice(agent.incarnations.indexOf(known), 1);
      agent.incarnations.push(known);
    } else {
      agent.incarnations.push({ incarnation: m.incarnation, highSeq: m.seq, lastTimestampMs: m.timestampMs });
      if (agent.incarnations.length > c.maxIncarnationsPerAgent) agent.incarnations.shift();
    }
    return { accept: true };
  }

  #retainMs(): number {
    return 2 * this.#config.maxClockSkewMs + 60_000;
  }

  /** Drops agents rule 1 makes unnecessary; evicts the longest-silent one if still full. */
  #makeRoom(nowMonoMs: number): void {
    if (this.#agents.size < this.#config.maxAgents) return;
    let oldestId: string | null = null;
    let oldestSeen = Infinity;
    for (const [id, agent] of this.#agents) {
      if (nowMonoMs - agent.lastSeenMonoMs > this.#retainMs()) { this.#agents.delete(id); continue; }
      if (agent.lastSeenMonoMs < oldestSeen) { oldestSeen = agent.lastSeenMonoMs; oldestId = id; }
    }
    if (this.#agents.size >= this.#config.maxAgents && oldestId !== null) this.#agents.delete(oldestId);
  }
}
