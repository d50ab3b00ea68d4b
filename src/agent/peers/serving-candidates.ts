/**
 * Who on this LAN can serve a boot right now, from this agent's own state and the election's view
 * of its peers: the candidates load spreading and the iPXE scripts' fallbacks choose from, and the
 * addresses the rogue watch accepts PXE answers from. Pure functions plus one small memory of who
 * was recently elected (an offer from the agent that just handed over is not a rogue).
 */
import type { LoadBook, ServingCandidate } from '../decision/load-spreading.js';
import type { ElectionView } from '../election/election.js';
import type { ExpectedResponders } from '../rogue/rogue-detector.js';

export interface SelfServing {
  agentId: string;
  address: string;
  readyPackages: readonly string[];
  /** TFTP transfers running here now. */
  activeTransfers: number;
}

/** This agent first, then every live, eligible peer whose address a verified announcement gave. */
export function servingCandidates(
  self: SelfServing, view: ElectionView | undefined, addressOf: (agentId: string) => string | null, loadBook: LoadBook, nowMs: number,
): ServingCandidate[] {
  const out: ServingCandidate[] = [{
    agentId: self.agentId, address: self.address, isSelf: true, readyPackages: self.readyPackages,
    load: self.activeTransfers + loadBook.count(self.agentId, nowMs),
  }];
  for (const p of view?.peers ?? []) {
    if (!p.alive || !p.eligible) continue;
    const address = addressOf(p.agentId);
    if (!address) continue;
    out.push({ agentId: p.agentId, address, isSelf: false, readyPackages: p.readyPackages, load: loadBook.count(p.agentId, nowMs) });
  }
  return out;
}

/** Addresses that were the elected responder within the last `memoryMs` (default 5 s). */
export class RecentlyElected {
  readonly #seen = new Map<string, number>();
  constructor(readonly memoryMs = 5000) {}

  note(address: string | null, nowMs: number): void {
    if (address) this.#seen.set(address, nowMs);
    for (const [a, at] of this.#seen) if (nowMs - at > this.memoryMs) this.#seen.delete(a);
  }

  addresses(): string[] {
    return [...this.#seen.keys()];
  }
}

/**
 * What the rogue watch may accept: the active and the standby (its shadow answers what the active
 * leaves unanswered), whoever was elected a moment ago, and every known peerboot agent by address.
 */
export function expectedResponders(
  o: { view: ElectionView; addressOf: (agentId: string | null) => string | null; recent: readonly string[]; agents: ReadonlyMap<string, string> },
): ExpectedResponders {
  const elected = new Set(o.recent);
  for (const id of [o.view.active, o.view.standby]) {
    const address = o.addressOf(id);
    if (address) elected.add(address);
  }
  return { elected, peerboot: new Map(o.agents) };
}
