/**
 * Keeps every connected agent's policy current. Holds the policy snapshot of the latest revision,
 * a cache of signed documents per (site, role), and the open policy streams of this process. On a
 * change from the bus (any server's write) it reloads once, debounced, and pushes a new document
 * only to the agents whose etag changed.
 */
import type { Clock, TimerHandle } from '../../platform/clock.js';
import type { Counters } from '../../platform/counters.js';
import type { Logger } from '../../platform/logger.js';
import { policyEtag, signPolicy } from '../../platform/crypto/signed-documents.js';
import type { SignedPolicy } from '../../contract/policy.js';
import type { SigningKey } from '../../contract/signature.js';
import type { Change, ChangeBus } from '../services/change-bus.js';
import type { Store } from '../store/store.js';
import { buildSitePolicy, decideAgentRole, type AgentFactsForRole, type RoleDecision } from './policy-builder.js';
import { loadPolicySnapshot, type PolicySnapshot } from './policy-snapshot.js';

export interface CachedPolicy {
  doc: SignedPolicy;
  etag: string;
  /** The document as one JSON line (SSE data and GET body). */
  json: string;
}

/** Where a stream subscriber's frames go (an SSE response). */
export interface PolicySink {
  write(frame: string): void;
  close(): void;
}

interface Subscriber { sink: PolicySink; lastEtag: string | null }

export interface PolicyHubDeps {
  store: Store;
  bus: ChangeBus;
  signingKey: SigningKey;
  clock: Clock;
  logger: Logger;
  counters: Counters;
  /** Coalesces bursts of changes (an admin clicking through the editor) into one rebuild. */
  debounceMs?: number;
  now?: () => Date;
}

/** One SSE frame carrying a policy (W3C Server-Sent Events: id, event, data; blank line ends it). */
export function policyFrame(p: CachedPolicy): string {
  return `id: ${p.etag}\nevent: policy\ndata: ${p.json}\n\n`;
}

/** Open policy streams one agent may hold; a newer one closes the oldest. */
export const MAX_STREAMS_PER_AGENT = 2;

export class PolicyHub {
  readonly #d: PolicyHubDeps;
  #snap: PolicySnapshot | null = null;
  #cache = new Map<string, CachedPolicy>();
  #agents = new Map<string, AgentFactsForRole>();
  #subs = new Map<string, Set<Subscriber>>();
  #timer: TimerHandle | null = null;
  #refreshing: Promise<void> | null = null;
  #again = false;
  #unsubscribe: (() => void) | null = null;
  #pendingAgents = new Set<string>();
  #resyncAgents = false;

  constructor(deps: PolicyHubDeps) {
    this.#d = deps;
  }

  async start(): Promise<void> {
    await this.#reload();
    this.#unsubscribe = this.#d.bus.subscribe((c) => this.onChange(c));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#timer?.cancel();
    for (const set of this.#subs.values()) for (const s of set) s.sink.close();
    this.#subs.clear();
  }

  /** Streams open on this process. */
  get streamCount(): number {
    let n = 0;
    for (const s of this.#subs.values()) n += s.size;
    return n;
  }

  get revision(): number {
    return this.#snap?.revision ?? 0;
  }

  snapshot(): PolicySnapshot {
    if (!this.#snap) throw new Error('policy hub not started');
    return this.#snap;
  }

  /** Bus handler: config → debounced full rebuild; agent → re-evaluate that agent if connected here. */
  onChange(change: Change): void {
    if (change.kind === 'agent') {
      if (!this.#subs.has(change.agentId)) return;
      this.#pendingAgents.add(change.agentId);
    } else if (change.kind === 'config' && this.#snap && change.revision <= this.#snap.revision) {
      return;
    }
    if (change.kind !== 'agent') this.#again = true;
    if (change.kind === 'resync') this.#resyncAgents = true;
    if (this.#timer) return;
    this.#timer = this.#d.clock.setTimer(this.#d.debounceMs ?? 25, () => {
      this.#timer = null;
      void this.#runRefresh();
    });
  }

  /** Makes sure the snapshot reflects the database's current revision (a GET must never serve stale policy). */
  async ensureCurrent(): Promise<void> {
    const rev = await this.#d.store.read.getRevision();
    if (!this.#snap || rev > this.#snap.revision) {
      this.#again = true;
      await this.#runRefresh();
    }
  }

  /** Decision and document for an agent (by its stored facts). */
  policyOf(agent: AgentFactsForRole): { decision: RoleDecision; policy: CachedPolicy } {
    const snap = this.snapshot();
    const decision = decideAgentRole(agent, snap);
    const siteId = agent.siteId && snap.sites.has(agent.siteId) ? agent.siteId : null;
    const key = `${siteId ?? '-'}|${decision.role}|${decision.reason}`;
    let cached = this.#cache.get(key);
    if (!cached) {
      const policy = buildSitePolicy(snap, siteId, decision, (this.#d.now?.() ?? new Date()).toISOString());
      const doc = signPolicy(policy, this.#d.signingKey);
      cached = { doc, etag: policyEtag(policy), json: JSON.stringify(doc) };
      this.#cache.set(key, cached);
      this.#d.counters.increment('policy_documents_signed_total');
    }
    return { decision, policy: cached };
  }

  /** The current document for an agent id, read fresh from the database. Null if the agent is unknown. */
  async policyForAgent(agentId: string): Promise<{ decision: RoleDecision; policy: CachedPolicy } | null> {
    await this.ensureCurrent();
    const a = await this.#d.store.read.getAgent(agentId);
    return a ? this.policyOf(a) : null;
  }

  /**
   * Opens a stream for an agent: sends the current document at once unless `lastEventId` is its
   * etag (a reconnecting agent that already holds it), then every changed one. Returns detach().
   */
  async attach(agentId: string, sink: PolicySink, lastEventId: string | null): Promise<() => void> {
    await this.ensureCurrent();
    const a = await this.#d.store.read.getAgent(agentId);
    if (!a) throw new Error(`unknown agent ${agentId}`);
    this.#agents.set(agentId, a);
    const sub: Subscriber = { sink, lastEtag: lastEventId };
    const set = this.#subs.get(agentId) ?? new Set<Subscriber>();
    this.#subs.set(agentId, set);
    // An agent needs one stream (two while it reconnects): a newer one closes the oldest, so one
    // agent credential cannot hold unlimited connections (security review M1).
    for (const old of set) {
      if (set.size < MAX_STREAMS_PER_AGENT) break;
      set.delete(old);
      old.sink.close();
    }
    set.add(sub);
    this.#push(agentId, sub);
    return () => {
      set.delete(sub);
      if (set.size === 0) {
        this.#subs.delete(agentId);
        this.#agents.delete(agentId);
      }
    };
  }

  #closeAgent(agentId: string): void {
    for (const sub of this.#subs.get(agentId) ?? []) sub.sink.close();
    this.#subs.delete(agentId);
    this.#agents.delete(agentId);
  }

  #push(agentId: string, sub: Subscriber): void {
    const facts = this.#agents.get(agentId);
    if (!facts) return;
    const { policy } = this.policyOf(facts);
    if (sub.lastEtag === policy.etag) return;
    sub.lastEtag = policy.etag;
    sub.sink.write(policyFrame(policy));
    this.#d.counters.increment('policy_pushes_total');
  }

  async #runRefresh(): Promise<void> {
    if (this.#refreshing) {
      await this.#refreshing;
      if (!this.#again && this.#pendingAgents.size === 0) return;
    }
    this.#refreshing = (async () => {
      try {
        while (this.#again || this.#pendingAgents.size > 0) {
          const full = this.#again;
          this.#again = false;
          const agents = [...this.#pendingAgents];
          this.#pendingAgents.clear();
          if (full) await this.#reload();
          for (const id of agents) {
            const a = await this.#d.store.read.getAgent(id);
            if (a && this.#subs.has(id)) this.#agents.set(id, a);
            if (!a) this.#closeAgent(id); // deleted: its credential is gone, so is its stream
          }
          const targets = full ? [...this.#subs.keys()] : agents;
          const t0 = performance.now();
          let pushed = 0;
          for (const id of targets) {
            for (const sub of this.#subs.get(id) ?? []) {
              const before = sub.lastEtag;
              this.#push(id, sub);
              if (sub.lastEtag !== before) pushed++;
            }
          }
          if (pushed > 0) {
            this.#d.logger.info('policy pushed', { revision: this.#snap?.revision, agents: pushed, ms: Math.round(performance.now() - t0) });
          }
        }
      } catch (err) {
        this.#d.logger.error('policy refresh failed', { reason: (err as Error).message });
      }
    })();
    try { await this.#refreshing; } finally { this.#refreshing = null; }
  }

  async #reload(): Promise<void> {
    const snap = await this.#d.store.readConsistent((repo) => loadPolicySnapshot(repo));
    if (this.#snap && snap.revision < this.#snap.revision) return;
    const isNew = !this.#snap || snap.revision !== this.#snap.revision;
    this.#snap = snap;
    if (isNew || this.#cache.size > 0) this.#cache.clear();
    if (this.#resyncAgents) {
      // Facts of connected agents may have changed on another server while the bus was down.
      this.#resyncAgents = false;
      for (const a of await this.#d.store.read.listAgents()) if (this.#subs.has(a.id)) this.#agents.set(a.id, a);
    }
  }
}
