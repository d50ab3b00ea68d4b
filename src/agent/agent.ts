/**
 * The agent: wires its parts from the dependencies it is given (main.ts builds the real ones).
 *
 *   enroll (once) ─► policy sync (cache → push + poll) ─► decision table, packages, iPXE scripts
 *                 └► status reports (inventory, readiness) ─► agent certificate ─► election
 *   policy role = responder  ─► TFTP + HTTP boot servers (every targeted agent: peers fetch from each other)
 *   election role = active   ─► proxyDHCP responder (only the elected one answers PXE on the LAN)
 *   election role = standby  ─► shadow proxyDHCP: answers only DISCOVERs the active left unanswered
 *                               for 300 ms (covers the ≈1.5 s failover for BIOS ROMs; pxe/shadow-gate.ts)
 *   always                   ─► rogue responder watch (port 68), boot events to the server
 *
 * Everything the agent does while serving is decided locally from the last signed policy: the server
 * being down stops nothing but reporting (issue 4 item 6). Changes (policy, readiness, certificate,
 * election role) all funnel into one serialized `reconcile()`, which starts and stops the servers to
 * match; a one-second maintenance tick refreshes what follows the peers (candidates for load
 * spreading, the fallbacks in the iPXE scripts, the addresses allowed to answer PXE).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../contract/client.js';
import { policyWan, type AgentPolicy } from '../contract/policy.js';
import type { AgentInterface, AgentStatusReport, AgentStatusResult, BootEventInput } from '../contract/schemas.js';
import type { Clock, TimerHandle } from '../platform/clock.js';
import type { Counters } from '../platform/counters.js';
import type { InterfaceIpv4 } from '../platform/network-interfaces.js';
import type { Logger } from '../platform/logger.js';
import { decodeAgentCertificate } from '../protocol/peer/agent-certificate.js';
import type { DeviceClass } from '../protocol/peer/announcement.js';
import type { AgentConfig } from './config/agent-config.js';
import { profileScriptPath } from './content/boot-layout.js';
import { profileIpxeScript, type ScriptPeer } from './content/ipxe-script.js';
import { BootDecider } from './decision/boot-decider.js';
import { compileDecisionTable } from './decision/boot-decision.js';
import { LoadBook, spreadBoot, type ServingCandidate } from './decision/load-spreading.js';
import { startElectionNode, type ElectionNode, type ElectionTransport } from './election/election-node.js';
import type { ElectionView, Role } from './election/election.js';
import { toPublicKey } from './election/peer-crypto.js';
import { resolveWeight } from './election/ranking.js';
import { BootRoot } from './files/boot-root.js';
import { startHttpBootServer, type HttpBootServerHandle } from './http/http-boot-server.js';
import {
  agentStatePaths, loadIdentity, loadOrCreateAgentKey, saveCertificate, saveIdentity,
  type AgentIdentity, type AgentStatePaths,
} from './identity/agent-identity.js';
import { PeerDirectory } from './peers/peer-directory.js';
import { directedBroadcast } from '../platform/broadcast-socket.js';
import { openPeerTransport } from './peers/peer-transport.js';
import { PolicySync, describeFetchError, type HeldPolicy } from './policy/policy-sync.js';
import type { ProxyDhcpConfig } from './pxe/proxy-dhcp.js';
import { startPxeResponder, type PxeResponderHandle } from './pxe/pxe-responder.js';
import { startShadowResponder, type ShadowResponderHandle } from './pxe/shadow-responder.js';
import { bootEventTap } from './reporting/boot-event-tap.js';
import { EventReporter } from './reporting/event-reporter.js';
import { StatusReporter } from './reporting/status-reporter.js';
import { startRogueListener, type RogueListener } from './rogue/rogue-listener.js';
import { writeFileAtomic } from './state/atomic-file.js';
import { AgentPackages } from './swarm/agent-packages.js';
import { startTftpServer, type TftpServerHandle } from './tftp/tftp-server.js';

export const agentVersion = '0.1.0';

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
  policyRole: AgentPolicy['role'] | null;
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

export class AgentStartError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'AgentStartError';
  }
}

const sleep = (clock: Clock, ms: number) => new Promise<void>((resolve) => clock.setTimer(ms, resolve));

/** Loads the identity, or enrolls (retrying while the server is unreachable). */
async function ensureIdentity(deps: AgentDeps, paths: AgentStatePaths, publicKey: string, log: Logger): Promise<{ identity: AgentIdentity; certificate: string | null }> {
  const { config } = deps;
  const stored = loadIdentity(paths.identity);
  if (stored) {
    if (config.serverUrl && config.serverUrl !== stored.serverUrl) {
      log.warn('server URL changed since enrollment; using the configured one', { enrolledWith: stored.serverUrl, configured: config.serverUrl });
      const moved = { ...stored, serverUrl: config.serverUrl };
      saveIdentity(paths.identity, moved);
      return { identity: moved, certificate: null };
    }
    if (config.enrollmentToken) log.info('already enrolled; the enrollment token is not needed any more', { agentId: stored.agentId });
    return { identity: stored, certificate: null };
  }
  if (!config.serverUrl) throw new AgentStartError('not enrolled yet: pass --server URL and --token TOKEN (peerboot admin creates enrollment tokens)', 'PEERBOOT_ERR_NOT_ENROLLED');
  if (!config.enrollmentToken) throw new AgentStartError(`not enrolled yet: pass --token TOKEN to enroll with ${config.serverUrl} (create one with 'peerboot admin enrollment-token')`, 'PEERBOOT_ERR_NOT_ENROLLED');
  const anonymous = new ApiClient({ baseUrl: config.serverUrl, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await anonymous.call('enroll', {
        body: {
          token: config.enrollmentToken, hostname: deps.hostname, version: agentVersion, interfaces: deps.interfaces(),
          agentPublicKey: publicKey, ...(Object.keys(config.labels).length ? { labels: config.labels } : {}),
        },
      });
      const identity: AgentIdentity = {
        serverUrl: config.serverUrl, agentId: r.agentId, agentToken: r.agentToken, policyPublicKey: r.policyPublicKey,
        policyKeyId: r.policyKeyId, enrolledAt: new Date(deps.wallClock()).toISOString(),
      };
      saveIdentity(paths.identity, identity);
      log.info('enrolled', { agentId: r.agentId, siteId: r.siteId, server: config.serverUrl });
      return { identity, certificate: r.agentCertificate ?? null };
    } catch (err) {
      const e = err as { status?: number; code?: string; message: string };
      if (e.status !== undefined && e.status >= 400 && e.status < 500) {
        throw new AgentStartError(`enrollment refused by ${config.serverUrl}: ${e.message}; create a new token with 'peerboot admin enrollment-token'`, 'PEERBOOT_ERR_ENROLLMENT_REFUSED');
      }
      if (attempt === 0) log.warn(`cannot reach the server to enroll (${describeFetchError(err)}); retrying`, { server: config.serverUrl });
      await sleep(deps.clock, Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5)));
    }
  }
}

export async function startAgent(deps: AgentDeps): Promise<RunningAgent> {
  const { config, clock, counters, network } = deps;
  const log = deps.logger.child({ component: 'agent' });
  const paths = agentStatePaths(config.dataDir);
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  const key = loadOrCreateAgentKey(paths.key);
  const { identity, certificate: enrolledCertificate } = await ensureIdentity(deps, paths, key.publicKey, log);
  if (enrolledCertificate) saveCertificate(paths.certificate, enrolledCertificate);
  const client = new ApiClient({ baseUrl: identity.serverUrl, token: identity.agentToken, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const serverKey = toPublicKey(identity.policyPublicKey);
  mkdirSync(paths.bootRoot, { recursive: true });
  const bootRoot = await BootRoot.open(paths.bootRoot);

  const events = new EventReporter({
    send: async (batch) => { await client.call('agentEvents', { body: { events: batch } }); },
    clock, wallClock: deps.wallClock, logger: deps.logger, counters,
  });
  const report = (e: Omit<BootEventInput, 'at'>) => events.report(e);
  const serveLogger = bootEventTap(deps.logger, report);

  // ---- state -------------------------------------------------------------------------------
  let held: HeldPolicy | null = null;
  let stopped = false;
  let election: ElectionNode | null = null;
  let electionCert: string | null = null;
  let electionRole: Role | null = null;
  let electionStartedAt: number | null = null;
  let directory: PeerDirectory | null = null;
  let tftp: TftpServerHandle | null = null;
  let http: HttpBootServerHandle | null = null;
  let pxe: PxeResponderHandle | null = null;
  let shadow: ShadowResponderHandle | null = null;
  let shadowFailed: { atMs: number } | null = null;
  // A failure to bind (port taken…) takes the agent out of serving (weight 0) for a minute, then it retries.
  let bootServersFailed: { reason: string; atMs: number } | null = null;
  let pxeFailed: { reason: string; atMs: number } | null = null;
  const recentFailure = (f: { atMs: number } | null) => f !== null && clock.nowMs() - f.atMs < 60_000;
  let rogue: RogueListener | null = null;
  let certificate: string | null = enrolledCertificate ?? (existsSync(paths.certificate) ? readFileSync(paths.certificate, 'utf8').trim() : null);
  let candidates: ServingCandidate[] = [];
  const recentlyElected = new Map<string, number>();
  const writtenScripts = new Map<string, string>();
  const lastIgnoredReport = new Map<string, number>();
  const loadBook = new LoadBook();

  // The weight this machine ranks with when it serves (the election uses 0 while it cannot); the
  // package swarm ranks its site's WAN fetcher by it too.
  const configuredWeight = resolveWeight(deps.deviceClass, config.weight ?? undefined);
  const decider = new BootDecider({ clock, counters, logger: deps.logger.child({ component: 'decision' }) });
  // Packages: from LAN peers first, one WAN copy per site (swarm/agent-packages.ts).
  const packages = new AgentPackages({
    dataDir: paths.dataDir, bootRoot: paths.bootRoot, packageStateDir: paths.packageState,
    agentId: identity.agentId, privateKeyPem: key.privateKeyPem, serverPublicKey: identity.policyPublicKey, server: client,
    lan: { address: network.address, subnet: network.subnet, havePort: config.havePort, chunkPort: config.chunkPort },
    peers: config.peerPackages, weight: configuredWeight,
    clock, logger: deps.logger, counters,
    onChange: () => { recompile(); status.nudge(); reconcile(); },
    onEvent: (e) => report({ kind: e.kind, reason: e.reason.slice(0, 255) }),
  });
  if (certificate) packages.setCertificate(certificate);

  const isResponder = () => held !== null && held.policy.role === 'responder' && held.policy.settings.enabled;
  const weight = () => {
    if (!isResponder() || recentFailure(bootServersFailed) || recentFailure(pxeFailed)) return 0;
    return configuredWeight;
  };

  const recompile = () => {
    decider.setTable(compileDecisionTable(held?.policy ?? null, held?.etag ?? null, (id) => packages.isReady(id)));
    refreshScripts();
  };

  // ---- iPXE scripts: one per profile whose package is ready; fallbacks = other ready peers -----
  const refreshScripts = () => {
    if (!held || !isResponder()) return;
    for (const profile of held.policy.profiles) {
      const pkg = profile.packageId;
      if (!pkg || !packages.isReady(pkg)) continue;
      const fallbacks: ScriptPeer[] = candidates
        .filter((c) => !c.isSelf && c.readyPackages.includes(pkg))
        .map((c) => ({ baseUrl: config.httpPort !== null ? `http://${c.address}:${config.httpPort}` : `tftp://${c.address}` }));
      const text = profileIpxeScript(profile, pkg, fallbacks);
      if (text === null) continue;
      const rel = profileScriptPath(profile.id);
      if (writtenScripts.get(rel) === text) continue;
      try {
        writeFileAtomic(join(paths.bootRoot, rel), text, 0o644);
        writtenScripts.set(rel, text);
      } catch (err) {
        log.error('cannot write an iPXE script', { path: rel, error: (err as Error).message });
      }
    }
  };

  // ---- the PXE decision, with load spreading ----------------------------------------------
  const pxeConfig: ProxyDhcpConfig = {
    httpPort: config.httpPort ?? undefined,
    select(client) {
      const d = decider.decide(client);
      if (d.kind === 'silence') {
        const now = clock.nowMs();
        const last = lastIgnoredReport.get(client.mac);
        if (last === undefined || now - last > 60_000) {
          if (lastIgnoredReport.size > 4096) lastIgnoredReport.clear();
          lastIgnoredReport.set(client.mac, now);
          report({ kind: 'dhcpIgnored', mac: client.mac, arch: client.archCode, ...(client.uuid ? { smbiosUuid: client.uuid } : {}), reason: d.reason.slice(0, 255) });
        }
        return { refuse: d.reason };
      }
      let selection: { bootFile?: string; ipxeScript?: string } = { ...(d.bootFile ? { bootFile: d.bootFile } : {}), ...(d.ipxeScript ? { ipxeScript: d.ipxeScript } : {}) };
      let servedBy = identity.agentId;
      if (config.loadSpreading) {
        const spread = spreadBoot(d, client, candidates, config.httpPort);
        if (spread.kind === 'peer') {
          servedBy = spread.agentId;
          selection = { ...selection, ...(spread.ipxeScript ? { ipxeScript: spread.ipxeScript } : {}), ...(spread.bootFile ? { bootFile: spread.bootFile } : {}) };
          counters.increment('load_spread_to_peer_total');
        }
      }
      loadBook.record(servedBy, clock.nowMs());
      return selection;
    },
  };

  // ---- boot servers, PXE, election ---------------------------------------------------------
  const startBootServers = async () => {
    try {
      tftp = await startTftpServer({ root: bootRoot, address: network.address, port: config.tftpPort, logger: serveLogger, counters });
      if (config.httpPort !== null) http = await startHttpBootServer({ root: bootRoot, address: network.address, port: config.httpPort, logger: serveLogger, counters });
      bootServersFailed = null;
      log.info('boot servers up', { address: network.address, tftpPort: config.tftpPort, httpPort: config.httpPort });
    } catch (err) {
      bootServersFailed = { reason: (err as Error).message, atMs: clock.nowMs() };
      log.error(`boot servers cannot start: ${bootServersFailed.reason}; this agent will not serve (weight 0) and retries in a minute`);
      await Promise.allSettled([tftp?.close(), http?.close()]);
      tftp = null;
      http = null;
    }
  };
  const stopBootServers = async () => {
    await Promise.allSettled([tftp?.close(), http?.close()]);
    tftp = null;
    http = null;
    log.info('boot servers stopped');
  };

  const startPxe = async () => {
    try {
      pxe = await startPxeResponder({ interfaceName: network.name, config: pxeConfig, logger: serveLogger, counters, clock, replyDelayMs: config.replyDelayMs });
      pxeFailed = null;
      status.nudge();
    } catch (err) {
      pxeFailed = { reason: (err as Error).message, atMs: clock.nowMs() };
      log.error(`proxyDHCP responder cannot start: ${pxeFailed.reason}; giving up the active role for a minute`);
    }
  };
  const stopPxe = async () => {
    const p = pxe;
    pxe = null;
    await p?.close();
    log.info('proxyDHCP responder stopped');
    status.nudge();
  };

  // The standby's shadow never affects the weight: failing to bind only costs the failover cover.
  const startShadow = async () => {
    try {
      shadow = await startShadowResponder({ interfaceName: network.name, config: pxeConfig, logger: serveLogger, counters, clock });
      shadowFailed = null;
    } catch (err) {
      shadowFailed = { atMs: clock.nowMs() };
      log.warn(`standby shadow responder cannot start: ${(err as Error).message}; retrying in a minute`);
    }
  };
  const stopShadow = async () => {
    const s = shadow;
    shadow = null;
    await s?.close();
    log.info('pxe shadow stopped');
  };

  const onRoleChange = (role: Role, view: ElectionView) => {
    const was = electionRole;
    electionRole = role;
    if (role === 'active') report({ kind: 'electionWon', reason: `active on ${network.subnet}; standby ${view.standby ?? 'none'} (${view.pickReason})` });
    else if (was === 'active') report({ kind: 'electionLost', reason: `now ${role}; active ${view.active ?? 'none'}` });
    refreshPeers();
    reconcile();
  };

  const certificateFacts = (b64: string) => {
    const d = decodeAgentCertificate(new Uint8Array(Buffer.from(b64, 'base64url')));
    return d.ok ? d.certificate : null;
  };

  const ensureElection = async () => {
    if (!certificate) return;
    const facts = certificateFacts(certificate);
    if (!facts) {
      log.warn('stored agent certificate is unreadable; waiting for a fresh one from the server');
      return;
    }
    if (election && electionCert) {
      const running = certificateFacts(electionCert);
      const sameSite = running && running.siteId === facts.siteId && running.agentId === facts.agentId;
      const renewDue = running && running.notAfterMs - deps.wallClock() < 7 * 24 * 3600_000 && facts.notAfterMs > running.notAfterMs;
      if (sameSite && !renewDue) return;
      log.info('restarting the election with a new certificate', { siteId: facts.siteId, reason: sameSite ? 'renewal' : 'site changed' });
      const e = election;
      election = null;
      electionRole = null;
      await e.close({ leave: true });
    }
    if (deps.wallClock() >= facts.notAfterMs) {
      log.warn('agent certificate expired; not electing until the server issues a new one', { notAfter: new Date(facts.notAfterMs).toISOString() });
      return;
    }
    directory = new PeerDirectory({ serverKeys: [serverKey], siteId: facts.siteId, selfAgentId: identity.agentId, clock, wallClock: deps.wallClock, counters });
    const dir = directory;
    try {
      const tap = (bytes: Uint8Array, from: { address: string; port: number }) => dir.observe(bytes, from);
      const transport = deps.electionTransport
        ? await deps.electionTransport(tap)
        : await openPeerTransport({
          port: config.electionPort, broadcastAddress: directedBroadcast(network.subnet),
          tap,
          onSendError: (e) => { counters.increment('election.tx.errors'); log.debug('announcement send failed', { error: e.message }); },
        });
      election = await startElectionNode({
        address: network.address, subnet: network.subnet, port: config.electionPort,
        identity: { agentId: identity.agentId, privateKey: key.privateKeyPem, certificate: new Uint8Array(Buffer.from(certificate, 'base64url')) },
        serverPublicKey: serverKey,
        self: () => ({ weight: weight(), deviceClass: deps.deviceClass, readyPackages: packages.readyIds() }),
        requiredPackages: () => (isResponder() ? held!.policy.packages.map((p) => p.manifest.id) : []),
        clock, wallClock: deps.wallClock, logger: deps.logger, counters, onRoleChange, transport,
      });
      electionCert = certificate;
      electionStartedAt = clock.nowMs();
      electionRole = election.role();
      log.info('election running', { siteId: facts.siteId, subnet: network.subnet, weight: weight() });
    } catch (err) {
      log.error(`election cannot start: ${(err as Error).message}`);
      election = null;
    }
  };

  let reconciling: Promise<void> = Promise.resolve();
  let dirty = false;
  const reconcile = () => {
    if (dirty || stopped) return;
    dirty = true;
    reconciling = reconciling.then(async () => {
      dirty = false;
      if (stopped) return;
      await ensureElection();
      const wantServers = isResponder();
      // Stop answering before the servers behind the answers go away; start them before answering.
      if ((!wantServers || electionRole !== 'active') && pxe) await stopPxe();
      // The shadow holds 67/68/4011 too: it goes before the active responder binds them.
      if ((!wantServers || electionRole !== 'standby') && shadow) await stopShadow();
      if (!wantServers && tftp) await stopBootServers();
      if (wantServers && !tftp && !recentFailure(bootServersFailed)) await startBootServers();
      const wantPxe = wantServers && tftp !== null && electionRole === 'active' && !recentFailure(pxeFailed);
      if (wantPxe && !pxe) await startPxe();
      const wantShadow = wantServers && tftp !== null && electionRole === 'standby' && !recentFailure(shadowFailed);
      if (wantShadow && !shadow) await startShadow();
    }).catch((err: unknown) => log.error('reconcile failed', { error: (err as Error).stack ?? String(err) }));
  };

  /** Our address for ourselves, a peer's from the directory of verified announcements. */
  const addressOfAgent = (agentId: string | null): string | null =>
    agentId === null ? null : agentId === identity.agentId ? network.address : directory?.addressOf(agentId) ?? null;

  // ---- peers: candidates for load spreading, script fallbacks, who may answer PXE -------------
  const refreshPeers = () => {
    const now = clock.nowMs();
    const view = election?.view();
    const next: ServingCandidate[] = [{
      agentId: identity.agentId, address: network.address, isSelf: true, readyPackages: packages.readyIds(),
      load: (tftp?.activeSessions().length ?? 0) + loadBook.count(identity.agentId, now),
    }];
    for (const p of view?.peers ?? []) {
      if (!p.alive || !p.eligible) continue;
      const address = directory?.addressOf(p.agentId);
      if (!address) continue;
      next.push({ agentId: p.agentId, address, isSelf: false, readyPackages: p.readyPackages, load: loadBook.count(p.agentId, now) });
    }
    candidates = next;
    const activeAddress = addressOfAgent(view?.active ?? null);
    if (activeAddress) recentlyElected.set(activeAddress, now);
    for (const [addr, at] of recentlyElected) if (now - at > 5000) recentlyElected.delete(addr);
    refreshScripts();
  };

  // Distribution progress reaches the server every few seconds while chunks arrive (the status
  // report carries chunksHeld per package), not only at the status interval.
  let progressReported = { held: -1, atMs: 0 };
  const reportProgress = () => {
    const held = packages.readiness().reduce((n, p) => n + (p.chunksHeld ?? 0), 0);
    const now = clock.nowMs();
    if (held !== progressReported.held && now - progressReported.atMs >= 5000) {
      progressReported = { held, atMs: now };
      status.nudge();
    }
  };

  let tick: TimerHandle | null = null;
  const maintenance = () => {
    tick = null;
    if (stopped) return;
    try {
      refreshPeers();
      reportProgress();
      // Weight and eligibility may have changed (boot servers failed, policy role): the election
      // reads self() every step, so nothing to push; the responder follows the role callback.
      reconcile();
    } finally {
      tick = clock.setTimer(1000, maintenance);
    }
  };

  // ---- status ---------------------------------------------------------------------------------
  const buildStatus = (): AgentStatusReport => ({
    hostname: deps.hostname, version: agentVersion, interfaces: deps.interfaces(),
    ...(Object.keys(config.labels).length ? { labels: config.labels } : {}),
    policyEtag: held?.etag ?? null, serving: pxe !== null, packages: packages.readiness(), agentPublicKey: key.publicKey,
  });
  const onStatus = (r: AgentStatusResult) => {
    if (r.agentCertificate && r.agentCertificate !== certificate) {
      certificate = r.agentCertificate;
      packages.setCertificate(certificate);
      try {
        saveCertificate(paths.certificate, certificate);
      } catch (err) {
        log.error('cannot store the agent certificate', { error: (err as Error).message });
      }
      reconcile();
    }
    if (held && r.role !== held.policy.role) {
      // The server sees a different role than our policy says: fetch the newest policy now.
      void policySync.pollNow();
    }
  };
  const status = new StatusReporter({
    send: (body) => client.call('agentStatus', { body }), build: buildStatus, onResult: onStatus,
    clock, intervalMs: config.statusIntervalMs, logger: deps.logger, counters,
  });

  // ---- policy ---------------------------------------------------------------------------------
  const policySync = new PolicySync({
    client, publicKey: identity.policyPublicKey, cachePath: paths.policyCache, clock, logger: deps.logger, counters,
    pollIntervalMs: config.policyPollIntervalMs,
    onPolicy: (h) => {
      held = h;
      packages.setWanPolicy(policyWan(h.policy));
      packages.setWanted(h.policy.role === 'responder' ? h.policy.packages : []);
      recompile();
      status.nudge();
      reconcile();
    },
  });

  // ---- start ------------------------------------------------------------------------------------
  log.info('agent starting', {
    agentId: identity.agentId, server: identity.serverUrl, interface: network.name, address: network.address, subnet: network.subnet,
    deviceClass: deps.deviceClass, dataDir: paths.dataDir,
  });
  recompile();
  policySync.start();
  status.start();
  if (config.rogueDetection) {
    try {
      rogue = await startRogueListener({
        clock, logger: deps.logger, counters,
        expected: () => {
          // Judge only once the election has heard the LAN for a while: a fresh agent knows no peer yet.
          if (!election || electionStartedAt === null || clock.nowMs() - electionStartedAt < 5000) return null;
          const view = election.view();
          const elected = new Set(recentlyElected.keys());
          const active = addressOfAgent(view.active);
          if (active) elected.add(active);
          // The standby's shadow answers what the active leaves unanswered.
          const standby = addressOfAgent(view.standby);
          if (standby) elected.add(standby);
          return {
            elected,
            peerboot: new Map([[network.address, identity.agentId], ...(directory?.all().map((p) => [p.address, p.agentId] as [string, string]) ?? [])]),
          };
        },
        onFinding: (f) => report({ kind: f.kind, mac: f.clientMac, reason: f.reason.slice(0, 255) }),
      });
    } catch (err) {
      log.warn(`rogue responder watch disabled: cannot listen on UDP 68 (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  reconcile();
  maintenance();

  return {
    agentId: identity.agentId,
    snapshot: () => {
      const view = election?.view();
      return {
        agentId: identity.agentId, policySerial: held?.policy.serial ?? null, policyRole: held?.policy.role ?? null,
        electionRole, active: view?.active ?? null, standby: view?.standby ?? null,
        bootServers: tftp !== null, pxeServing: pxe !== null, readyPackages: packages.readyIds(),
      };
    },
    async stop(options = {}) {
      if (stopped) return;
      stopped = true;
      tick?.cancel();
      policySync.stop();
      status.stop();
      await reconciling;
      await packages.stop();
      await Promise.allSettled([pxe?.close(), shadow?.close()]);
      pxe = null;
      shadow = null;
      await election?.close({ leave: options.leave ?? true }).catch(() => {});
      await Promise.allSettled([tftp?.close(), http?.close(), rogue?.close()]);
      await Promise.race([events.flush(), sleep(clock, 1000)]);
      events.stop();
      log.info('agent stopped');
    },
  };
}
