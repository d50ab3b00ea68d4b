/**
 * Starts the rogue responder watch (rogue-listener.ts) for a running agent: it judges PXE replies
 * on the LAN only once the election has heard the LAN for a while (a fresh agent knows no peer
 * yet), and accepts answers from the elected active and standby, whoever was elected a moment ago,
 * and every known peerboot agent. Without UDP 68 it says so once and the agent runs without it.
 */
import type { BootEventInput } from '../../contract/schemas.js';
import type { Clock } from '../../platform/clock.js';
import type { Counters } from '../../platform/counters.js';
import type { Logger } from '../../platform/logger.js';
import { expectedResponders } from '../peers/serving-candidates.js';
import type { ElectionMembership } from '../serving/agent-services.js';
import { startRogueListener, type RogueListener } from './rogue-listener.js';

/** How long a new election listens before its view is trusted to judge others. */
const JUDGE_AFTER_MS = 5000;

export interface RogueWatchOptions {
  clock: Clock;
  logger: Logger;
  counters: Counters;
  election: () => ElectionMembership | null;
  addressOfAgent: (agentId: string | null) => string | null;
  recent: () => readonly string[];
  self: { address: string; agentId: string };
  report: (event: Omit<BootEventInput, 'at'>) => void;
}

export async function startRogueWatch(o: RogueWatchOptions): Promise<RogueListener | null> {
  try {
    return await startRogueListener({
      clock: o.clock, logger: o.logger, counters: o.counters,
      expected: () => {
        const e = o.election();
        if (!e || o.clock.nowMs() - e.startedAtMs < JUDGE_AFTER_MS) return null;
        const agents = new Map([[o.self.address, o.self.agentId], ...e.directory.all().map((p) => [p.address, p.agentId] as [string, string])]);
        return expectedResponders({ view: e.node.view(), addressOf: o.addressOfAgent, recent: o.recent(), agents });
      },
      onFinding: (f) => o.report({ kind: f.kind, mac: f.clientMac, reason: f.reason.slice(0, 255) }),
    });
  } catch (err) {
    o.logger.child({ component: 'agent' }).warn(`rogue responder watch disabled: cannot listen on UDP 68 (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return null;
  }
}
