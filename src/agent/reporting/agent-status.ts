/**
 * The agent's status report (inventory, policy held, serving, package readiness) and when package
 * progress deserves an early one: distribution progress reaches the server every few seconds while
 * chunks arrive, not only at the status interval.
 */
import type { AgentInterface, AgentStatusReport } from '../../contract/schemas.js';
import type { Clock } from '../../platform/clock.js';

export interface StatusFacts {
  deps: { hostname: string; interfaces: () => AgentInterface[]; config: { labels: Record<string, string> } };
  version: string;
  policyEtag: string | null;
  serving: boolean;
  packages: AgentStatusReport['packages'];
  agentPublicKey: string;
}

export function agentStatusReport(f: StatusFacts): AgentStatusReport {
  const labels = f.deps.config.labels;
  return {
    hostname: f.deps.hostname, version: f.version, interfaces: f.deps.interfaces(),
    ...(Object.keys(labels).length ? { labels } : {}),
    policyEtag: f.policyEtag, serving: f.serving, packages: f.packages, agentPublicKey: f.agentPublicKey,
  };
}

/** Says when the chunks held changed and the last progress report is at least `everyMs` old. */
export class ProgressNudge {
  #last = { held: -1, atMs: 0 };
  constructor(private readonly clock: Clock, private readonly everyMs = 5000) {}

  due(packages: ReadonlyArray<{ chunksHeld?: number }>): boolean {
    const held = packages.reduce((n, p) => n + (p.chunksHeld ?? 0), 0);
    const now = this.clock.nowMs();
    if (held === this.#last.held || now - this.#last.atMs < this.everyMs) return false;
    this.#last = { held, atMs: now };
    return true;
  }
}
