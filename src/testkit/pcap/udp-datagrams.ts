/**
 * UDP/IPv4 datagrams inside captured frames (./pcap-file.ts): link layer (Ethernet
 * II with any 802.1Q/802.1ad tags, Linux cooked v1/v2, raw IPv4) → IPv4 (RFC 791) → UDP (RFC 768)
 * payload with addresses and ports. Enough to replay real firmware captures into the codecs and to
 * label the lab's captures; not a general dissector. Pure.
 */
import { ipv4TextFromBytes } from '../../protocol/ipv4.js';
import { LinkType, readPcap, timestampMicros } from './pcap-file.js';

/** A UDP/IPv4 datagram found in a frame. */
export interface UdpDatagram {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** A datagram of a capture file, with where and when it was captured. */
export interface CapturedDatagram extends UdpDatagram {
  /** 0-based index of the record in the file. */
  recordIndex: number;
  /** Capture time in microseconds since the epoch. */
  timestampMicros: number;
}

/** Offset of the IPv4 header in one link-layer frame, or undefined when the frame is not IPv4. Throws on an unknown link type. */
function ipv4Offset(linkType: number, frame: Uint8Array): number | undefined {
  const u16 = (at: number) => (frame[at]! << 8) | frame[at + 1]!;
  switch (linkType) {
    case LinkType.ethernet: {
      let at = 12;
      if (frame.length < at + 2) return undefined;
      let etherType = u16(at);
      // 802.1Q / 802.1ad VLAN tags (4 bytes each).
      while ((etherType === 0x8100 || etherType === 0x88a8) && frame.length >= at + 6) { at += 4; etherType = u16(at); }
      return etherType === 0x0800 ? at + 2 : undefined;
    }
    case LinkType.linuxSll:
      return frame.length >= 16 && u16(14) === 0x0800 ? 16 : undefined;
    case LinkType.linuxSll2:
      return frame.length >= 20 && u16(0) === 0x0800 ? 20 : undefined;
    case LinkType.raw:
    case LinkType.ipv4:
      return frame.length > 0 && frame[0]! >> 4 === 4 ? 0 : undefined;
    default:
      throw new Error(`unsupported pcap link type ${linkType}`);
  }
}

/**
 * The complete, unfragmented UDP/IPv4 datagram in one frame of link type `linkType`, or null for
 * anything else (not IPv4, not UDP, a fragment, or cut by the snaplen). Throws on an unknown link type.
 */
export function udpInFrame(linkType: number, frame: Uint8Array): UdpDatagram | null {
  const ipAt = ipv4Offset(linkType, frame);
  if (ipAt === undefined || frame.length < ipAt + 20) return null;
  if (frame[ipAt]! >> 4 !== 4) return null;
  const headerLength = (frame[ipAt]! & 0x0f) * 4;
  const totalLength = (frame[ipAt + 2]! << 8) | frame[ipAt + 3]!;
  const fragment = ((frame[ipAt + 6]! << 8) | frame[ipAt + 7]!) & 0x3fff; // MF flag + offset
  if (frame[ipAt + 9] !== 17 || fragment !== 0 || headerLength < 20) return null;
  if (frame.length < ipAt + totalLength) return null; // cut by the snaplen
  const udpAt = ipAt + headerLength;
  if (totalLength < headerLength + 8) return null;
  const udpLength = (frame[udpAt + 4]! << 8) | frame[udpAt + 5]!;
  if (udpLength < 8 || udpAt + udpLength > ipAt + totalLength) return null;
  return {
    srcIp: ipv4TextFromBytes(frame, ipAt + 12),
    dstIp: ipv4TextFromBytes(frame, ipAt + 16),
    srcPort: (frame[udpAt]! << 8) | frame[udpAt + 1]!,
    dstPort: (frame[udpAt + 2]! << 8) | frame[udpAt + 3]!,
    payload: Uint8Array.from(frame.subarray(udpAt + 8, udpAt + udpLength)),
  };
}

/** udpInFrame for an Ethernet II frame (DLT_EN10MB), the link type of the lab's captures. */
export function udpInEthernet(frame: Uint8Array): UdpDatagram | null {
  return udpInFrame(LinkType.ethernet, frame);
}

/** Every complete, unfragmented UDP/IPv4 datagram of a capture file, in file order. */
export function udpDatagrams(bytes: Uint8Array): CapturedDatagram[] {
  const file = readPcap(bytes);
  const out: CapturedDatagram[] = [];
  file.records.forEach((record, recordIndex) => {
    const d = udpInFrame(file.linkType, record.data);
    if (d) out.push({ recordIndex, timestampMicros: timestampMicros(file, record), ...d });
  });
  return out;
}
