/**
 * Just enough of the classic libpcap file format (the tcpdump `-w` default) to cut the lab's raw
 * captures into small golden fixtures: read records, pick the UDP/IPv4 ones, write a new file with
 * the same global header. Pure (bytes in, bytes out). Link type must be Ethernet (DLT_EN10MB = 1).
 *
 *   global header (24 B): magic a1b2c3d4 (µs) or a1b23c4d (ns), version 2.4, thiszone, sigfigs,
 *                         snaplen, linktype — in the writer's byte order (the magic tells which)
 *   record header (16 B): ts_sec, ts_frac, incl_len, orig_len; then incl_len bytes of frame
 */

/** One captured frame. */
export interface PcapRecord {
  tsSec: number;
  /** Microseconds or nanoseconds, per the file's magic. */
  tsFrac: number;
  origLen: number;
  frame: Uint8Array;
}

/** A parsed capture file. */
export interface PcapFile {
  /** The 24-byte global header, kept verbatim for writing. */
  header: Uint8Array;
  littleEndian: boolean;
  nanoseconds: boolean;
  linkType: number;
  records: PcapRecord[];
}

/** Parses a classic pcap file; throws on a bad magic or a truncated record. */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < 24) throw new Error('pcap: shorter than the 24-byte global header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicBE = view.getUint32(0, false);
  const magicLE = view.getUint32(0, true);
  let littleEndian: boolean;
  let nanoseconds: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    littleEndian = true;
    nanoseconds = magicLE === 0xa1b23c4d;
  } else if (magicBE === 0xa1b2c3d4 || magicBE === 0xa1b23c4d) {
    littleEndian = false;
    nanoseconds = magicBE === 0xa1b23c4d;
  } else {
    throw new Error('pcap: not a classic pcap file (pcapng is not supported)');
  }
  const linkType = view.getUint32(20, littleEndian);
  const records: PcapRecord[] = [];
  let off = 24;
  while (off < bytes.length) {
    if (off + 16 > bytes.length) throw new Error(`pcap: truncated record header at byte ${off}`);
    const tsSec = view.getUint32(off, littleEndian);
    const tsFrac = view.getUint32(off + 4, littleEndian);
    const inclLen = view.getUint32(off + 8, littleEndian);
    const origLen = view.getUint32(off + 12, littleEndian);
    off += 16;
    if (off + inclLen > bytes.length) throw new Error(`pcap: truncated record at byte ${off}`);
    records.push({ tsSec, tsFrac, origLen, frame: bytes.slice(off, off + inclLen) });
    off += inclLen;
  }
  return { header: bytes.slice(0, 24), littleEndian, nanoseconds, linkType, records };
}

/** Serialises `records` under `file`'s global header. */
export function writePcap(file: Pick<PcapFile, 'header' | 'littleEndian'>, records: PcapRecord[]): Uint8Array {
  const total = 24 + records.reduce((n, r) => n + 16 + r.frame.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(file.header, 0);
  let off = 24;
  for (const r of records) {
    view.setUint32(off, r.tsSec, file.littleEndian);
    view.setUint32(off + 4, r.tsFrac, file.littleEndian);
    view.setUint32(off + 8, r.frame.length, file.littleEndian);
    view.setUint32(off + 12, r.origLen, file.littleEndian);
    out.set(r.frame, off + 16);
    off += 16 + r.frame.length;
  }
  return out;
}

/** A UDP/IPv4 datagram found in an Ethernet frame. */
export interface UdpDatagram {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** The UDP/IPv4 datagram inside an Ethernet II frame (one optional 802.1Q tag), or null. */
export function udpInEthernet(frame: Uint8Array): UdpDatagram | null {
  if (frame.length < 14) return null;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let off = 12;
  let etherType = view.getUint16(off);
  if (etherType === 0x8100) {
    if (frame.length < 18) return null;
    off += 4;
    etherType = view.getUint16(off);
  }
  off += 2;
  if (etherType !== 0x0800 || frame.length < off + 20) return null;
  const ihl = ((frame[off] ?? 0) & 0x0f) * 4;
  if (((frame[off] ?? 0) >> 4) !== 4 || ihl < 20 || frame.length < off + ihl + 8) return null;
  if (frame[off + 9] !== 17) return null;
  // Fragments (other than the first, or with more to come) hold no whole datagram.
  if ((view.getUint16(off + 6) & 0x3fff) !== 0) return null;
  const ip = (at: number) => [0, 1, 2, 3].map((i) => frame[at + i] ?? 0).join('.');
  const udp = off + ihl;
  const udpLen = view.getUint16(udp + 4);
  const end = Math.min(frame.length, udp + Math.max(8, udpLen));
  return {
    srcIp: ip(off + 12),
    dstIp: ip(off + 16),
    srcPort: view.getUint16(udp),
    dstPort: view.getUint16(udp + 2),
    payload: frame.slice(udp + 8, end),
  };
}
