/**
 * The agent: wires its parts from the dependencies it is given (main.ts builds the real ones).
 *
 *   facts (verified policy, package readiness, election role, certificate, failures)
 *     ─► planServing (serving/serving-plan.ts, pure) ─► Supervisor (serving/supervisor.ts)
 *     ─► services (serving/agent-services.ts): election, TFTP + HTTP, proxyDHCP, standby shadow
 *   always: policy sync, package swarm, status and boot-event reporting, rogue responder watch
 *
 * Everything the agent does while serving is decided locally from the last signed policy: the
 * server being down stops nothing but reporting. Every change (policy, readiness, certificate,
 * election role) re-plans; a one-second maintenance tick refreshes what follows the peers
 * (load-spreading candidates, the iPXE scripts' fallbacks, who may answer PXE).
 */
import { mkdirSync } from 'node:fs';
import { ApiClient } from '../contract/client.js';
import { policyWan } from '../contract/policy.js';
import type { AgentInterface } from '../contract/schemas.js';
import { repeatEvery, type Clock } from '../platform/clock.js';
import type { Counters } from '../platform/counters.js';
import type { Logger } from '../platform/logger.js';
import type { InterfaceIpv4 } from '../platform/network-interfaces.js';
import { peerbootVersion } from '../platform/version.js';
import type { DeviceClass } from '../protocol/peer/announcement.js';
import type { AgentConfig } from './config/agent-config.js';
import { IpxeScriptWriter } from './content/script-writer.js';
import { BootDecider } from './decision/boot-decider.js';
import { compileDecisionTable } from './decision/boot-decision.js';
import { LoadBook } from './decision/load-spreading.js';
import type { ElectionTransport } from './election/election-node.js';
import type { Role } from './election/election.js';
import { toPublicKey } from '../platform/crypto/ed25519-keys.js';
import { resolveWeight } from './election/ranking.js';
import { logBootEvents } from './events/boot-event-log.js';
import { BootEventStream } from './events/boot-event.js';
import { BootRoot } from './files/boot-root.js';
import { saveCertificate } from './identity/agent-identity.js';
import { startIdentity } from './identity/enrollment.js';
import { LanView } from './peers/lan-view.js';
import { PolicySync, type HeldPolicy } from './policy/policy-sync.js';
import { pxeSelection } from './pxe/pxe-selection.js';
import { agentStatusReport, ProgressNudge } from './reporting/agent-status.js';
import { reportBootEvents } from './reporting/boot-event-report.js';
import { EventReporter } from './reporting/event-reporter.js';
import { StatusReporter } from './reporting/status-reporter.js';
import { startRogueWatch } from './rogue/rogue-watch.js';
import type { BootServers } from './serving/agent-services.js';
import { ServingController } from './serving/serving-controller.js';
import { AgentPackages } from './swarm/agent-packages.js';

export interface AgentDeps {
  config: AgentConfig;
  /** The interface whose LAN this agent serves. */
  network: InterfaceIpv4;
  hostname: string;
  deviceClass: DeviceClass;
  /** Inventory for status reports and enrollment. */
  interfaces: () => AgentInterface[];
  logger: Logger;
  counters: Counters;
  clock: Clock;
  wallClock: () => number;
  fetch?: typeof fetch;
  /** Election transport override (tests); it must pass every received datagram to `tap` too. Default: UDP broadcast on config.electionPort. */
  electionTransport?: (tap: (bytes: Uint8Array, from: { address: string; port: number }) => void) => Promise<ElectionTransport>;
}

/** What the agent is doing, for logs, tests and the status report. */
export interface AgentSnapshot {
  agentId: string;
  policySerial: number | null;
  policyRole: HeldPolicy['policy']['role'] | null;
  electionRole: Role | null;
  active: string | null;
  standby: string | null;
  bootServers: boolean;
  pxeServing: boolean;
  readyPackages: string[];
}

export interface RunningAgent {
  readonly agentId: string;
  snapshot(): AgentSnapshot;
  /** Stops everything; by default the election announces `leaving` so peers take over at once. */
  stop(options?: { leave?: boolean }): Promise<void>;
}

export async function startAgent(deps: AgentDeps): Promise<RunningAgent> {
  const { config, clock, counters, network, logger } = deps;
  const log = logger.child({ component: 'agent' });
  const { paths, key, identity, certificate: stored } = await startIdentity({ ...deps, version: peerbootVersion }, config.dataDir, log);
  let certificate = stored;
  const client = new ApiClient({ baseUrl: identity.serverUrl, token: identity.agentToken, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  mkdirSync(paths.bootRoot, { recursive: true });
  const bootRoot = await BootRoot.open(paths.bootRoot);

  // Boot events: one typed stream; the log and the server's timeline subscribe.
  const reporter = new EventReporter({ send: async (batch) => { await client.call('agentEvents', { body: { events: batch } }); }, clock, wallClock: deps.wallClock, logger, counters });
  const events = new BootEventStream();
  events.subscribe(logBootEvents(logger));
  events.subscribe(reportBootEvents((e) => reporter.report(e)));

  let held: HeldPolicy | null = null;
  let stopped = false;
  const loadBook = new LoadBook();
  const lan: LanView = new LanView({ selfAgentId: identity.agentId, selfAddress: network.address, election: () => serving.election(), loadBook });
  const scripts = new IpxeScriptWriter({ bootRoot: paths.bootRoot, httpPort: config.httpPort, logger: log });
  // The weight this machine ranks with when it serves; the package swarm ranks its site's WAN fetcher by it too.
  const configuredWeight = resolveWeight(deps.deviceClass, config.weight ?? undefined);
  const decider = new BootDecider({ clock, counters, logger: logger.child({ component: 'decision' }) });
  const isResponder = () => held !== null && held.policy.role === 'responder' && held.policy.settings.enabled;

  const packages = new AgentPackages({
    dataDir: paths.dataDir, bootRoot: paths.bootRoot, packageStateDir: paths.packageState,
    agentId: identity.agentId, privateKeyPem: key.privateKeyPem, serverPublicKey: identity.policyPublicKey, server: client,
    lan: { address: network.address, subnet: network.subnet, havePort: config.havePort, chunkPort: config.chunkPort },
    peers: config.peerPackages, weight: configuredWeight, clock, logger, counters,
    onChange: () => { recompile(); status.nudge(); reconcile(); },
    onEvent: (e) => reporter.report({ kind: e.kind, reason: e.reason.slice(0, 255) }),
  });
  if (certificate) packages.setCertificate(certificate);
  const refreshScripts = () => { if (held && isResponder()) scripts.refresh(held.policy, (id) => packages.isReady(id), lan.candidates()); };
  const recompile = () => {
    decider.setTable(compileDecisionTable(held?.policy ?? null, held?.etag ?? null, (id) => packages.isReady(id)));
    refreshScripts();
  };

  // ---- what should run: facts → plan → supervised services ----------------------------------
  const serving = new ServingController({
    clock, wallClock: deps.wallClock, logger,
    facts: () => ({ responder: isResponder(), certificate, configuredWeight }),
    announce: () => ({ deviceClass: deps.deviceClass, readyPackages: packages.readyIds() }),
    services: {
      config, network, bootRoot, identity: { agentId: identity.agentId, privateKeyPem: key.privateKeyPem }, serverKey: toPublicKey(identity.policyPublicKey),
      pxeConfig: pxeSelection({ decider, selfAgentId: identity.agentId, candidates: lan.candidates, loadBook, loadSpreading: config.loadSpreading, httpPort: config.httpPort, clock, counters, events: events.emit }),
      requiredPackages: () => (isResponder() ? held!.policy.packages.map((p) => p.manifest.id) : []),
      ...(deps.electionTransport ? { electionTransport: deps.electionTransport } : {}),
      events: events.emit, logger, counters, clock, wallClock: deps.wallClock,
    },
    onRoleChange: (role, view, was) => {
      if (role === 'active') reporter.report({ kind: 'electionWon', reason: `active on ${network.subnet}; standby ${view.standby ?? 'none'} (${view.pickReason})` });
      else if (was === 'active') reporter.report({ kind: 'electionLost', reason: `now ${role}; active ${view.active ?? 'none'}` });
      refreshPeers();
    },
    onServingChange: () => status.nudge(),
  });
  const reconcile = () => serving.reconcile();
  const refreshPeers = () => {
    lan.refresh({ readyPackages: packages.readyIds(), activeTransfers: serving.handle<BootServers>('bootServers')?.tftp.activeSessions().length ?? 0 }, clock.nowMs());
    refreshScripts();
  };

  // ---- reporting and policy -----------------------------------------------------------------
  const progress = new ProgressNudge(clock);
  const status = new StatusReporter({
    send: (body) => client.call('agentStatus', { body }), clock, intervalMs: config.statusIntervalMs, logger, counters,
    build: () => agentStatusReport({ deps, version: peerbootVersion, policyEtag: held?.etag ?? null, serving: serving.isRunning('pxe'), packages: packages.readiness(), agentPublicKey: key.publicKey }),
    onResult: (r) => {
      if (r.agentCertificate && r.agentCertificate !== certificate) {
        certificate = r.agentCertificate;
        packages.setCertificate(certificate);
        try { saveCertificate(paths.certificate, certificate); } catch (err) { log.error('cannot store the agent certificate', { error: (err as Error).message }); }
        reconcile();
      }
      // The server sees a different role than our policy says: fetch the newest policy now.
      if (held && r.role !== held.policy.role) void policySync.pollNow();
    },
  });
  const policySync = new PolicySync({
    client, publicKey: identity.policyPublicKey, cachePath: paths.policyCache, clock, logger, counters, pollIntervalMs: config.policyPollIntervalMs,
    onPolicy: (h) => {
      held = h;
      packages.setWanPolicy(policyWan(h.policy));
      packages.setWanted(h.policy.role === 'responder' ? h.policy.packages : []);
      recompile();
      status.nudge();
      reconcile();
    },
  });

  // ---- start ----------------------------------------------------------------------------------
  log.info('agent starting', { agentId: identity.agentId, server: identity.serverUrl, interface: network.name, address: network.address, subnet: network.subnet, deviceClass: deps.deviceClass, dataDir: paths.dataDir });
  recompile();
  policySync.start();
  status.start();
  const rogue = config.rogueDetection
    ? await startRogueWatch({ clock, logger, counters, election: () => serving.election(), addressOfAgent: lan.addressOf, recent: () => lan.recentlyElected.addresses(), self: { address: network.address, agentId: identity.agentId }, report: (e) => reporter.report(e) })
    : null;
  const tick = repeatEvery(clock, 1000, () => {
    refreshPeers();
    if (progress.due(packages.readiness())) status.nudge();
    reconcile();
  });

  return {
    agentId: identity.agentId,
    snapshot: () => {
      const view = serving.election()?.node.view();
      return {
        agentId: identity.agentId, policySerial: held?.policy.serial ?? null, policyRole: held?.policy.role ?? null,
        electionRole: serving.role(), active: view?.active ?? null, standby: view?.standby ?? null,
        bootServers: serving.isRunning('bootServers'), pxeServing: serving.isRunning('pxe'), readyPackages: packages.readyIds(),
      };
    },
    async stop(options = {}) {
      if (stopped) return;
      stopped = true;
      tick.cancel();
      policySync.stop();
      status.stop();
      await packages.stop();
      await serving.stop(options);
      await rogue?.close();
      await Promise.race([reporter.flush(), new Promise<void>((resolve) => clock.setTimer(1000, resolve))]);
      reporter.stop();
      log.info('agent stopped');
    },
  };
}
