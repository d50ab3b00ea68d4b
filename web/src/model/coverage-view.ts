/**
 * The overview's sites → subnets table: the server's coverage counts (which decide red or green)
 * joined with the agents on each subnet, so the admin sees which peer answers PXE there, which
 * stand by, and which are still fetching packages.
 */
import type { Agent, Coverage } from '../../../src/contract/schemas.js';
import { agentStateOf, type AgentState } from './agent-state.js';
import { cidrContains } from './ipv4.js';

export interface SubnetView {
  cidr: string;
  isCovered: boolean;
  agents: number;
  agentsOnline: number;
  responders: number;
  respondersReady: number;
  /** Hostnames by state, sorted. */
  serving: string[];
  standby: string[];
  preparing: string[];
  /** Why a subnet is red, in words; null when covered. */
  problem: string | null;
}

export interface SiteView {
  siteId: string;
  name: string;
  isCovered: boolean;
  agents: number;
  subnets: SubnetView[];
}

function problemOf(s: Coverage['sites'][number]['subnets'][number], enabled: boolean): string | null {
  if (s.isCovered) return null;
  if (!enabled) return 'P2P PXE is disabled';
  if (s.agents === 0) return 'no agent on this subnet';
  if (s.agentsOnline === 0) return 'every agent here is offline';
  if (s.responders === 0) return 'no agent here is in a target collection';
  return 'no responder is ready (packages missing or responder down)';
}

export function coverageView(coverage: Coverage, agents: readonly Agent[], serverNowMs: number): SiteView[] {
  const windowMs = coverage.onlineWindowS * 1000;
  const states = new Map<string, AgentState>(agents.map((a) => [a.id, agentStateOf(a, serverNowMs, windowMs).state]));
  return coverage.sites.map((site) => {
    const inSite = agents.filter((a) => a.siteId === site.siteId);
    return {
      siteId: site.siteId,
      name: site.name,
      isCovered: site.isCovered,
      agents: site.agents,
      subnets: site.subnets.map((s) => {
        const here = inSite.filter((a) => a.interfaces.some((i) => i.addresses.some((addr) => cidrContains(s.cidr, addr))));
        const named = (state: AgentState) => here.filter((a) => states.get(a.id) === state).map((a) => a.hostname).sort();
        return {
          cidr: s.cidr, isCovered: s.isCovered, agents: s.agents, agentsOnline: s.agentsOnline, responders: s.responders,
          respondersReady: s.respondersReady, serving: named('serving'), standby: named('standby'), preparing: named('preparing'),
          problem: problemOf(s, coverage.enabled),
        };
      }),
    };
  });
}
