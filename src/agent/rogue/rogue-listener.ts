/**
 * The socket side of rogue detection: a UDP socket on 0.0.0.0:68 with SO_REUSEADDR, which on Linux
 * receives a copy of every broadcast to port 68 (the replies of DHCP and proxyDHCP servers to
 * clients that have no address yet). Decodes, judges (rogue-detector.ts), dedupes, and hands
 * findings on. Malformed packets are counted and dropped. Sends nothing.
 */
import type { Clock } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import { datagramDropper, decodeOrDrop } from '../../platform/datagram-drop.js';
import type { Logger } from '../../platform/logger.js';
import { decodeDhcpPacket, MalformedDhcpPacketError } from '../../protocol/dhcp/packet.js';
import { FindingBook, judgePxeReply, type ExpectedResponders, type RogueFinding } from './rogue-detector.js';
import { bindUdpSocket, createUdpSocket } from '../../platform/udp-socket.js';

export interface RogueListenerOptions {
  port?: number;
  clock: Clock;
  logger: Logger;
  counters?: Counters;
  /** Who may answer now; null while the agent does not know its LAN yet (nothing is judged). */
  expected: () => ExpectedResponders | null;
  onFinding: (finding: RogueFinding) => void;
  quietMs?: number;
}

export interface RogueListener {
  close(): Promise<void>;
}

export async function startRogueListener(o: RogueListenerOptions): Promise<RogueListener> {
  const counters = o.counters ?? new Counters();
  const book = new FindingBook(o.quietMs);
  const log = o.logger.child({ component: 'rogue' });
  const socket = createUdpSocket({ reuseAddr: true });
  await bindUdpSocket(socket, '0.0.0.0', o.port ?? 68);
  socket.on('error', (err) => log.warn('rogue listener socket error', { error: err.message }));
  const dropMalformed = datagramDropper({ counters, logger: log, counter: 'rogue_malformed_total', labelled: false, message: 'dropped malformed DHCP packet on port 68' });
  socket.on('message', (msg, rinfo) => {
    counters.increment('rogue_packets_seen_total');
    const packet = decodeOrDrop(() => decodeDhcpPacket(msg), MalformedDhcpPacketError, (reason) => dropMalformed('malformed', { from: rinfo.address, reason }));
    if (!packet) return;
    let finding: RogueFinding | null;
    try {
      const expected = o.expected();
      if (!expected) {
        counters.increment('rogue_not_judged_total');
        return;
      }
      finding = judgePxeReply(packet, rinfo.address, expected);
    } catch (err) {
      counters.increment('rogue_internal_errors_total');
      log.error('judging a DHCP reply failed', { error: (err as Error).message });
      return;
    }
    if (!finding) return;
    counters.increment('rogue_findings_total', { kind: finding.kind });
    if (!book.shouldReport(finding, o.clock.nowMs())) return;
    log.warn(`unexpected PXE responder on the LAN: ${finding.reason}`, { kind: finding.kind, responder: finding.responder, mac: finding.clientMac });
    o.onFinding(finding);
  });
  return { close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}
