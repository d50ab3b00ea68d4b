/**
 * Who should serve PXE on this broadcast domain: the deterministic ranking every agent computes
 * from the same announcements (docs/election.md "Ranking"). Pure: given the same view, every agent
 * gets the same answer, so no extra round of messages is needed to agree.
 *
 * - Eligible: weight > 0 and the agent holds every package its policy requires (each agent judges
 *   itself and announces the verdict as the `eligible` flag, so differing policy versions cannot make
 *   two agents disagree about a third one).
 * - Rank: weight descending, then agent id ascending (code-unit order, locale-independent).
 * - Active: incumbency first. Only when nobody claims does the best-ranked eligible agent take the
 *   role; a better-ranked agent that joins or returns later does not take it back (no flapping).
 *   Competing claims (after a partition heals, or a claim made on a false suspicion) are ordered by
 *   (informed before blind, lower term, rank). A claim's term is one more than the highest term the
 *   claimant had seen, so an incumbent always holds a lower term than anyone who claims while it is
 *   alive but unheard; a blind claim (claimant heard no peer at all, e.g. restarted into silence)
 *   loses to every informed one. These keys are integers stamped by the claimant, so every agent
 *   orders the same claims the same way, whatever the clock skew between them.
 * - Standby: the best-ranked eligible agent other than the active one.
 */
import type { DeviceClass, RoleClaim } from '../../protocol/peer/announcement.js';

/** Default weight per device class (0 = never serve). Servers are preferred, wireless clients last. */
export const DEFAULT_WEIGHT_BY_DEVICE_CLASS: Readonly<Record<DeviceClass, number>> = {
  server: 400,
  desktop: 300,
  laptop: 200,
  unknown: 150,
  wireless: 100,
};

/** The weight an agent announces: the configured one if any (0..65535), else its device class default. */
export function resolveWeight(deviceClass: DeviceClass, configured?: number): number {
  if (configured === undefined) return DEFAULT_WEIGHT_BY_DEVICE_CLASS[deviceClass];
  if (!Number.isInteger(configured) || configured < 0 || configured > 0xffff) {
    throw new RangeError(`election weight must be an integer 0..65535 (0 = never serve), not ${configured}`);
  }
  return configured;
}

export type Eligibility =
  | { eligible: true }
  | { eligible: false; reason: 'weight-zero' }
  | { eligible: false; reason: 'missing-packages'; missing: string[] };

/** Whether an agent may serve: weight > 0 and every required package ready. */
export function judgeEligibility(self: { weight: number; readyPackages: readonly string[] }, requiredPackages: readonly string[]): Eligibility {
  if (self.weight <= 0) return { eligible: false, reason: 'weight-zero' };
  const ready = new Set(self.readyPackages);
  const missing = requiredPackages.filter((p) => !ready.has(p));
  if (missing.length > 0) return { eligible: false, reason: 'missing-packages', missing };
  return { eligible: true };
}

/** What the ranking needs to know about one live agent (self included). */
export interface RankedNode {
  agentId: string;
  weight: number;
  eligible: boolean;
  role: RoleClaim;
  /** Claim term; only meaningful when role is 'active'. */
  term: number;
  /** Claim made while hearing no peer; only meaningful when role is 'active'. */
  blind: boolean;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Rank order: weight descending, then agent id ascending. Negative when `a` ranks before `b`. */
export function compareRank(a: Pick<RankedNode, 'agentId' | 'weight'>, b: Pick<RankedNode, 'agentId' | 'weight'>): number {
  return b.weight - a.weight || compareIds(a.agentId, b.agentId);
}

/** Order of competing active claims: informed before blind, lower term, then rank. A total order, so all agents agree. */
export function compareActiveClaims(a: RankedNode, b: RankedNode): number {
  return Number(a.blind) - Number(b.blind) || a.term - b.term || compareRank(a, b);
}

/** Eligible nodes in rank order. */
export function rankEligible<T extends RankedNode>(nodes: readonly T[]): T[] {
  return nodes.filter((n) => n.eligible).sort(compareRank);
}

export interface RolePick {
  /** Who holds (or should take) the active role, or null when nobody is eligible. */
  active: string | null;
  /** True when `active` is already claiming the role (false: it is expected to take it). */
  activeClaimed: boolean;
  standby: string | null;
  /** Eligible agents in rank order (the takeover order). */
  ranked: string[];
  reason: 'incumbent' | 'earliest-claim' | 'best-ranked' | 'none-eligible';
}

/** The roles the view implies, with the rule that decided the active one. */
export function pickRoles(nodes: readonly RankedNode[]): RolePick {
  const ranked = rankEligible(nodes);
  const claimants = ranked.filter((n) => n.role === 'active').sort(compareActiveClaims);
  const winner = claimants[0];
  const active = winner ?? ranked[0] ?? null;
  const standby = ranked.find((n) => n !== active) ?? null;
  const reason = winner ? (claimants.length > 1 ? 'earliest-claim' : 'incumbent') : active ? 'best-ranked' : 'none-eligible';
  return {
    active: active?.agentId ?? null,
    activeClaimed: winner !== undefined,
    standby: standby?.agentId ?? null,
    ranked: ranked.map((n) => n.agentId),
    reason,
  };
}
