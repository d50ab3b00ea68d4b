/**
 * Keeps the agent's services matching a plan: starts what the plan wants, stops what it no longer
 * wants, and restarts what it wants with another configuration. One rule for failures: a service
 * that fails to start stays out for `backoffMs` (a minute), then the next apply tries again; the
 * plan sees `failedRecently()` and can take the agent out of serving meanwhile.
 *
 * Order matters on a PXE responder: services are declared in start order, every stop happens
 * before any start, and stops run in reverse order — so the proxyDHCP answers go before the
 * servers behind them, and the standby's shadow frees ports 67/68/4011 before the active responder
 * binds them. A service starts only when every service it `requires` is running.
 * Calls to apply() are serialized; one that arrives while another runs is coalesced into one more.
 */
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';

export interface ServiceDefinition<C = unknown, H = unknown> {
  name: string;
  /** Services that must be running before this one may start. */
  requires?: readonly string[];
  /** Starts the service (it logs its own success); throws when it cannot. */
  start(config: C): Promise<H>;
  /** Stops it; `why` says whether the plan dropped it, changed its configuration, or the agent stops. */
  stop(handle: H, why: StopReason): Promise<void>;
  /** A change of this key restarts the running service (default: never). */
  configKey?(config: C): string;
  /** What a failed start means, for the log line (e.g. "this agent will not serve"). */
  consequence?: string;
}

export type StopReason = 'unwanted' | 'reconfigure' | 'shutdown';

/** Per service: its configuration, or null (or absent) when it should not run. */
export type ServicePlan = Readonly<Record<string, unknown>>;

interface Running { handle: unknown; key: string; config: unknown }

export class Supervisor {
  readonly #services: readonly ServiceDefinition[];
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #backoffMs: number;
  readonly #running = new Map<string, Running>();
  readonly #failed = new Map<string, { atMs: number; reason: string }>();
  #queue: Promise<void> = Promise.resolve();
  #pending: (() => ServicePlan) | null = null;
  #stopped = false;

  constructor(o: { services: readonly ServiceDefinition<never, never>[]; clock: Clock; logger: Logger; backoffMs?: number }) {
    this.#services = o.services as readonly ServiceDefinition[];
    this.#clock = o.clock;
    this.#log = o.logger;
    this.#backoffMs = o.backoffMs ?? 60_000;
    const names = new Set<string>();
    for (const s of this.#services) {
      for (const r of s.requires ?? []) if (!names.has(r)) throw new Error(`service ${s.name} requires ${r}, which must be declared before it`);
      names.add(s.name);
    }
  }

  isRunning(name: string): boolean {
    return this.#running.has(name);
  }

  /** The running service's handle, or null. */
  handle<H>(name: string): H | null {
    return (this.#running.get(name)?.handle as H | undefined) ?? null;
  }

  /** The configuration the running service was started with, or null. */
  runningConfig<C>(name: string): C | null {
    return (this.#running.get(name)?.config as C | undefined) ?? null;
  }

  /** Did the service fail to start within the back-off period? */
  failedRecently(name: string): boolean {
    const f = this.#failed.get(name);
    return f !== undefined && this.#clock.nowMs() - f.atMs < this.#backoffMs;
  }

  /**
   * Brings the services to the plan `planOf` returns when its turn comes (so it sees the facts of
   * that moment, services started by the previous apply included); resolves when it is applied.
   */
  apply(planOf: () => ServicePlan): Promise<void> {
    if (this.#stopped) return this.#queue;
    const queued = this.#pending !== null;
    this.#pending = planOf;
    if (queued) return this.#queue;
    this.#queue = this.#queue.then(async () => {
      const next = this.#pending;
      this.#pending = null;
      if (next && !this.#stopped) await this.#applyNow(next());
    }).catch((err: unknown) => this.#log.error('applying the service plan failed', { error: (err as Error).stack ?? String(err) }));
    return this.#queue;
  }

  /** Stops every service (reverse order) once the plan in progress is done; later applies do nothing. */
  async stopAll(): Promise<void> {
    this.#stopped = true;
    await this.#queue;
    for (const s of [...this.#services].reverse()) await this.#stop(s, 'shutdown');
  }

  async #applyNow(plan: ServicePlan): Promise<void> {
    const wanted = (s: ServiceDefinition) => plan[s.name] ?? null;
    const keyOf = (s: ServiceDefinition, config: unknown) => (s.configKey ? s.configKey(config) : '');
    for (const s of [...this.#services].reverse()) {
      const running = this.#running.get(s.name);
      if (!running) continue;
      const config = wanted(s);
      if (config === null) await this.#stop(s, 'unwanted');
      else if (keyOf(s, config) !== running.key) await this.#stop(s, 'reconfigure');
    }
    for (const s of this.#services) {
      const config = wanted(s);
      if (config === null || this.#running.has(s.name) || this.failedRecently(s.name)) continue;
      if ((s.requires ?? []).some((r) => !this.#running.has(r))) continue;
      try {
        const handle = await s.start(config);
        this.#running.set(s.name, { handle, key: keyOf(s, config), config });
        this.#failed.delete(s.name);
      } catch (err) {
        const reason = (err as Error).message;
        this.#failed.set(s.name, { atMs: this.#clock.nowMs(), reason });
        this.#log.error(`${s.name} cannot start: ${reason}; ${s.consequence ?? 'not running'}, retrying in ${Math.round(this.#backoffMs / 1000)} s`, { service: s.name, code: (err as { code?: string }).code });
      }
    }
  }

  async #stop(s: ServiceDefinition, why: StopReason): Promise<void> {
    const running = this.#running.get(s.name);
    if (!running) return;
    this.#running.delete(s.name);
    try {
      await s.stop(running.handle, why);
    } catch (err) {
      this.#log.warn(`${s.name} did not stop cleanly`, { error: (err as Error).message });
    }
  }
}
