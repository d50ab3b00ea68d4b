/**
 * The agent's answer to "what does this PXE client get?": the boot decision from the signed
 * policy (decision/boot-decider.ts), then load spreading — iPXE clients may be pointed at a less
 * loaded ready peer (decision/load-spreading.ts). A client the decision leaves unanswered becomes
 * a `dhcpIgnored` boot event, at most once a minute per MAC (a ROM retries every few seconds).
 */
import type { Clock } from '../../platform/clock.js';
import type { Counters } from '../../platform/counters.js';
import type { BootDecider } from '../decision/boot-decider.js';
import { spreadBoot, type LoadBook, type ServingCandidate } from '../decision/load-spreading.js';
import { pxeClientFacts, type BootEventSink } from '../events/boot-event.js';
import type { ProxyDhcpConfig } from './proxy-dhcp.js';

export interface PxeSelectionOptions {
  decider: BootDecider;
  selfAgentId: string;
  /** The ready peers load spreading may point clients at (peers/serving-candidates.ts). */
  candidates: () => readonly ServingCandidate[];
  loadBook: LoadBook;
  loadSpreading: boolean;
  httpPort: number | null;
  clock: Clock;
  counters: Counters;
  events: BootEventSink;
}

/** How often one MAC's silence becomes a boot event. */
const IGNORED_EVENT_EVERY_MS = 60_000;

export function pxeSelection(o: PxeSelectionOptions): ProxyDhcpConfig {
  const lastIgnored = new Map<string, number>();
  return {
    httpPort: o.httpPort ?? undefined,
    select(client) {
      const d = o.decider.decide(client);
      if (d.kind === 'silence') {
        const now = o.clock.nowMs();
        const last = lastIgnored.get(client.mac);
        if (last === undefined || now - last > IGNORED_EVENT_EVERY_MS) {
          if (lastIgnored.size > 4096) lastIgnored.clear();
          lastIgnored.set(client.mac, now);
          o.events({
            kind: 'dhcpIgnored', reason: d.reason,
            client: pxeClientFacts(client),
          });
        }
        return { refuse: d.reason };
      }
      let selection: { bootFile?: string; ipxeScript?: string } = { ...(d.bootFile ? { bootFile: d.bootFile } : {}), ...(d.ipxeScript ? { ipxeScript: d.ipxeScript } : {}) };
      let servedBy = o.selfAgentId;
      if (o.loadSpreading) {
        const spread = spreadBoot(d, client, o.candidates(), o.httpPort);
        if (spread.kind === 'peer') {
          servedBy = spread.agentId;
          selection = { ...selection, ...(spread.ipxeScript ? { ipxeScript: spread.ipxeScript } : {}), ...(spread.bootFile ? { bootFile: spread.bootFile } : {}) };
          o.counters.increment('load_spread_to_peer_total');
        }
      }
      o.loadBook.record(servedBy, o.clock.nowMs());
      return selection;
    },
  };
}
