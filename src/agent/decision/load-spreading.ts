/**
 * Load spreading (so the elected responder's machine and link are not the bottleneck of every boot
 * on its LAN): the active responder answers every PXE client of its LAN, but the heavy part of a
 * boot (kernel, initrd, WIM) need not come from it. For clients that fetch by
 * URL — iPXE with HTTP (option 175.19) for the profile's script, UEFI HTTP Boot for the NBP — the
 * offer may name another ready peer: one that announces the profile's package as ready and is
 * less loaded than we are. siaddr and option 54 stay ours (EDK2 and iPXE need them to be the
 * server that answered; docs/protocol-notes.md, "Firmware quirks"); only the URL moves, and the
 * script it loads names its files relative to that peer.
 *
 * Load is what the active knows: clients it pointed at each server during the last
 * `windowMs` (a boot's downloads take seconds to a minute), plus, for itself, transfers in
 * progress. Pure: LoadBook is a value updated with explicit times.
 */
import type { ArchClass } from '../../protocol/dhcp/pxe.js';
import type { BootDecision } from './boot-decision.js';

export interface ServingCandidate {
  agentId: string;
  address: string;
  isSelf: boolean;
  /** Packages the candidate holds completely (announced, or our own readiness). */
  readyPackages: readonly string[];
  load: number;
}

export interface SpreadClient {
  archClass: ArchClass;
  isIpxe: boolean;
  /** iPXE advertised HTTP (175.19). */
  ipxeHttp: boolean;
  isHttpBoot: boolean;
}

export type SpreadResult =
  | { kind: 'self'; reason: string }
  | { kind: 'peer'; agentId: string; address: string; ipxeScript?: string; bootFile?: string; reason: string };

type Booting = Extract<BootDecision, { kind: 'boot' }>;

/** Picks who serves the client's downloads. */
export function spreadBoot(decision: Booting, client: SpreadClient, candidates: readonly ServingCandidate[], httpPort: number | null): SpreadResult {
  if (httpPort === null) return { kind: 'self', reason: 'no HTTP port: peers cannot be named by URL' };
  const byScript = client.isIpxe && client.ipxeHttp && decision.ipxeScript !== undefined;
  const byUrl = !client.isIpxe && client.isHttpBoot && decision.bootFile !== undefined;
  if (!byScript && !byUrl) return { kind: 'self', reason: 'client fetches by TFTP from siaddr' };
  const self = candidates.find((c) => c.isSelf);
  const able = candidates.filter((c) => c.readyPackages.includes(decision.packageId));
  if (able.length === 0) return { kind: 'self', reason: 'no ready candidate' };
  const best = [...able].sort((a, b) => a.load - b.load || Number(b.isSelf) - Number(a.isSelf) || (a.agentId < b.agentId ? -1 : 1))[0]!;
  if (best.isSelf || (self && best.load >= self.load)) return { kind: 'self', reason: `least loaded (${self?.load ?? 0})` };
  const base = `http://${best.address}:${httpPort}/`;
  const reason = `peer ${best.agentId} load ${best.load} < ours ${self?.load ?? '?'}`;
  return byScript
    ? { kind: 'peer', agentId: best.agentId, address: best.address, ipxeScript: base + decision.ipxeScript, reason }
    : { kind: 'peer', agentId: best.agentId, address: best.address, bootFile: base + decision.bootFile, reason };
}

/** Clients recently pointed at each server, by time (monotonic ms). Bounded per server. */
export class LoadBook {
  readonly #assigned = new Map<string, number[]>();
  constructor(readonly windowMs = 30_000, readonly perServerMax = 1024) {}

  record(agentId: string, nowMs: number): void {
    const list = this.#prune(agentId, nowMs);
    list.push(nowMs);
    if (list.length > this.perServerMax) list.splice(0, list.length - this.perServerMax);
    this.#assigned.set(agentId, list);
  }

  count(agentId: string, nowMs: number): number {
    return this.#prune(agentId, nowMs).length;
  }

  #prune(agentId: string, nowMs: number): number[] {
    const list = this.#assigned.get(agentId) ?? [];
    let drop = 0;
    while (drop < list.length && nowMs - list[drop]! > this.windowMs) drop++;
    if (drop > 0) list.splice(0, drop);
    return list;
  }
}
