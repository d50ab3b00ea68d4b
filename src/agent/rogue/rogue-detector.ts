/**
 * Duplicate and rogue PXE responder detection (a second answering server makes firmware race
 * between offers or boot from the wrong one, so the admin must hear of it). Every agent listens to
 * the DHCP replies broadcast on its LAN (UDP 68) and judges each PXE one: an OFFER/ACK whose option
 * 60 is `PXEClient` or `HTTPClient` (docs/protocol-notes.md, "Fields of a proxy offer"). It is
 * expected only from the elected peerboot responder. Anything else is a finding:
 *   - another peerboot agent answering (two actives: a split election)      → duplicateResponder
 *   - a proxyDHCP (yiaddr 0) that is not ours (dnsmasq, pixiecore, WDS…)     → rogueResponder
 *   - a DHCP server whose own offer carries PXEClient: EDK2 then prefers it
 *     over any proxy (DhcpPxe10/DhcpBinl beat ProxyBinl; docs/protocol-notes.md,
 *     "How firmware chooses between offers")                                 → rogueResponder
 * WDS is named when the reply looks like it (option 252 BCD path, wdsnbp/pxeboot/bootmgfw NBP).
 * Limit: only broadcast replies are seen; a server that unicasts its offer (BROADCAST flag clear)
 * or port-4011 ACKs are not visible without a raw socket. Pure, plus a small dedupe book.
 */
import { DhcpMessageType, DhcpOptionCode, getMessageType, getServerIdentifier, getStringOption } from '../../protocol/dhcp/options.js';
import { BOOTREPLY, type DhcpPacket } from '../../protocol/dhcp/packet.js';

export interface RogueFinding {
  kind: 'rogueResponder' | 'duplicateResponder';
  /** The responder's address: option 54, else siaddr, else the packet's source. */
  responder: string;
  /** One line for the alert. */
  reason: string;
  /** The client the reply was for (chaddr). */
  clientMac: string;
}

export interface ExpectedResponders {
  /** Addresses allowed to send PXE replies now: the elected responder (and, briefly, the previous one). */
  elected: ReadonlySet<string>;
  /** Every peerboot agent we know on this LAN: address → agent id. */
  peerboot: ReadonlyMap<string, string>;
}

const ZERO = '0.0.0.0';

function macOf(p: DhcpPacket): string {
  return [...p.clientHardwareAddr.subarray(0, Math.min(6, p.hlen || 6))].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function looksLikeWds(p: DhcpPacket): boolean {
  if (p.options.has(252)) return true;
  const file = (getStringOption(p, DhcpOptionCode.bootFileName) ?? p.bootFile ?? '').toLowerCase();
  return /wdsnbp|pxeboot\.(n12|com)|bootmgfw\.efi|\\boot\\/.test(file);
}

/** Judges one received packet; null when it is not a PXE reply or comes from the elected responder. */
export function judgePxeReply(p: DhcpPacket, source: string, expected: ExpectedResponders): RogueFinding | null {
  if (p.op !== BOOTREPLY) return null;
  const type = getMessageType(p);
  if (type !== DhcpMessageType.offer && type !== DhcpMessageType.ack) return null;
  let vendor: string | undefined;
  try {
    vendor = getStringOption(p, DhcpOptionCode.vendorClassIdentifier);
  } catch {
    return null;
  }
  if (!vendor || !(vendor.startsWith('PXEClient') || vendor.startsWith('HTTPClient'))) return null;
  let serverId: string | undefined;
  try {
    serverId = getServerIdentifier(p);
  } catch {
    serverId = undefined;
  }
  const responder = serverId ?? (p.serverAddr !== ZERO ? p.serverAddr : source);
  if (expected.elected.has(responder) || expected.elected.has(source)) return null;
  const clientMac = macOf(p);
  const file = p.bootFile ? ` offering ${JSON.stringify(p.bootFile.slice(0, 64))}` : '';
  const peer = expected.peerboot.get(responder) ?? expected.peerboot.get(source);
  if (peer) {
    return { kind: 'duplicateResponder', responder, clientMac, reason: `peerboot agent ${peer} (${responder}) answers PXE although it is not the elected responder${file}` };
  }
  const what = p.yourAddr !== ZERO
    ? `DHCP server ${responder} sends PXEClient in its own offers (firmware prefers it over any proxy)`
    : `proxyDHCP ${responder} answers PXE clients`;
  return { kind: 'rogueResponder', responder, clientMac, reason: `${what}${looksLikeWds(p) ? ' (looks like WDS)' : ''}${file}; it is not the elected peerboot responder` };
}

/**
 * Reports each (responder, kind) at most once per `quietMs`. A duplicate peerboot responder must
 * be seen twice, at least `confirmMs` apart (within `quietMs`), before it is reported: during a
 * failover the old and the new active may both answer for a moment, which is not a split election.
 */
export class FindingBook {
  readonly #last = new Map<string, number>();
  readonly #firstSeen = new Map<string, number>();
  constructor(readonly quietMs = 10 * 60_000, readonly confirmMs = 3000, readonly maxEntries = 256) {}

  shouldReport(f: RogueFinding, nowMs: number): boolean {
    const key = `${f.kind}|${f.responder}`;
    const last = this.#last.get(key);
    if (last !== undefined && nowMs - last < this.quietMs) return false;
    if (f.kind === 'duplicateResponder') {
      const first = this.#firstSeen.get(key);
      if (first === undefined || nowMs - first > this.quietMs) {
        if (this.#firstSeen.size >= this.maxEntries) this.#firstSeen.clear();
        this.#firstSeen.set(key, nowMs);
        return false;
      }
      if (nowMs - first < this.confirmMs) return false;
    }
    if (this.#last.size >= this.maxEntries) this.#last.clear();
    this.#last.set(key, nowMs);
    this.#firstSeen.delete(key);
    return true;
  }
}
