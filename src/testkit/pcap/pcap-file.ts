/**
 * The classic libpcap savefile format (what `tcpdump -w` writes), read and written: the one pcap
 * codec. Pure: bytes in, bytes out. Replays real firmware captures into the codecs and cuts the
 * lab's captures into golden fixtures (../record-fixtures.ts). Test-only: nothing shipped reads pcap.
 * Not pcapng.
 *
 *   global header (24 B): magic a1b2c3d4 (µs) or a1b23c4d (ns), version 2.4, thiszone, sigfigs,
 *                         snaplen, linktype (upper 4 bits: FCS flags), in the writer's byte order
 *                         (the magic tells which)
 *   record header (16 B): ts_sec, ts_frac, incl_len, orig_len; then incl_len bytes of frame
 */

/** LINKTYPE_* values this module's readers understand (1 Ethernet, 113 Linux SLL, 276 Linux SLL2, 101/228 raw IPv4). */
export const LinkType = { ethernet: 1, raw: 101, linuxSll: 113, ipv4: 228, linuxSll2: 276 } as const;

/** One captured frame. */
export interface PcapRecord {
  /** Capture time: whole seconds since the epoch … */
  seconds: number;
  /** … plus microseconds or nanoseconds, per the file's magic (PcapFile.nanoseconds). */
  fraction: number;
  /** The bytes captured (shorter than originalLength when the snaplen cut the frame). */
  data: Uint8Array;
  originalLength: number;
}

/** A parsed capture file. */
export interface PcapFile {
  /** The 24-byte global header, kept verbatim for writing. */
  header: Uint8Array;
  littleEndian: boolean;
  nanoseconds: boolean;
  /** LINKTYPE_* of the capture, FCS flag bits masked off. */
  linkType: number;
  records: PcapRecord[];
}

const MAGIC_MICROS = 0xa1b2c3d4;
const MAGIC_NANOS = 0xa1b23c4d;
const MAGIC_PCAPNG = 0x0a0d0d0a;

/** Parses a classic pcap file; throws Error on a file that is not one (the message says why) or a truncated record. */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < 24) throw new Error(`not a pcap file: ${bytes.length} bytes, shorter than the 24-byte global header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicBE = view.getUint32(0, false);
  const magicLE = view.getUint32(0, true);
  let littleEndian: boolean;
  if (magicBE === MAGIC_MICROS || magicBE === MAGIC_NANOS) littleEndian = false;
  else if (magicLE === MAGIC_MICROS || magicLE === MAGIC_NANOS) littleEndian = true;
  else if (magicBE === MAGIC_PCAPNG) throw new Error('not a classic pcap file: pcapng is not supported: convert with `editcap -F pcap in.pcapng out.pcap`');
  else throw new Error(`not a classic pcap file (magic 0x${magicBE.toString(16)})`);
  const nanoseconds = view.getUint32(0, littleEndian) === MAGIC_NANOS;
  const linkType = view.getUint32(20, littleEndian) & 0x0fffffff;
  const records: PcapRecord[] = [];
  let at = 24;
  while (at < bytes.length) {
    if (at + 16 > bytes.length) throw new Error(`pcap: truncated record header at offset ${at}`);
    const seconds = view.getUint32(at, littleEndian);
    const fraction = view.getUint32(at + 4, littleEndian);
    const capturedLength = view.getUint32(at + 8, littleEndian);
    const originalLength = view.getUint32(at + 12, littleEndian);
    if (at + 16 + capturedLength > bytes.length) throw new Error(`pcap: truncated record data at offset ${at}`);
    records.push({ seconds, fraction, data: bytes.subarray(at + 16, at + 16 + capturedLength), originalLength });
    at += 16 + capturedLength;
  }
  return { header: bytes.slice(0, 24), littleEndian, nanoseconds, linkType, records };
}

/** Serialises `records` under `file`'s global header (so the byte order and time unit stay the file's). */
export function writePcap(file: Pick<PcapFile, 'header' | 'littleEndian'>, records: readonly PcapRecord[]): Uint8Array {
  const total = 24 + records.reduce((n, r) => n + 16 + r.data.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(file.header.subarray(0, 24), 0);
  let at = 24;
  for (const r of records) {
    view.setUint32(at, r.seconds, file.littleEndian);
    view.setUint32(at + 4, r.fraction, file.littleEndian);
    view.setUint32(at + 8, r.data.length, file.littleEndian);
    view.setUint32(at + 12, r.originalLength, file.littleEndian);
    out.set(r.data, at + 16);
    at += 16 + r.data.length;
  }
  return out;
}

/** A record's capture time in microseconds since the epoch (nanosecond files are floored). */
export function timestampMicros(file: Pick<PcapFile, 'nanoseconds'>, record: Pick<PcapRecord, 'seconds' | 'fraction'>): number {
  return record.seconds * 1_000_000 + (file.nanoseconds ? Math.floor(record.fraction / 1000) : record.fraction);
}
