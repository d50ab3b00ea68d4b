/**
 * This agent's view of who serves on its LAN, refreshed every second and on election changes:
 * the serving candidates (serving-candidates.ts) with their load, peers' addresses from the
 * directory of verified announcements, and who was recently elected.
 */
import type { LoadBook, ServingCandidate } from '../decision/load-spreading.js';
import type { ElectionMembership } from '../serving/agent-services.js';
import { RecentlyElected, servingCandidates, type SelfServing } from './serving-candidates.js';

export class LanView {
  readonly recentlyElected = new RecentlyElected();
  #candidates: ServingCandidate[] = [];

  constructor(private readonly o: { selfAgentId: string; selfAddress: string; election: () => ElectionMembership | null; loadBook: LoadBook }) {}

  /** Our address for ourselves, a peer's from its verified announcements; null when unknown. */
  readonly addressOf = (agentId: string | null): string | null => {
    if (agentId === null) return null;
    if (agentId === this.o.selfAgentId) return this.o.selfAddress;
    return this.o.election()?.directory.addressOf(agentId) ?? null;
  };

  /** The candidates as of the last refresh (this agent first). */
  readonly candidates = (): readonly ServingCandidate[] => this.#candidates;

  refresh(self: Pick<SelfServing, 'readyPackages' | 'activeTransfers'>, nowMs: number): void {
    const view = this.o.election()?.node.view();
    this.#candidates = servingCandidates({ agentId: this.o.selfAgentId, address: this.o.selfAddress, ...self }, view, this.addressOf, this.o.loadBook, nowMs);
    this.recentlyElected.note(this.addressOf(view?.active ?? null), nowMs);
  }
}
