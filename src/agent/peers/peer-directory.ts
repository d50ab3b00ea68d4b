/**
 * Where the other agents of this LAN are: agent id → IPv4 address, learned from the election
 * announcements they broadcast (UDP 4015). The election itself tracks roles but not addresses;
 * load spreading (pointing a client at another peer), the fallback list of the iPXE scripts and
 * rogue detection (is this offer from the elected responder?) need them.
 *
 * An address is recorded only from an announcement that decodes, carries a certificate signed by
 * our server for our site and this agent, verifies with the certified key, and is newer (by
 * incarnation and sequence) than the last one recorded — a replayed genuine packet from another
 * address cannot move an agent.
 */
import { verify, type KeyObject } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import { decodeAnnouncement } from '../../protocol/peer/announcement.js';
import { verifyAgentCertificate } from './peer-crypto.js';
import { prefixContains } from '../../protocol/ipv4.js';

export interface PeerRecord {
  agentId: string;
  address: string;
  incarnation: string;
  seq: number;
  timestampMs: number;
  /** Monotonic time (Clock) of the last accepted announcement. */
  lastSeenMs: number;
  readyPackages: string[];
}

export interface PeerDirectoryOptions {
  serverKeys: readonly KeyObject[];
  siteId: string;
  selfAgentId: string;
  clock: Clock;
  wallClock: () => number;
  counters?: Counters;
  /** Bound on remembered agents. */
  maxPeers?: number;
  /**
   * This agent's LAN ("a.b.c.d/len"). When set, a datagram from outside it, or announcing another
   * subnet, is refused before any certificate or signature work (cheap checks first: security
   * review M3, the signature-verification flood).
   */
  subnet?: string;
}

export class PeerDirectory {
  readonly #o: PeerDirectoryOptions & { counters: Counters; maxPeers: number };
  readonly #peers = new Map<string, PeerRecord>();
  /** Certificates already verified against the server key, by their bytes (base64) → agent key. */
  readonly #certs = new Map<string, { agentId: string; key: KeyObject; notAfterMs: number } | null>();

  constructor(options: PeerDirectoryOptions) {
    this.#o = { counters: new Counters(), maxPeers: 512, ...options };
  }

  /** Feeds one received election datagram. Never throws. */
  observe(bytes: Uint8Array, from: { address: string }): void {
    const decoded = decodeAnnouncement(bytes);
    if (!decoded.ok) return;
    const { announcement: a, certificate, signedBytes, signature } = decoded.packet;
    if (a.agentId === this.#o.selfAgentId || a.siteId !== this.#o.siteId) return;
    const lan = this.#o.subnet;
    if (lan !== undefined && (a.subnet !== lan || !prefixContains(lan, from.address))) {
      this.#o.counters.increment('peers_refused_total');
      return;
    }
    const certKey = Buffer.from(certificate).toString('base64');
    let cert = this.#certs.get(certKey);
    if (cert === undefined) {
      const check = verifyAgentCertificate(certificate, this.#o.serverKeys, this.#o.siteId, -Infinity);
      cert = check.ok ? { agentId: check.certificate.agentId, key: check.agentKey, notAfterMs: check.certificate.notAfterMs } : null;
      if (this.#certs.size >= 1024) this.#certs.clear();
      this.#certs.set(certKey, cert);
    }
    if (!cert || cert.agentId !== a.agentId || this.#o.wallClock() >= cert.notAfterMs) {
      this.#o.counters.increment('peers_refused_total');
      return;
    }
    if (!verify(null, signedBytes, cert.key, signature)) {
      this.#o.counters.increment('peers_refused_total');
      return;
    }
    const prev = this.#peers.get(a.agentId);
    if (prev) {
      const newer = a.incarnation === prev.incarnation ? a.seq > prev.seq : a.timestampMs > prev.timestampMs;
      if (!newer) return;
    } else if (this.#peers.size >= this.#o.maxPeers) {
      return;
    }
    if (prev && prev.address !== from.address) this.#o.counters.increment('peers_moved_total');
    this.#peers.set(a.agentId, {
      agentId: a.agentId, address: from.address, incarnation: a.incarnation, seq: a.seq, timestampMs: a.timestampMs,
      lastSeenMs: this.#o.clock.nowMs(), readyPackages: [...a.readyPackages],
    });
  }

  addressOf(agentId: string): string | null {
    return this.#peers.get(agentId)?.address ?? null;
  }

  /** The agent last seen at `address`, if any. */
  agentAt(address: string): string | null {
    let best: PeerRecord | null = null;
    for (const p of this.#peers.values()) if (p.address === address && (!best || p.lastSeenMs > best.lastSeenMs)) best = p;
    return best?.agentId ?? null;
  }

  get(agentId: string): PeerRecord | null {
    return this.#peers.get(agentId) ?? null;
  }

  all(): PeerRecord[] {
    return [...this.#peers.values()];
  }
}
