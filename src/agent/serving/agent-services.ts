/**
 * The agent's supervised services (supervisor.ts), in start order: election membership, the boot
 * servers (TFTP + HTTP on the interface's address), the proxyDHCP responder and the standby's
 * shadow. Each is the I/O shell around a part that lives elsewhere; this file only says how to
 * start and stop it, what it needs first, and what a failure costs.
 */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Counters } from '../../platform/counters.js';
import type { Logger } from '../../platform/logger.js';
import { directedBroadcast } from '../../protocol/ipv4.js';
import type { InterfaceIpv4 } from '../../platform/network-interfaces.js';
import type { AgentConfig } from '../config/agent-config.js';
import { startElectionNode, type ElectionNode, type ElectionTransport } from '../election/election-node.js';
import type { ElectionView, Role } from '../election/election.js';
import type { SelfInfo } from '../election/election.js';
import type { BootEventSink } from '../events/boot-event.js';
import type { BootRoot } from '../files/boot-root.js';
import { startHttpBootServer, type HttpBootServerHandle } from '../http/http-boot-server.js';
import { certificateFacts } from '../identity/certificate-renewal.js';
import { PeerDirectory } from '../peers/peer-directory.js';
import { openPeerTransport } from '../peers/peer-transport.js';
import type { ProxyDhcpConfig } from '../pxe/proxy-dhcp.js';
import { startPxeResponder, type PxeResponderHandle } from '../pxe/pxe-responder.js';
import { startShadowResponder, type ShadowResponderHandle } from '../pxe/shadow-responder.js';
import { startTftpServer, type TftpServerHandle } from '../tftp/tftp-server.js';
import type { ServiceDefinition } from './supervisor.js';

export interface BootServers { tftp: TftpServerHandle; http: HttpBootServerHandle | null }
export interface ElectionMembership { node: ElectionNode; directory: PeerDirectory; startedAtMs: number }

export interface AgentServiceContext {
  config: AgentConfig;
  network: InterfaceIpv4;
  bootRoot: BootRoot;
  pxeConfig: ProxyDhcpConfig;
  identity: { agentId: string; privateKeyPem: string };
  /** The control plane's public key: peers' certificates must carry its signature. */
  serverKey: KeyObject;
  /** What the election announces about this agent, read at every step. */
  self: () => SelfInfo;
  requiredPackages: () => readonly string[];
  onRoleChange: (role: Role, view: ElectionView) => void;
  /** The election stopped (its role is gone until it runs again). */
  onElectionStopped: () => void;
  /** Does stopping the election announce `leaving` (peers take over at once) or stop silently? */
  leaveOnStop: () => boolean;
  /** Election transport override (tests); it must pass every received datagram to `tap` too. */
  electionTransport?: (tap: (bytes: Uint8Array, from: { address: string; port: number }) => void) => Promise<ElectionTransport>;
  events: BootEventSink;
  logger: Logger;
  counters: Counters;
  clock: Clock;
  wallClock: () => number;
}

/** The four services, in start order (stops run in reverse). */
export function agentServices(c: AgentServiceContext): ServiceDefinition<never, never>[] {
  const log = c.logger.child({ component: 'agent' });
  const { config, network } = c;

  const election: ServiceDefinition<string, ElectionMembership> = {
    name: 'election',
    consequence: 'this agent stays out of its LAN election',
    configKey: (certificate) => certificate,
    async start(certificate) {
      const facts = certificateFacts(certificate)!;
      const directory = new PeerDirectory({ serverKeys: [c.serverKey], siteId: facts.siteId, selfAgentId: c.identity.agentId, subnet: network.subnet, clock: c.clock, wallClock: c.wallClock, counters: c.counters });
      const tap = (bytes: Uint8Array, from: { address: string; port: number }) => directory.observe(bytes, from);
      const transport = c.electionTransport
        ? await c.electionTransport(tap)
        : await openPeerTransport({
          port: config.electionPort, broadcastAddress: directedBroadcast(network.subnet), tap,
          onSendError: (e) => { c.counters.increment('election_send_errors_total'); log.debug('announcement send failed', { error: e.message }); },
        });
      const node = await startElectionNode({
        address: network.address, subnet: network.subnet, port: config.electionPort,
        identity: { agentId: c.identity.agentId, privateKey: c.identity.privateKeyPem, certificate: new Uint8Array(Buffer.from(certificate, 'base64url')) },
        serverPublicKey: c.serverKey, self: c.self, requiredPackages: c.requiredPackages,
        clock: c.clock, wallClock: c.wallClock, logger: c.logger, counters: c.counters, onRoleChange: c.onRoleChange, transport,
      });
      log.info('election running', { siteId: facts.siteId, subnet: network.subnet, weight: c.self().weight });
      return { node, directory, startedAtMs: c.clock.nowMs() };
    },
    async stop(m, why) {
      if (why === 'reconfigure') log.info('restarting the election with a new certificate');
      c.onElectionStopped();
      await m.node.close({ leave: why !== 'shutdown' || c.leaveOnStop() });
    },
  };

  const bootServers: ServiceDefinition<true, BootServers> = {
    name: 'bootServers',
    consequence: 'this agent will not serve (weight 0)',
    async start() {
      const tftp = await startTftpServer({ root: c.bootRoot, address: network.address, port: config.tftpPort, logger: c.logger, events: c.events, counters: c.counters });
      let http: HttpBootServerHandle | null = null;
      try {
        if (config.httpPort !== null) http = await startHttpBootServer({ root: c.bootRoot, address: network.address, port: config.httpPort, logger: c.logger, events: c.events, counters: c.counters });
      } catch (err) {
        await tftp.close();
        throw err;
      }
      log.info('boot servers up', { address: network.address, tftpPort: config.tftpPort, httpPort: config.httpPort });
      return { tftp, http };
    },
    async stop(s) {
      await Promise.allSettled([s.tftp.close(), s.http?.close()]);
      log.info('boot servers stopped');
    },
  };

  const pxe: ServiceDefinition<true, PxeResponderHandle> = {
    name: 'pxe',
    requires: ['bootServers'],
    consequence: 'giving up the active role (weight 0)',
    start: () => startPxeResponder({ interfaceName: network.name, config: c.pxeConfig, logger: c.logger, events: c.events, counters: c.counters, clock: c.clock, replyDelayMs: config.replyDelayMs }),
    async stop(p) {
      await p.close();
      log.info('proxyDHCP responder stopped');
    },
  };

  // The standby's shadow never affects the weight: failing to bind only costs the failover cover.
  const shadow: ServiceDefinition<true, ShadowResponderHandle> = {
    name: 'shadow',
    requires: ['bootServers'],
    consequence: 'no failover cover for BIOS ROMs while standby',
    start: () => startShadowResponder({ interfaceName: network.name, config: c.pxeConfig, logger: c.logger, events: c.events, counters: c.counters, clock: c.clock }),
    async stop(s) {
      await s.close();
      log.info('pxe shadow stopped');
    },
  };

  return [election, bootServers, pxe, shadow] as ServiceDefinition<never, never>[];
}
