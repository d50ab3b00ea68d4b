/**
 * What an agent is doing, in one word the overview and the agents page both use:
 * serving (its PXE responder answers), standby (a responder holding every package, not answering:
 * another peer on its LAN was elected), preparing (a responder still fetching packages), idle (not a
 * responder, with the server's reason), offline (no report within the server's online window).
 */
import type { Agent } from '../../../src/contract/schemas.js';

export type AgentState = 'serving' | 'standby' | 'preparing' | 'idle' | 'offline';

export interface AgentStateView {
  state: AgentState;
  /** One line saying why. */
  detail: string;
}

/** The server's online window when coverage has not told us yet (bootService.onlineWindowMs). */
export const defaultOnlineWindowMs = 3 * 60_000;

const idleReasons: Record<string, string> = {
  disabled: 'P2P PXE is disabled',
  notInTargetCollections: 'not in a target collection',
  noSite: 'no site: it reported no usable address',
};

/** Words for the server's role reason (`inCollection:<id>` and unknown reasons pass through). */
export function describeRoleReason(reason: string): string {
  return idleReasons[reason] ?? reason;
}

export function agentStateOf(agent: Agent, serverNowMs: number, onlineWindowMs = defaultOnlineWindowMs): AgentStateView {
  const seen = agent.lastSeenAt ? Date.parse(agent.lastSeenAt) : NaN;
  if (!Number.isFinite(seen)) return { state: 'offline', detail: 'has not reported yet' };
  if (serverNowMs - seen > onlineWindowMs) return { state: 'offline', detail: `last report ${formatAgo(serverNowMs - seen)} ago` };
  if (agent.role !== 'responder') return { state: 'idle', detail: describeRoleReason(agent.roleReason) };
  if (!agent.packagesReady) {
    const held = agent.packages.reduce((n, p) => n + (p.chunksHeld ?? 0), 0);
    const total = agent.packages.reduce((n, p) => n + (p.chunksTotal ?? 0), 0);
    return { state: 'preparing', detail: total > 0 ? `fetching packages: ${held} of ${total} chunks` : 'fetching packages' };
  }
  if (agent.serving) return { state: 'serving', detail: 'answering PXE clients' };
  return { state: 'standby', detail: 'ready; another responder answers on its LAN' };
}

/** 42 s, 5 min, 3 h, 2 d. */
export function formatAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** 0 B, 12.3 KiB, 456 MiB, 1.2 GiB. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${i === 0 ? v : v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
