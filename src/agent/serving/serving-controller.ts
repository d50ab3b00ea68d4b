/**
 * Turns the agent's facts into running services: plans (serving-plan.ts) and hands the plan to the
 * supervisor (supervisor.ts) whenever something changed — policy, readiness, certificate, election
 * role, or the one-second maintenance tick. It keeps the two facts only the services know (the
 * election role, the certificate the election runs with) and says when serving PXE starts or stops.
 */
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { ElectionView, Role } from '../election/election.js';
import { agentServices, type AgentServiceContext, type ElectionMembership } from './agent-services.js';
import { planServing, type ServingFacts, type ServingPlan } from './serving-plan.js';
import { Supervisor } from './supervisor.js';

/** What the agent knows that the plan needs (the rest is the controller's own). */
export type AgentFacts = Pick<ServingFacts, 'responder' | 'certificate' | 'configuredWeight'>;

export interface ServingControllerOptions {
  services: Omit<AgentServiceContext, 'self' | 'onRoleChange' | 'onElectionStopped' | 'leaveOnStop'>;
  facts: () => AgentFacts;
  /** What the election announces besides the weight. */
  announce: () => { deviceClass: ReturnType<AgentServiceContext['self']>['deviceClass']; readyPackages: readonly string[] };
  onRoleChange: (role: Role, view: ElectionView, was: Role | null) => void;
  onServingChange: (serving: boolean) => void;
  clock: Clock;
  wallClock: () => number;
  logger: Logger;
}

export class ServingController {
  readonly #o: ServingControllerOptions;
  readonly #supervisor: Supervisor;
  readonly #log: Logger;
  #role: Role | null = null;
  #leave = true;
  #stopped = false;
  #certificateNote = 'none';
  #serving = false;

  constructor(o: ServingControllerOptions) {
    this.#o = o;
    this.#log = o.logger.child({ component: 'agent' });
    this.#supervisor = new Supervisor({
      clock: o.clock, logger: this.#log,
      services: agentServices({
        ...o.services,
        self: () => ({ weight: this.plan().weight, ...o.announce() }),
        onRoleChange: (role, view) => {
          const was = this.#role;
          this.#role = role;
          o.onRoleChange(role, view, was);
          this.reconcile();
        },
        onElectionStopped: () => { this.#role = null; },
        leaveOnStop: () => this.#leave,
      }),
    });
  }

  role(): Role | null {
    return this.#role;
  }

  election(): ElectionMembership | null {
    return this.#supervisor.handle<ElectionMembership>('election');
  }

  isRunning(service: 'election' | 'bootServers' | 'pxe' | 'shadow'): boolean {
    return this.#supervisor.isRunning(service);
  }

  handle<H>(service: 'election' | 'bootServers' | 'pxe' | 'shadow'): H | null {
    return this.#supervisor.handle<H>(service);
  }

  /** The plan for this moment's facts. */
  plan(): ServingPlan {
    const s = this.#supervisor;
    return planServing({
      ...this.#o.facts(), wallMs: this.#o.wallClock(), electionRole: this.#role,
      electionCertificate: s.runningConfig<string>('election'),
      bootServersFailed: s.failedRecently('bootServers'), pxeFailed: s.failedRecently('pxe'),
    });
  }

  /** Re-plans and applies (serialized; bursts coalesce). */
  reconcile(): void {
    if (this.#stopped) return;
    void this.#supervisor.apply(() => {
      const next = this.plan();
      const note = next.certificateChange;
      if (note !== this.#certificateNote && (note === 'expired' || note === 'unreadable')) {
        this.#log.warn(note === 'expired' ? 'agent certificate expired; not electing until the server issues a new one' : 'stored agent certificate is unreadable; waiting for a fresh one from the server');
      }
      this.#certificateNote = note;
      return { ...next };
    }).then(() => {
      const serving = this.#supervisor.isRunning('pxe');
      if (serving !== this.#serving) {
        this.#serving = serving;
        this.#o.onServingChange(serving);
      }
    });
  }

  /** Stops every service; `leave` announces leaving to the election's peers (default). */
  async stop(options: { leave?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    this.#leave = options.leave ?? true;
    await this.#supervisor.stopAll();
  }
}
