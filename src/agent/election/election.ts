/**
 * The per-broadcast-domain election as a pure state machine (docs/election.md; TigerBeetle-style:
 * time moves only through the `nowMs`/`wallMs` the shell passes in, effects come back as data).
 *
 *   initElection ─► listening (idle, announces, claims nothing) ─► idle | standby | active
 *
 * - Every agent announces every `announceIntervalMs` (jittered down by up to `announceJitterRatio`,
 *   never up, so a receiver can derive the sender's death timeout from the interval it announces).
 * - A peer is dead after `missedAnnouncementsForDeath` × its announced interval without news
 *   (1.5 s at the defaults). News is a direct announcement or, for the active and standby only, a
 *   third agent's report of when it last heard them directly ("heard" entries) — this keeps a lossy
 *   link between two agents from declaring a live active dead.
 * - A starting agent listens for `listenMs` before it may claim anything, so it learns the incumbent
 *   instead of fighting it. Roles follow ./ranking.ts pickRoles: incumbency, then rank; competing
 *   claims are ordered by (informed before blind, term, rank). A claim's term is the highest term
 *   the claimant has seen + 1; every announcement carries a term (see the wire layout), so terms
 *   spread to every agent, including ones that just started.
 * - Followers say whom they follow (heard[0] + `following`), so an agent that lost the claimant's own
 *   packets still knows the role is taken (indirect claim) and does not claim on top of it.
 * - If the expected active (best-ranked, unclaimed) does not claim, the k-th ranked agent claims
 *   after k × `takeoverGraceMs` without any active: nobody waits forever on an agent it cannot hear.
 * - A role change is announced at once; a graceful stop announces `leaving` so peers fail over at once.
 *
 * Failover after a crash: last message of the active + 1.5 s (death) + one packet ≈ 1.5–1.6 s.
 * The iPXE ROM retransmits DISCOVER once after ~1 s and OVMF after ~4 s (docs/lab-notes.md, "The
 * iPXE ROM asks twice, about 1 s apart" and "OVMF asks four times over about 28 s"), so UEFI boots
 * ride through a failover and BIOS ones started in the first ~0.5 s of the gap need a retry.
 */
import type { Announcement, DeviceClass, HeardEntry, RoleClaim } from '../../protocol/peer/announcement.js';
import { MAX_HEARD_ENTRIES, MAX_READY_PACKAGES } from '../../protocol/peer/announcement.js';
import { compareRank, judgeEligibility, pickRoles, type Eligibility, type RankedNode, type RolePick } from './ranking.js';

export type Role = RoleClaim;

export interface ElectionConfig {
  announceIntervalMs: number;
  /** Each interval is drawn uniformly from [interval × (1 − ratio), interval]. */
  announceJitterRatio: number;
  /** A peer is dead after this many of its announce intervals without news. */
  missedAnnouncementsForDeath: number;
  /** Peers may announce any interval; for the death timeout it is clamped to this range. */
  peerIntervalClampMs: [number, number];
  /** After start, how long an agent only listens (and announces itself as not eligible). */
  listenMs: number;
  /** The k-th ranked agent claims after k × this without any active claimant. */
  takeoverGraceMs: number;
  /** A dead peer is dropped from the view after this long. */
  forgetAfterMs: number;
  /** Bound on the peer table; announcements from further agents are ignored (and counted by the shell). */
  maxPeers: number;
}

export const DEFAULT_ELECTION_CONFIG: Readonly<ElectionConfig> = {
  announceIntervalMs: 500,
  announceJitterRatio: 0.2,
  missedAnnouncementsForDeath: 3,
  peerIntervalClampMs: [100, 5000],
  listenMs: 3000,
  takeoverGraceMs: 3000,
  forgetAfterMs: 60_000,
  maxPeers: 512,
};

/** What the agent says about itself right now (asked at every step; may change at run time). */
export interface SelfInfo {
  weight: number;
  deviceClass: DeviceClass;
  readyPackages: readonly string[];
}

/** One step's inputs: monotonic and wall time, the agent's current self description and policy. */
export interface StepInput {
  /** Monotonic ms (Clock.nowMs): all timers. */
  nowMs: number;
  /** Wall clock, Unix ms: only stamped into announcements (timestamp, activeSince). */
  wallMs: number;
  self: SelfInfo;
  requiredPackages: readonly string[];
}

export interface PeerState {
  announcement: Announcement;
  /** Monotonic time of the last announcement received from it. */
  lastDirectMs: number;
  /** Latest time a third agent reported hearing it directly (receipt time − agoMs). */
  lastIndirectMs: number;
  /** Set when it announced `leaving`: dead from then on until it speaks again without the flag. */
  leftAtMs: number | null;
}

export interface ElectionState {
  agentId: string;
  siteId: string;
  subnet: string;
  incarnation: string;
  startedAtMs: number;
  listenUntilMs: number;
  seq: number;
  role: Role;
  roleSinceMs: number;
  /** Highest term seen in any announcement (or claimed). */
  maxTermSeen: number;
  /** This agent's claim while active: its term, whether it was blind, when (monotonic) it began. */
  claimTerm: number;
  claimBlind: boolean;
  claimSinceMs: number;
  /** Last monotonic time the view contained a live active claimant (or listenUntil at start). */
  lastActiveSeenMs: number;
  /** When this agent's takeover grace runs out (Infinity when it is not waiting on one). */
  graceDeadlineMs: number;
  nextAnnounceAtMs: number;
  leaving: boolean;
  /** xorshift32 state for the jitter (seeded from the incarnation: deterministic). */
  rng: number;
  peers: ReadonlyMap<string, PeerState>;
}

export interface PeerSummary {
  agentId: string;
  subnet: string;
  role: Role;
  weight: number;
  deviceClass: DeviceClass;
  eligible: boolean;
  alive: boolean;
  lastHeardAgoMs: number;
  uptimeSeconds: number;
  readyPackages: string[];
}

/** What the agent believes about its domain: for logs, status reports and the load-spreading code. */
export interface ElectionView {
  agentId: string;
  role: Role;
  /** Own claim term when active, else the highest term seen. */
  term: number;
  listening: boolean;
  eligibility: Eligibility;
  active: string | null;
  standby: string | null;
  pickReason: RolePick['reason'];
  peers: PeerSummary[];
}

export type ElectionEffect =
  | { kind: 'broadcast'; announcement: Announcement }
  | { kind: 'roleChanged'; from: Role; to: Role; reason: string; view: ElectionView };

export interface Step {
  state: ElectionState;
  effects: ElectionEffect[];
  /** Set when an input was ignored, for the shell to count. */
  ignored?: 'own-agent-id' | 'peer-table-full';
}

export interface ElectionIdentity {
  agentId: string;
  siteId: string;
  subnet: string;
  /** 16 hex digits, random per process start. */
  incarnation: string;
}

/** A fresh election, listening; its first step announces at once. */
export function initElection(identity: ElectionIdentity, input: StepInput, config: ElectionConfig = DEFAULT_ELECTION_CONFIG): Step {
  const state: ElectionState = {
    ...identity,
    startedAtMs: input.nowMs,
    listenUntilMs: input.nowMs + config.listenMs,
    seq: 0,
    role: 'idle',
    roleSinceMs: input.nowMs,
    maxTermSeen: 0,
    claimTerm: 0,
    claimBlind: false,
    claimSinceMs: 0,
    lastActiveSeenMs: input.nowMs + config.listenMs,
    graceDeadlineMs: Infinity,
    nextAnnounceAtMs: input.nowMs,
    leaving: false,
    rng: seedFromIncarnation(identity.incarnation),
    peers: new Map(),
  };
  return onTick(state, input, config);
}

/** Time passes: expire peers, re-decide the role, announce when due. */
export function onTick(state: ElectionState, input: StepInput, config: ElectionConfig = DEFAULT_ELECTION_CONFIG): Step {
  if (state.leaving) return { state, effects: [] };
  let peers = state.peers;
  for (const [id, peer] of state.peers) {
    if (input.nowMs - lastHeardMs(peer) > config.forgetAfterMs) {
      if (peers === state.peers) peers = new Map(state.peers);
      (peers as Map<string, PeerState>).delete(id);
    }
  }
  return decideAndAnnounce({ ...state, peers }, input, config);
}

/** An authenticated, non-replayed announcement from another agent arrived (the shell checked it). */
export function onAnnouncement(state: ElectionState, a: Announcement, input: StepInput, config: ElectionConfig = DEFAULT_ELECTION_CONFIG): Step {
  if (state.leaving) return { state, effects: [] };
  if (a.agentId === state.agentId) return { state, effects: [], ignored: 'own-agent-id' };
  const previous = state.peers.get(a.agentId);
  if (!previous && state.peers.size >= config.maxPeers) return { state, effects: [], ignored: 'peer-table-full' };
  let next: ElectionState = { ...state, maxTermSeen: Math.max(state.maxTermSeen, a.term) };
  if (next.role === 'active' && next.claimBlind && a.following && a.heard[0]?.agentId === next.agentId && a.term === next.claimTerm) {
    next = { ...next, claimBlind: false }; // someone follows this claim: it is no longer blind
  }
  const peers = new Map(state.peers);
  peers.set(a.agentId, {
    announcement: a,
    lastDirectMs: input.nowMs,
    lastIndirectMs: previous?.lastIndirectMs ?? -Infinity,
    leftAtMs: a.leaving ? input.nowMs : null,
  });
  // Indirect liveness: the sender reports when it last heard its active/standby directly.
  for (const h of a.heard) {
    if (h.agentId === state.agentId) continue;
    const target = peers.get(h.agentId);
    if (!target) continue;
    const heardAtMs = input.nowMs - h.agoMs;
    if (heardAtMs > target.lastIndirectMs && heardAtMs <= input.nowMs && (target.leftAtMs === null || heardAtMs > target.leftAtMs)) {
      peers.set(h.agentId, { ...target, lastIndirectMs: heardAtMs });
    }
  }
  return decideAndAnnounce({ ...next, peers }, input, config, false);
}

/** Graceful stop: give the role up and tell the peers to fail over now. Terminal. */
export function leaveElection(state: ElectionState, input: StepInput, config: ElectionConfig = DEFAULT_ELECTION_CONFIG): Step {
  if (state.leaving) return { state, effects: [] };
  const left: ElectionState = { ...state, role: 'idle', roleSinceMs: input.nowMs, claimTerm: 0, claimBlind: false, leaving: true };
  const effects: ElectionEffect[] = [];
  if (state.role !== 'idle') effects.push({ kind: 'roleChanged', from: state.role, to: 'idle', reason: 'leaving', view: electionView(left, input, config) });
  const announced = announce(left, input, config, false, evaluate(left, input, config));
  effects.push(...announced.effects);
  return { state: announced.state, effects };
}

/** When the shell should call onTick next, absent incoming messages (monotonic ms, always > nowMs). */
export function nextWakeAtMs(state: ElectionState, nowMs: number, config: ElectionConfig = DEFAULT_ELECTION_CONFIG): number {
  let wake = Math.max(state.nextAnnounceAtMs, nowMs + 1);
  if (state.listenUntilMs > nowMs && state.listenUntilMs < wake) wake = state.listenUntilMs;
  if (state.graceDeadlineMs > nowMs && state.graceDeadlineMs < wake) wake = state.graceDeadlineMs;
  for (const peer of state.peers.values()) {
    if (peer.leftAtMs !== null) continue;
    // First instant at which isAlive turns false.
    const deathAt = lastHeardMs(peer) + deathTimeoutMs(peer, config) + 1;
    if (deathAt > nowMs && deathAt < wake) wake = deathAt;
  }
  return wake;
}

/** The agent's current belief, for status and logs. */
export function electionView(state: ElectionState, input: StepInput, config: ElectionConfig = DEFAULT_ELECTION_CONFIG): ElectionView {
  return viewOf(state, input, config, evaluate(state, input, config));
}

function viewOf(state: ElectionState, input: StepInput, config: ElectionConfig, ev: Evaluation): ElectionView {
  const peers: PeerSummary[] = [...state.peers.values()].map((p) => ({
    agentId: p.announcement.agentId,
    subnet: p.announcement.subnet,
    role: p.announcement.role,
    weight: p.announcement.weight,
    deviceClass: p.announcement.deviceClass,
    eligible: p.announcement.eligible,
    alive: isAlive(p, input.nowMs, config),
    lastHeardAgoMs: Math.max(0, Math.round(input.nowMs - lastHeardMs(p))),
    uptimeSeconds: p.announcement.uptimeSeconds,
    readyPackages: [...p.announcement.readyPackages],
  }));
  peers.sort((a, b) => (a.agentId < b.agentId ? -1 : 1));
  const { pick } = ev;
  return {
    agentId: state.agentId, role: state.role, term: state.role === 'active' ? state.claimTerm : state.maxTermSeen,
    listening: ev.listening, eligibility: ev.eligibility, active: pick.active, standby: pick.standby, pickReason: pick.reason, peers,
  };
}

/** Whether a peer counts as alive at `nowMs`. */
export function isAlive(peer: PeerState, nowMs: number, config: ElectionConfig): boolean {
  if (peer.leftAtMs !== null) return false;
  return nowMs - lastHeardMs(peer) <= deathTimeoutMs(peer, config);
}

function lastHeardMs(peer: PeerState): number {
  return Math.max(peer.lastDirectMs, peer.lastIndirectMs);
}

function deathTimeoutMs(peer: PeerState, config: ElectionConfig): number {
  const [lo, hi] = config.peerIntervalClampMs;
  return Math.min(hi, Math.max(lo, peer.announcement.intervalMs)) * config.missedAnnouncementsForDeath;
}

interface Evaluation {
  pick: RolePick;
  eligibility: Eligibility;
  listening: boolean;
  /** Live nodes the pick was made from (self included, indirect claims applied). */
  nodes: RankedNode[];
  peersAlive: number;
  /** Live peers still listening that will be eligible. */
  listeners: Array<{ agentId: string; weight: number }>;
}

function evaluate(state: ElectionState, input: StepInput, config: ElectionConfig): Evaluation {
  const listening = input.nowMs < state.listenUntilMs;
  const eligibility = judgeEligibility(input.self, input.requiredPackages);
  const nodes = new Map<string, RankedNode>();
  nodes.set(state.agentId, {
    agentId: state.agentId,
    weight: input.self.weight,
    eligible: eligibility.eligible && !listening && !state.leaving,
    role: state.role,
    term: state.claimTerm,
    blind: state.claimBlind,
  });
  const alive: PeerState[] = [];
  const listeners: Array<{ agentId: string; weight: number }> = [];
  for (const peer of state.peers.values()) {
    if (!isAlive(peer, input.nowMs, config)) continue;
    alive.push(peer);
    const a = peer.announcement;
    nodes.set(a.agentId, { agentId: a.agentId, weight: a.weight, eligible: a.eligible && !a.listening, role: a.role, term: a.term, blind: a.blind });
    if (a.listening && a.eligible) listeners.push({ agentId: a.agentId, weight: a.weight });
  }
  // Indirect claims: a live follower says X holds the role with term t; X's own claim may have been lost.
  for (const peer of alive) {
    const a = peer.announcement;
    const followed = a.following ? a.heard[0]?.agentId : undefined;
    if (!followed || followed === state.agentId) continue;
    const x = nodes.get(followed);
    if (!x || !x.eligible || x.role === 'active') continue;
    nodes.set(followed, { ...x, role: 'active', term: a.term, blind: false });
  }
  const list = [...nodes.values()];
  return { pick: pickRoles(list), eligibility, listening, nodes: list, peersAlive: alive.length, listeners };
}

/** The role this agent should hold now, and why. */
function decideRole(state: ElectionState, input: StepInput, config: ElectionConfig, ev: Evaluation): { role: Role; reason: string } {
  if (ev.listening) return { role: 'idle', reason: 'listening' };
  if (!ev.eligibility.eligible) {
    return { role: 'idle', reason: ev.eligibility.reason === 'weight-zero' ? 'weight 0 (never serve)' : `missing packages: ${ev.eligibility.missing.join(', ')}` };
  }
  const { pick } = ev;
  const self = state.agentId;
  if (pick.active === self) {
    if (state.role === 'active') return { role: 'active', reason: pick.reason };
    // Site start-up (no term seen yet): let a better-ranked agent that is still listening take the
    // first claim, so the role does not go to whoever booted first. Once any term exists, listeners
    // are ignored: a failover never waits for them.
    const better = state.maxTermSeen === 0 ? ev.listeners.find((l) => compareRank(l, { agentId: self, weight: input.self.weight }) < 0) : undefined;
    if (better) return { role: state.role, reason: `site starting: ${better.agentId} ranks higher and is still listening` };
    return { role: 'active', reason: 'no active on the domain; best-ranked eligible' };
  }
  if (state.role === 'active') {
    // Another live claimant holds the earlier claim: step down.
    return { role: pick.standby === self ? 'standby' : 'idle', reason: `earlier active claim by ${pick.active}` };
  }
  if (!pick.activeClaimed && pick.active !== null) {
    // The expected active has not claimed yet. The k-th ranked agent steps in after k grace periods.
    const k = pick.ranked.indexOf(self);
    const silentMs = input.nowMs - state.lastActiveSeenMs;
    if (k > 0 && silentMs >= k * config.takeoverGraceMs) {
      return { role: 'active', reason: `no active for ${Math.round(silentMs)} ms; ${pick.active} has not claimed` };
    }
  }
  if (pick.standby === self) {
    // Take the standby role only once the previous holder has released it (it steps down when it
    // sees us), so two agents never claim it at once in a calm network.
    const holder = ev.nodes.find((n) => n.agentId !== self && n.role === 'standby');
    if (state.role === 'standby' || !holder) return { role: 'standby', reason: `standby to ${pick.active ?? 'nobody'}` };
    return { role: 'idle', reason: `next standby once ${holder.agentId} releases it` };
  }
  return { role: 'idle', reason: `ranked below ${pick.standby ?? 'nobody'}` };
}

function decideAndAnnounce(state: ElectionState, input: StepInput, config: ElectionConfig, mayAnnounceOnSchedule = true): Step {
  let ev = evaluate(state, input, config);
  const decision = decideRole(state, input, config, ev);
  let next = state;
  if (ev.pick.activeClaimed || ev.listening) next = { ...next, lastActiveSeenMs: Math.max(next.lastActiveSeenMs, input.nowMs) };
  const k = ev.pick.ranked.indexOf(state.agentId);
  const graceDeadlineMs = !ev.pick.activeClaimed && ev.pick.active !== null && k > 0 ? next.lastActiveSeenMs + k * config.takeoverGraceMs : Infinity;
  if (graceDeadlineMs !== next.graceDeadlineMs) next = { ...next, graceDeadlineMs };
  const effects: ElectionEffect[] = [];
  const changed = decision.role !== state.role;
  if (changed) {
    next = { ...next, role: decision.role, roleSinceMs: input.nowMs };
    if (decision.role === 'active') {
      const term = Math.min(0xffffffff, next.maxTermSeen + 1);
      next = { ...next, claimTerm: term, maxTermSeen: term, claimBlind: ev.peersAlive === 0, claimSinceMs: input.nowMs, lastActiveSeenMs: input.nowMs };
    } else {
      next = { ...next, claimTerm: 0, claimBlind: false };
    }
    ev = evaluate(next, input, config);
    effects.push({ kind: 'roleChanged', from: state.role, to: decision.role, reason: decision.reason, view: viewOf(next, input, config, ev) });
  }
  // A new role is announced at once; otherwise on schedule (ticks only, so a burst of received
  // announcements never makes us send more).
  if (changed || (mayAnnounceOnSchedule && input.nowMs >= state.nextAnnounceAtMs)) {
    const announced = announce(next, input, config, true, ev);
    next = announced.state;
    effects.push(...announced.effects);
  }
  return { state: next, effects };
}

function announce(state: ElectionState, input: StepInput, config: ElectionConfig, jitter: boolean, ev: Evaluation): Step {
  const [rng, u] = nextRandom(state.rng);
  const intervalMs = config.announceIntervalMs;
  const delayMs = jitter ? Math.round(intervalMs * (1 - config.announceJitterRatio * u)) : intervalMs;
  const { pick } = ev;
  const heard: HeardEntry[] = [];
  const heardOf = (id: string | null) => {
    if (!id || id === state.agentId || heard.length >= MAX_HEARD_ENTRIES) return false;
    const peer = state.peers.get(id);
    if (!peer || !Number.isFinite(peer.lastDirectMs)) return false;
    heard.push({ agentId: id, agoMs: Math.min(0xffffffff, Math.max(0, Math.round(input.nowMs - peer.lastDirectMs))) });
    return true;
  };
  // heard[0] is the followed active when we follow one we hear directly (only direct hearings are
  // reported: relaying relayed times would let a dead agent live on in a loop).
  const followedNode = pick.activeClaimed && pick.active !== state.agentId && !state.leaving ? ev.nodes.find((n) => n.agentId === pick.active) : undefined;
  const following = followedNode !== undefined && heardOf(followedNode.agentId);
  if (!following) heardOf(pick.active);
  heardOf(pick.standby);
  const active = state.role === 'active';
  const announcement: Announcement = {
    agentId: state.agentId,
    siteId: state.siteId,
    subnet: state.subnet,
    incarnation: state.incarnation,
    seq: state.seq,
    timestampMs: Math.max(0, Math.round(input.wallMs)),
    weight: input.self.weight,
    deviceClass: input.self.deviceClass,
    uptimeSeconds: Math.max(0, Math.floor((input.nowMs - state.startedAtMs) / 1000)),
    role: state.role,
    term: active ? state.claimTerm : following ? followedNode!.term : state.maxTermSeen,
    activeForSeconds: active ? Math.max(0, Math.floor((input.nowMs - state.claimSinceMs) / 1000)) : 0,
    eligible: ev.eligibility.eligible && !state.leaving,
    leaving: state.leaving,
    listening: ev.listening,
    blind: active && state.claimBlind,
    following,
    intervalMs,
    readyPackages: input.self.readyPackages.slice(0, MAX_READY_PACKAGES),
    heard,
  };
  return {
    state: { ...state, rng, seq: (state.seq + 1) >>> 0, nextAnnounceAtMs: input.nowMs + delayMs },
    effects: [{ kind: 'broadcast', announcement }],
  };
}

function seedFromIncarnation(incarnation: string): number {
  const seed = parseInt(incarnation.slice(0, 8), 16) ^ parseInt(incarnation.slice(8, 16) || '0', 16);
  return (seed >>> 0) || 0x9e3779b9;
}

/** xorshift32: the next state and a uniform draw in [0, 1). */
function nextRandom(s: number): [number, number] {
  let x = s >>> 0;
  x ^= x << 13; x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5; x >>>= 0;
  return [x, x / 0x1_0000_0000];
}
