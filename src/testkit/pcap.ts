/**
 * A classic libpcap file reader for tests: records -> (Ethernet | Linux cooked v1/v2 | raw IP) ->
 * IPv4 -> UDP payloads with addresses and ports. Enough to replay real firmware captures
 * (tcpdump -w) into the codecs; not a general dissector. Format: the pcap "savefile" layout
 * (24-byte global header, 16-byte record headers; microsecond or nanosecond magic, either byte order).
 */

export interface PcapRecord {
  /** Capture time in microseconds since the epoch. */
  timestampMicros: number;
  /** Bytes captured (may be shorter than originalLength when the snaplen cut it). */
  data: Uint8Array;
  originalLength: number;
}

export interface PcapFile {
  /** LINKTYPE_* of the capture (1 Ethernet, 113 Linux SLL, 276 Linux SLL2, 101/228 raw IPv4). */
  linkType: number;
  records: PcapRecord[];
}

export interface UdpDatagram {
  /** 0-based index of the record in the file. */
  recordIndex: number;
  timestampMicros: number;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export const LinkType = { ethernet: 1, raw: 101, linuxSll: 113, ipv4: 228, linuxSll2: 276 } as const;

/** Parses the global header and every record. Throws Error on a file that is not a classic pcap. */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < 24) throw new Error(`not a pcap file: ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicBE = view.getUint32(0, false);
  let littleEndian: boolean;
  let nanos: boolean;
  if (magicBE === 0xa1b2c3d4) { littleEndian = false; nanos = false; }
  else if (magicBE === 0xd4c3b2a1) { littleEndian = true; nanos = false; }
  else if (magicBE === 0xa1b23c4d) { littleEndian = false; nanos = true; }
  else if (magicBE === 0x4d3cb2a1) { littleEndian = true; nanos = true; }
  else if (magicBE === 0x0a0d0d0a) throw new Error('pcapng is not supported: convert with `editcap -F pcap in.pcapng out.pcap`');
  else throw new Error(`not a pcap file (magic 0x${magicBE.toString(16)})`);

  const linkType = view.getUint32(20, littleEndian) & 0x0fffffff; // upper bits: FCS length flags
  const records: PcapRecord[] = [];
  let at = 24;
  while (at < bytes.length) {
    if (at + 16 > bytes.length) throw new Error(`truncated record header at offset ${at}`);
    const seconds = view.getUint32(at, littleEndian);
    const fraction = view.getUint32(at + 4, littleEndian);
    const capturedLength = view.getUint32(at + 8, littleEndian);
    const originalLength = view.getUint32(at + 12, littleEndian);
    if (at + 16 + capturedLength > bytes.length) throw new Error(`truncated record data at offset ${at}`);
    records.push({
      timestampMicros: seconds * 1_000_000 + (nanos ? Math.floor(fraction / 1000) : fraction),
      data: bytes.subarray(at + 16, at + 16 + capturedLength),
      originalLength,
    });
    at += 16 + capturedLength;
  }
  return { linkType, records };
}

/** Offset of the IPv4 header in one link-layer frame, or undefined when the frame is not IPv4. */
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

const ip = (b: Uint8Array, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/**
 * Every complete, unfragmented IPv4/UDP datagram in the capture, in file order. Frames cut by the
 * snaplen, fragments and non-UDP packets are skipped.
 */
export function udpDatagrams(bytes: Uint8Array): UdpDatagram[] {
  const { linkType, records } = readPcap(bytes);
  const out: UdpDatagram[] = [];
  records.forEach((record, recordIndex) => {
    const frame = record.data;
    const ipAt = ipv4Offset(linkType, frame);
    if (ipAt === undefined || frame.length < ipAt + 20) return;
    if (frame[ipAt]! >> 4 !== 4) return;
    const headerLength = (frame[ipAt]! & 0x0f) * 4;
    const totalLength = (frame[ipAt + 2]! << 8) | frame[ipAt + 3]!;
    const fragment = ((frame[ipAt + 6]! << 8) | frame[ipAt + 7]!) & 0x3fff; // MF flag + offset
    if (frame[ipAt + 9] !== 17 || fragment !== 0 || headerLength < 20) return;
    if (frame.length < ipAt + totalLength) return; // cut by the snaplen
    const udpAt = ipAt + headerLength;
    if (totalLength < headerLength + 8) return;
    const udpLength = (frame[udpAt + 4]! << 8) | frame[udpAt + 5]!;
    if (udpLength < 8 || udpAt + udpLength > ipAt + totalLength) return;
    out.push({
      recordIndex,
      timestampMicros: record.timestampMicros,
      srcIp: ip(frame, ipAt + 12),
      dstIp: ip(frame, ipAt + 16),
      srcPort: (frame[udpAt]! << 8) | frame[udpAt + 1]!,
      dstPort: (frame[udpAt + 2]! << 8) | frame[udpAt + 3]!,
      payload: Uint8Array.from(frame.subarray(udpAt + 8, udpAt + udpLength)),
    });
  });
  return out;
}
