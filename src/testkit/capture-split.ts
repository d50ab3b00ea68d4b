/**
 * Cuts one raw capture of a lab boot into golden fixtures. Pure: records in, record indices out.
 *
 * A network boot shows up on the VM's tap in a fixed order (docs/lab-notes.md, "The order of a
 * network boot on the wire"):
 *   firmware DHCP (DISCOVER/OFFER/REQUEST/ACK on 67, the 4011 exchange)
 *   → TFTP of the NBP (the first RRQ; for OVMF a tsize probe ended by ERROR 8, then the transfer)
 *   → the chained iPXE's own DHCP → its script …
 * So the first TFTP RRQ separates the firmware's DHCP packets from the chained iPXE's, and the NBP's
 * TFTP packets are those between that RRQ and the chained iPXE's first DHCP packet.
 */
import type { PcapRecord } from './pcap/pcap-file.js';
import { udpInEthernet, type UdpDatagram } from './pcap/udp-datagrams.js';

const DHCP_MAGIC_COOKIE = 0x63825363;
const DHCP_PORTS = new Set([67, 68, 4011]);

/** What a captured datagram is, as far as the fixtures care. */
export type CapturedPacket =
  | { proto: 'dhcp'; op: number; messageType: number | null }
  | { proto: 'tftp'; opcode: number; block: number | null; filename: string | null }
  | { proto: 'other' };

/**
 * The value of option `code` in a BOOTP payload with the magic cookie (first instance, options
 * field only: enough to label fixtures; the real codec lives in src/protocol/dhcp), or null.
 */
export function dhcpOptionBytes(payload: Uint8Array, code: number): Uint8Array | null {
  if (payload.length < 240) return null;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (view.getUint32(236) !== DHCP_MAGIC_COOKIE) return null;
  let off = 240;
  while (off < payload.length) {
    const c = payload[off];
    if (c === 255) break;
    if (c === 0) { off += 1; continue; }
    const len = payload[off + 1];
    if (len === undefined || off + 2 + len > payload.length) break;
    if (c === code) return payload.slice(off + 2, off + 2 + len);
    off += 2 + len;
  }
  return null;
}

/** DHCP message type (option 53), or null. */
export function dhcpMessageType(payload: Uint8Array): number | null {
  const v = dhcpOptionBytes(payload, 53);
  return v && v.length === 1 ? (v[0] ?? null) : null;
}

function isDhcp(d: UdpDatagram): boolean {
  if (!DHCP_PORTS.has(d.srcPort) || !DHCP_PORTS.has(d.dstPort)) return false;
  if (d.payload.length < 240) return false;
  const view = new DataView(d.payload.buffer, d.payload.byteOffset, d.payload.byteLength);
  return view.getUint32(236) === DHCP_MAGIC_COOKIE;
}

function tftpOf(d: UdpDatagram): CapturedPacket {
  const p = d.payload;
  const opcode = p.length >= 2 ? ((p[0] ?? 0) << 8) | (p[1] ?? 0) : 0;
  const block = (opcode === 3 || opcode === 4) && p.length >= 4 ? ((p[2] ?? 0) << 8) | (p[3] ?? 0) : null;
  let filename: string | null = null;
  if (opcode === 1 || opcode === 2) {
    const end = p.indexOf(0, 2);
    filename = new TextDecoder('latin1').decode(p.slice(2, end === -1 ? p.length : end));
  }
  return { proto: 'tftp', opcode, block, filename };
}

/** Classifies every record. TFTP transfers are followed from their RRQ's client endpoint (RFC 1350 §4 TIDs). */
export function classifyCapture(records: PcapRecord[]): CapturedPacket[] {
  const tftpClients = new Set<string>();
  return records.map((r) => {
    const d = udpInEthernet(r.data);
    if (!d) return { proto: 'other' } as const;
    if (isDhcp(d)) return { proto: 'dhcp', op: d.payload[0] ?? 0, messageType: dhcpMessageType(d.payload) };
    const src = `${d.srcIp}:${d.srcPort}`;
    const dst = `${d.dstIp}:${d.dstPort}`;
    if (d.dstPort === 69) {
      const t = tftpOf(d);
      if (t.proto === 'tftp' && (t.opcode === 1 || t.opcode === 2)) tftpClients.add(src);
      return t;
    }
    if (tftpClients.has(src) || tftpClients.has(dst)) return tftpOf(d);
    return { proto: 'other' } as const;
  });
}

/** Record indices of each fixture. */
export interface BootCaptureSplit {
  /** The firmware's DHCP packets (and the servers' replies), up to the first TFTP RRQ. */
  firmwareDhcp: number[];
  /** DHCP packets after the first RRQ: the chained iPXE and the replies to it. */
  chainedDhcp: number[];
  /** The NBP's TFTP packets, with DATA/ACK kept only up to block `tftpBlocksMax` of each transfer. */
  nbpTftp: number[];
}

/** Splits a classified boot capture (see the module header). */
export function splitBootCapture(packets: CapturedPacket[], tftpBlocksMax = 8): BootCaptureSplit {
  const firstRrq = packets.findIndex((p) => p.proto === 'tftp' && p.opcode === 1);
  const split: BootCaptureSplit = { firmwareDhcp: [], chainedDhcp: [], nbpTftp: [] };
  const end = firstRrq === -1 ? packets.length : firstRrq;
  packets.forEach((p, i) => {
    if (p.proto !== 'dhcp') return;
    (i < end ? split.firmwareDhcp : split.chainedDhcp).push(i);
  });
  if (firstRrq === -1) return split;
  const chainedStart = split.chainedDhcp[0] ?? packets.length;
  for (let i = firstRrq; i < chainedStart; i++) {
    const p = packets[i];
    if (!p || p.proto !== 'tftp') continue;
    if (p.block !== null && p.block > tftpBlocksMax) continue;
    split.nbpTftp.push(i);
  }
  return split;
}
