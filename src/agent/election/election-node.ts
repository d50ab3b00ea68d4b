/**
 * The election's I/O shell: a UDP socket on port 4015 of one interface, Ed25519 signing and
 * verification, replay protection, timers. Every decision is in ./election.ts; this file turns its
 * effects into packets and callbacks (docs/election.md).
 *
 * Receive path, cheapest check first; every refusal is counted (`election_dropped_total{reason}`) and
 * logged at debug, never thrown:
 *   source address in our subnet (other-subnet) → decode (malformed | unsigned | unsupported-version)
 *   → own echo → announced subnet is ours (foreign-subnet) → certificate signed by our
 *   server (foreign-certificate), for our site (foreign-site), not expired (expired-certificate) →
 *   announcement names the certificate's agent (identity-mismatch) → agent signature
 *   (bad-signature) → replay guard (stale-timestamp | future-timestamp | replayed | stale-incarnation)
 *   → election.onAnnouncement.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { openBroadcastSocket } from '../../platform/broadcast-socket.js';
import { systemClock, type Clock, type TimerHandle } from '../../platform/clock.js';
import { datagramDropper } from '../../platform/datagram-drop.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { Counters } from '../../platform/counters.js';
import { findInterfaceIpv4 } from '../../platform/network-interfaces.js';
import { directedBroadcast, networkOf, prefixContains } from '../../protocol/ipv4.js';
import { decodeAnnouncement, type Announcement } from '../../protocol/peer/announcement.js';
import { decodeAgentCertificate } from '../../protocol/peer/agent-certificate.js';
import { WireFormatError, toHex } from '../../protocol/peer/wire-bytes.js';
import {
  DEFAULT_ELECTION_CONFIG, electionView, initElection, leaveElection, nextWakeAtMs, onAnnouncement, onTick,
  type ElectionConfig, type ElectionState, type ElectionView, type Role, type SelfInfo, type Step, type StepInput,
} from './election.js';
import { rawPublicKey, toPrivateKey, toPublicKey, type Ed25519PrivateKeyInput, type Ed25519PublicKeyInput } from '../../platform/crypto/ed25519-keys.js';
import { CertificateCache, SignatureCache, signAnnouncement, verifyAgentCertificate } from '../peers/peer-crypto.js';
import { ReplayGuard, type ReplayGuardConfig } from './replay-guard.js';

/** The election's UDP port (unassigned by IANA next to nothing PXE uses; docs/election.md). */
export const ELECTION_PORT = 4015;

/** A broadcast-only datagram transport: real (dgram) or simulated (src/testkit/simulated-lan.ts). */
export interface ElectionTransport {
  /** Broadcast `bytes` to the domain (delivery to ourselves is allowed: own echoes are dropped). */
  send(bytes: Uint8Array): void;
  onMessage(handler: (bytes: Uint8Array, from: { address: string; port: number }) => void): void;
  close(): void | Promise<void>;
}

export interface ElectionIdentityOptions {
  agentId: string;
  privateKey: Ed25519PrivateKeyInput;
  /** Optional: checked against the private key and the certificate when given. */
  publicKey?: Ed25519PublicKeyInput;
  /** The server-issued agent certificate bytes (src/protocol/peer/agent-certificate.ts). */
  certificate: Uint8Array;
}

export interface ElectionNodeOptions {
  /** Interface to run on (its first IPv4 address, subnet and directed broadcast are used)… */
  interfaceName?: string;
  /** …or an explicit address (+ broadcast address, default the subnet's directed broadcast; subnet looked up if absent). */
  address?: string;
  broadcastAddress?: string;
  subnet?: string;
  port?: number;
  identity: ElectionIdentityOptions;
  /** The control plane's Ed25519 public key(s) (several during a key rotation). */
  serverPublicKey: Ed25519PublicKeyInput | readonly Ed25519PublicKeyInput[];
  self: () => SelfInfo;
  requiredPackages: () => readonly string[];
  clock?: Clock;
  /** Wall clock (Unix ms) for timestamps; Date.now by default. */
  wallClock?: () => number;
  logger?: Logger;
  counters?: Counters;
  onRoleChange?: (role: Role, view: ElectionView) => void;
  /** Use this transport instead of opening a UDP socket (simulations, tests). */
  transport?: ElectionTransport;
  config?: Partial<ElectionConfig>;
  replay?: Partial<ReplayGuardConfig>;
  /** 16 hex digits; random by default. */
  incarnation?: string;
  /** Shared signature memo (simulations); a private verification-only one by default. */
  signatureCache?: SignatureCache;
}

export interface ElectionNode {
  role(): Role;
  view(): ElectionView;
  /** Stops the node. By default it first announces `leaving` so peers fail over at once; `{ leave: false }` stops silently (as a crash would). */
  close(options?: { leave?: boolean }): Promise<void>;
}

/** A configuration problem at start: the message names the fix. */
export class ElectionSetupError extends Error {
  constructor(message: string, readonly code: 'PEERBOOT_ERR_ELECTION_IDENTITY' | 'PEERBOOT_ERR_ELECTION_NETWORK') {
    super(message);
    this.name = 'ElectionSetupError';
  }
}

interface NetworkPlacement {
  address: string;
  broadcastAddress: string;
  subnet: string;
}

/** Starts announcing and electing; resolves once the socket is bound. */
export async function startElectionNode(options: ElectionNodeOptions): Promise<ElectionNode> {
  const clock = options.clock ?? systemClock;
  const wallClock = options.wallClock ?? Date.now;
  const counters = options.counters ?? new Counters();
  const config: ElectionConfig = { ...DEFAULT_ELECTION_CONFIG, ...options.config };
  const serverKeys = (Array.isArray(options.serverPublicKey) ? options.serverPublicKey : [options.serverPublicKey]).map((k: Ed25519PublicKeyInput) => toPublicKey(k));
  const identity = checkIdentity(options.identity, serverKeys, wallClock());
  const placement = resolvePlacement(options);
  const logger = (options.logger ?? silentLogger).child({ component: 'election', agentId: identity.agentId });
  const port = options.port ?? ELECTION_PORT;
  const certificates = new CertificateCache();
  const signatures = options.signatureCache ?? new SignatureCache();
  const replay = new ReplayGuard(options.replay);
  const transport = options.transport ?? (await openUdpTransport(placement, port, (error) => {
    counters.increment('election_send_errors_total');
    logger.warn('announcement send failed', { error: error.message });
  }));
  const incarnation = options.incarnation ?? randomBytes(8).toString('hex');
  const warnedSkew = new Set<string>();
  let lastSelf: SelfInfo = { weight: 0, deviceClass: 'unknown', readyPackages: [] };
  let closed = false;
  let timer: TimerHandle | null = null;

  const input = (): StepInput => {
    try {
      lastSelf = options.self();
    } catch (error) {
      logger.error('self() failed; keeping the last self description', { error: (error as Error).message });
    }
    let requiredPackages: readonly string[] = [];
    try {
      requiredPackages = options.requiredPackages();
    } catch (error) {
      logger.error('requiredPackages() failed; treating as none required', { error: (error as Error).message });
    }
    return { nowMs: clock.nowMs(), wallMs: wallClock(), self: lastSelf, requiredPackages };
  };

  const send = (a: Announcement) => {
    let announcement = a;
    for (;;) {
      try {
        transport.send(signAnnouncement(announcement, identity.certificate, identity.privateKey, signatures, identity.keyId));
        counters.increment('election_sent_total');
        return;
      } catch (error) {
        if (error instanceof WireFormatError && announcement.readyPackages.length > 0 && /more than/.test(error.reason)) {
          // Too big for one frame: announce fewer ready packages (the eligible flag still says it all).
          announcement = { ...announcement, readyPackages: announcement.readyPackages.slice(0, -1) };
          counters.increment('election_ready_packages_trimmed_total');
          continue;
        }
        counters.increment('election_send_errors_total');
        logger.warn('announcement not sent', { error: (error as Error).message });
        return;
      }
    }
  };

  let state: ElectionState;
  const apply = (step: Step) => {
    state = step.state;
    if (step.ignored) counters.increment('election_dropped_total', { reason: step.ignored });
    for (const effect of step.effects) {
      if (effect.kind === 'broadcast') {
        send(effect.announcement);
      } else {
        counters.increment('election_role_changes_total', { role: effect.to });
        logger.info('election role changed', { from: effect.from, to: effect.to, reason: effect.reason, active: effect.view.active, standby: effect.view.standby });
        try {
          options.onRoleChange?.(effect.to, effect.view);
        } catch (error) {
          logger.error('onRoleChange handler threw', { error: (error as Error).message });
        }
      }
    }
    schedule();
  };

  const schedule = () => {
    timer?.cancel();
    timer = null;
    if (closed) return;
    const nowMs = clock.nowMs();
    timer = clock.setTimer(nextWakeAtMs(state, nowMs, config) - nowMs, () => {
      timer = null;
      if (!closed) apply(onTick(state, input(), config));
    });
  };

  const dropped = datagramDropper({ counters, logger, counter: 'election_dropped_total', message: 'election message dropped' });
  const drop = (reason: string, from: { address: string }, detail: string, agentId?: string) => dropped(reason, { reason, from: from.address, agentId, detail });

  const receive = (bytes: Uint8Array, from: { address: string; port: number }) => {
    if (closed) return;
    counters.increment('election_received_total');
    if (!prefixContains(placement.subnet, from.address)) {
      drop('other-subnet', from, `${from.address} is outside ${placement.subnet}`);
      return;
    }
    const decoded = decodeAnnouncement(bytes);
    if (!decoded.ok) { drop(decoded.kind, from, decoded.reason); return; }
    const { announcement: a, certificate, signedBytes, signature } = decoded.packet;
    if (a.agentId === identity.agentId && a.incarnation === state.incarnation) { counters.increment('election_own_total'); return; }
    if (a.subnet !== placement.subnet) {
      // One election per IP subnet: a (signed) subnet other than ours means a relayed or misplaced packet.
      drop('foreign-subnet', from, `sender is on ${a.subnet}, we are on ${placement.subnet}`, a.agentId);
      return;
    }
    const nowWallMs = wallClock();
    const cert = certificates.check(certificate, serverKeys, identity.siteId, nowWallMs);
    if (!cert.ok) { drop(cert.reason, from, cert.detail, a.agentId); return; }
    if (cert.certificate.agentId !== a.agentId || cert.certificate.siteId !== a.siteId) {
      drop('identity-mismatch', from, `announcement says ${a.agentId}@${a.siteId}, certificate is for ${cert.certificate.agentId}@${cert.certificate.siteId}`, a.agentId);
      return;
    }
    if (!signatures.verify(signedBytes, signature, cert.agentKey, toHex(cert.certificate.publicKey))) {
      drop('bad-signature', from, 'signature does not verify with the certified key', a.agentId);
      return;
    }
    if (a.agentId === identity.agentId) {
      // Validly signed by our own key but another incarnation: a second process or a cloned machine.
      drop('duplicate-agent-id', from, `incarnation ${a.incarnation} also uses our agent id`, a.agentId);
      if (!warnedSkew.has(`dup:${a.incarnation}`)) {
        warnedSkew.add(`dup:${a.incarnation}`);
        logger.warn(`another process at ${from.address} announces with this agent's id and key; stop it or re-enroll one of the two machines`);
      }
      return;
    }
    const verdict = replay.check(a, nowWallMs, clock.nowMs());
    if (!verdict.accept) {
      drop(verdict.reason, from, verdict.detail, a.agentId);
      if ((verdict.reason === 'stale-timestamp' || verdict.reason === 'future-timestamp') && !warnedSkew.has(a.agentId)) {
        warnedSkew.add(a.agentId);
        logger.warn(`ignoring ${a.agentId} (${from.address}): ${verdict.detail}; fix time synchronisation (NTP) on one of the two machines`);
      }
      return;
    }
    counters.increment('election_accepted_total');
    apply(onAnnouncement(state, a, input(), config));
  };

  transport.onMessage((bytes, from) => {
    try {
      receive(bytes, from);
    } catch (error) {
      counters.increment('election_dropped_total', { reason: 'internal-error' });
      logger.error('election receive failed', { error: (error as Error).message });
    }
  });

  logger.info('election started', {
    incarnation, subnet: placement.subnet, broadcast: placement.broadcastAddress, port,
    certificateNotAfter: new Date(identity.notAfterMs).toISOString(),
  });
  apply(initElection({ agentId: identity.agentId, siteId: identity.siteId, subnet: placement.subnet, incarnation }, input(), config));

  return {
    role: () => state.role,
    view: () => electionView(state, input(), config),
    async close(closeOptions = {}) {
      if (closed) return;
      if (closeOptions.leave ?? true) apply(leaveElection(state, input(), config));
      closed = true;
      timer?.cancel();
      timer = null;
      await transport.close();
    },
  };
}

interface CheckedIdentity {
  agentId: string;
  siteId: string;
  notAfterMs: number;
  privateKey: KeyObject;
  /** Hex of the raw public key. */
  keyId: string;
  certificate: Uint8Array;
}

function checkIdentity(identity: ElectionIdentityOptions, serverKeys: readonly KeyObject[], nowWallMs: number): CheckedIdentity {
  const fail = (message: string) => new ElectionSetupError(message, 'PEERBOOT_ERR_ELECTION_IDENTITY');
  let privateKey: KeyObject;
  try {
    privateKey = toPrivateKey(identity.privateKey);
  } catch (error) {
    throw fail(`agent key unusable: ${(error as Error).message}; re-enroll the agent`);
  }
  const decoded = decodeAgentCertificate(identity.certificate);
  if (!decoded.ok) throw fail(`agent certificate unreadable (${decoded.reason}); re-enroll the agent`);
  const check = verifyAgentCertificate(identity.certificate, serverKeys, null, nowWallMs);
  if (!check.ok) throw fail(`agent certificate refused: ${check.detail}; re-enroll the agent to get a fresh certificate`);
  const cert = check.certificate;
  if (cert.agentId !== identity.agentId) throw fail(`agent certificate is for ${cert.agentId}, this agent is ${identity.agentId}; re-enroll the agent`);
  const own = rawPublicKey(privateKey);
  if (!own.every((b, i) => b === cert.publicKey[i])) throw fail('agent certificate names another public key than this agent\'s private key; re-enroll the agent');
  if (identity.publicKey !== undefined && !rawPublicKey(identity.publicKey).every((b, i) => b === own[i])) {
    throw fail('identity.publicKey does not belong to identity.privateKey; re-enroll the agent');
  }
  return { agentId: cert.agentId, siteId: cert.siteId, notAfterMs: cert.notAfterMs, privateKey, keyId: toHex(own), certificate: identity.certificate };
}

function resolvePlacement(options: ElectionNodeOptions): NetworkPlacement {
  const fail = (message: string) => new ElectionSetupError(message, 'PEERBOOT_ERR_ELECTION_NETWORK');
  if (options.interfaceName) {
    const iface = findInterfaceIpv4(options.interfaceName);
    return { address: iface.address, subnet: options.subnet ?? iface.subnet, broadcastAddress: options.broadcastAddress ?? directedBroadcast(iface.subnet) };
  }
  if (!options.address) throw fail('the election needs --interface NAME (or an address, broadcast address and subnet) to know which LAN to elect on');
  let subnet = options.subnet;
  if (!subnet) {
    for (const entries of Object.values(networkInterfaces())) {
      const hit = entries?.find((e) => e.family === 'IPv4' && e.address === options.address);
      if (hit?.cidr) subnet = networkOf(hit.cidr) ?? undefined;
    }
  }
  if (!subnet) throw fail(`no interface holds ${options.address}; pass the subnet (a.b.c.d/len) it belongs to`);
  const network = networkOf(subnet);
  if (!network) throw fail(`subnet '${subnet}' is not a.b.c.d/len; pass the subnet ${options.address} belongs to`);
  return { address: options.address, subnet: network, broadcastAddress: options.broadcastAddress ?? directedBroadcast(network) };
}

/** The real transport: the agent's LAN broadcast socket (src/platform/broadcast-socket.ts). */
async function openUdpTransport(placement: NetworkPlacement, port: number, onSendError: (error: Error) => void): Promise<ElectionTransport> {
  // A bind failure carries the port's own registry code (in use, privilege, …): platform/bind-failure.ts.
  return openBroadcastSocket({
    port, broadcastAddress: placement.broadcastAddress, onSendError, purpose: 'the election',
    whenInUse: 'free the port or choose another with --election-port (the same on every agent)',
  });
}
