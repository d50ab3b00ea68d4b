/**
 * The "have" message: which chunks of which packages an agent holds, broadcast on its LAN (UDP
 * port 4016, every ~500 ms and soon after a change) so neighbours fetch from each other before
 * anyone crosses the WAN (src/agent/swarm). Separate from the election announcement (port 4015):
 * that one says which packages are *ready*; this one says, chunk by chunk, what is *held* while a
 * package is still arriving, and who in the site is fetching it over the WAN. One version-tagged
 * binary layout, big-endian, signed with the agent's enrolled Ed25519 key; the server-issued agent
 * certificate (./agent-certificate.ts) travels inside the signed part, as in the announcement.
 *
 * ```
 *  offset size
 *  0      4    magic "PBHV"            (peerboot have)
 *  4      1    version = 1
 *  5      1    flags                   reserved, sent 0, ignored
 *  6      2    chunkPort               TCP port of the sender's chunk server (same address as the datagram)
 *  8      2    intervalMs              sender's broadcast interval (receivers expire it after a few)
 *  10     2    weight                  election weight: ranks WAN fetchers like responders (0 = never fetch)
 *  12     8    incarnation             random per process start
 *  20     4    seq                     +1 per message within one incarnation
 *  24     8    timestampMs             sender's wall clock, Unix ms (replay window)
 *  32     4    address                 sender's IPv4 address (receivers drop a datagram from any other
 *                                      source, so a replayed message cannot redirect fetches)
 *  36     1+n  agentId                 length byte + ASCII [A-Za-z0-9_.@-], 1..64
 *  .      1+n  siteId
 *  .      1    packageCount (<= 8)     then per package:
 *               1+n  packageId
 *               1    flags           bit0 complete (holds every chunk; no bitmap follows)
 *                                    bit1 wanFetcher (the sender fetches this package's missing chunks over the WAN)
 *               4    chunkCount      chunks in the package (numbered across its files, manifest order)
 *               4    firstChunk      first chunk the bitmap covers (a multiple of 8, < chunkCount)
 *               2+n  bitmap          length + bytes; bit 7 of byte 0 is chunk firstChunk; bits past chunkCount are 0
 *               1    wanInFlight (<= 8) then that many u32 chunk indices being fetched over the WAN now
 *  .      2+n  certificate             length (1..239) + agent certificate bytes
 *  ------ everything above is signed ------
 *  .      64   signature               Ed25519 by the key named in the certificate
 * ```
 * A package bigger than one datagram's bitmap (about 8,000 chunks, i.e. 8 GiB) is described over
 * several messages, each covering a window; receivers merge windows. Pure: no node: imports.
 */
import { ipv4TextFromBytes, ipv4ToBytes, parseIpv4 } from '../ipv4.js';
import { AGENT_CERTIFICATE_MAX_BYTES, ED25519_SIGNATURE_BYTES } from './agent-certificate.js';
import { ByteReader, ByteWriter, WireFormatError, fromHex, toHex } from './wire-bytes.js';
import { appendSignature, readSignedTrailer, writeCertificate } from './signed-trailer.js';

export const CHUNK_HAVE_MAGIC = Uint8Array.of(0x50, 0x42, 0x48, 0x56); // "PBHV"
export const CHUNK_HAVE_VERSION = 1;
/** One Ethernet frame with room to spare (1500 − 20 IP − 8 UDP = 1472). */
export const CHUNK_HAVE_MAX_BYTES = 1400;
export const MAX_HAVE_PACKAGES = 8;
export const MAX_WAN_IN_FLIGHT = 8;
/** The have message's UDP port (next to the election's 4015). */
export const CHUNK_HAVE_PORT = 4016;

const FLAG_COMPLETE = 0x01;
const FLAG_WAN_FETCHER = 0x02;

export interface PackageHave {
  packageId: string;
  complete: boolean;
  wanFetcher: boolean;
  chunkCount: number;
  /** Multiple of 8; 0 when complete. */
  firstChunk: number;
  /** Empty when complete. */
  bitmap: Uint8Array;
  wanInFlight: number[];
}

export interface ChunkHave {
  agentId: string;
  siteId: string;
  chunkPort: number;
  intervalMs: number;
  weight: number;
  /** 16 lower-case hex digits. */
  incarnation: string;
  seq: number;
  timestampMs: number;
  /** Dotted IPv4 address of the sender's LAN interface (where its chunk server listens). */
  address: string;
  packages: PackageHave[];
}

export interface SignedChunkHavePacket {
  have: ChunkHave;
  certificate: Uint8Array;
  signedBytes: Uint8Array;
  signature: Uint8Array;
}

export type ChunkHaveDecode =
  | { ok: true; packet: SignedChunkHavePacket }
  | { ok: false; kind: 'malformed' | 'unsigned' | 'unsupported-version'; reason: string };

function checkPackage(p: PackageHave): string | null {
  if (p.chunkCount < 0 || !Number.isInteger(p.chunkCount)) return `${p.packageId}: chunkCount ${p.chunkCount}`;
  if (p.complete && p.bitmap.length > 0) return `${p.packageId}: complete with a bitmap`;
  if (!p.complete && p.bitmap.length > 0) {
    if (p.firstChunk % 8 !== 0 || p.firstChunk >= p.chunkCount) return `${p.packageId}: firstChunk ${p.firstChunk} (a multiple of 8 below ${p.chunkCount})`;
    if (p.firstChunk + p.bitmap.length * 8 >= p.chunkCount + 8) return `${p.packageId}: bitmap runs past chunk ${p.chunkCount}`;
    const lastBits = p.chunkCount - p.firstChunk - (p.bitmap.length - 1) * 8;
    if (lastBits < 8) {
      const mask = 0xff >> lastBits;
      if (((p.bitmap[p.bitmap.length - 1] as number) & mask) !== 0) return `${p.packageId}: bits set past chunk ${p.chunkCount}`;
    }
  }
  if (p.wanInFlight.length > MAX_WAN_IN_FLIGHT) return `${p.packageId}: ${p.wanInFlight.length} WAN fetches listed (at most ${MAX_WAN_IN_FLIGHT})`;
  if (p.wanInFlight.some((i) => !Number.isInteger(i) || i < 0 || i >= p.chunkCount)) return `${p.packageId}: WAN fetch index outside the package`;
  return null;
}

/**
 * The bytes an agent signs. Throws WireFormatError on a field out of range or when the result
 * would exceed CHUNK_HAVE_MAX_BYTES (the caller sends smaller bitmap windows).
 */
export function encodeChunkHaveToSign(h: ChunkHave, certificate: Uint8Array): Uint8Array {
  if (h.packages.length > MAX_HAVE_PACKAGES) throw new WireFormatError(`at most ${MAX_HAVE_PACKAGES} packages per message, not ${h.packages.length}`);
  if (certificate.length === 0 || certificate.length > AGENT_CERTIFICATE_MAX_BYTES) throw new WireFormatError(`certificate must be 1..${AGENT_CERTIFICATE_MAX_BYTES} bytes`);
  if (h.intervalMs === 0) throw new WireFormatError('intervalMs must be > 0');
  const w = new ByteWriter()
    .bytes(CHUNK_HAVE_MAGIC)
    .u8(CHUNK_HAVE_VERSION, 'version')
    .u8(0, 'flags')
    .u16(h.chunkPort, 'chunkPort')
    .u16(h.intervalMs, 'intervalMs')
    .u16(h.weight, 'weight')
    .fixed(fromHex(h.incarnation, 'incarnation'), 8, 'incarnation')
    .u32(h.seq, 'seq')
    .u64(h.timestampMs, 'timestampMs')
    .fixed(ipv4Bytes(h.address), 4, 'address')
    .id(h.agentId, 'agentId')
    .id(h.siteId, 'siteId')
    .u8(h.packages.length, 'packageCount');
  for (const p of h.packages) {
    const problem = checkPackage(p);
    if (problem) throw new WireFormatError(problem);
    w.id(p.packageId, 'packages[].packageId')
      .u8((p.complete ? FLAG_COMPLETE : 0) | (p.wanFetcher ? FLAG_WAN_FETCHER : 0), 'packages[].flags')
      .u32(p.chunkCount, 'packages[].chunkCount')
      .u32(p.firstChunk, 'packages[].firstChunk')
      .u16(p.bitmap.length, 'packages[].bitmapLength')
      .bytes(p.bitmap)
      .u8(p.wanInFlight.length, 'packages[].wanInFlight');
    for (const i of p.wanInFlight) w.u32(i, 'packages[].wanInFlight[]');
  }
  return writeCertificate(w, certificate, CHUNK_HAVE_MAX_BYTES, 'have message');
}

/** The datagram: signed bytes followed by the 64-byte signature. */
export function encodeSignedChunkHave(signedBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  return appendSignature(signedBytes, signature);
}

/** Bytes available for bitmaps in one message, given the fixed parts (for the sender's windowing). */
export function chunkHaveBitmapBudget(h: Omit<ChunkHave, 'packages'>, packages: ReadonlyArray<Pick<PackageHave, 'packageId' | 'wanInFlight'>>, certificateBytes: number): number {
  let fixed = 36 + 1 + h.agentId.length + 1 + h.siteId.length + 1 + 2 + certificateBytes + ED25519_SIGNATURE_BYTES;
  for (const p of packages) fixed += 1 + p.packageId.length + 1 + 4 + 4 + 2 + 1 + 4 * p.wanInFlight.length;
  return CHUNK_HAVE_MAX_BYTES - fixed;
}

/** Parses a datagram; never throws. Checks structure only; signatures are the shell's job. */
export function decodeChunkHave(bytes: Uint8Array): ChunkHaveDecode {
  try {
    if (bytes.length > CHUNK_HAVE_MAX_BYTES) return { ok: false, kind: 'malformed', reason: `datagram is ${bytes.length} bytes, more than ${CHUNK_HAVE_MAX_BYTES}` };
    const r = new ByteReader(bytes);
    const magic = r.fixed(4, 'magic');
    if (!magic.every((b, i) => b === CHUNK_HAVE_MAGIC[i])) return { ok: false, kind: 'malformed', reason: 'not a peerboot have message (bad magic)' };
    const version = r.u8('version');
    if (version !== CHUNK_HAVE_VERSION) return { ok: false, kind: 'unsupported-version', reason: `have message version ${version}; this agent speaks ${CHUNK_HAVE_VERSION}` };
    r.u8('flags');
    const chunkPort = r.u16('chunkPort');
    if (chunkPort === 0) return { ok: false, kind: 'malformed', reason: 'chunkPort is 0' };
    const intervalMs = r.u16('intervalMs');
    if (intervalMs === 0) return { ok: false, kind: 'malformed', reason: 'intervalMs is 0' };
    const weight = r.u16('weight');
    const incarnation = toHex(r.fixed(8, 'incarnation'));
    const seq = r.u32('seq');
    const timestampMs = r.u64('timestampMs');
    const address = ipv4TextFromBytes(r.fixed(4, 'address'));
    const agentId = r.id('agentId');
    const siteId = r.id('siteId');
    const packageCount = r.u8('packageCount');
    if (packageCount > MAX_HAVE_PACKAGES) return { ok: false, kind: 'malformed', reason: `packageCount ${packageCount} > ${MAX_HAVE_PACKAGES}` };
    const packages: PackageHave[] = [];
    for (let i = 0; i < packageCount; i++) {
      const packageId = r.id('packages[].packageId');
      const flags = r.u8('packages[].flags');
      const chunkCount = r.u32('packages[].chunkCount');
      const firstChunk = r.u32('packages[].firstChunk');
      const bitmap = r.fixed(r.u16('packages[].bitmapLength'), 'packages[].bitmap');
      const inFlightCount = r.u8('packages[].wanInFlight');
      if (inFlightCount > MAX_WAN_IN_FLIGHT) return { ok: false, kind: 'malformed', reason: `${inFlightCount} WAN fetches listed` };
      const wanInFlight: number[] = [];
      for (let j = 0; j < inFlightCount; j++) wanInFlight.push(r.u32('packages[].wanInFlight[]'));
      const p: PackageHave = { packageId, complete: (flags & FLAG_COMPLETE) !== 0, wanFetcher: (flags & FLAG_WAN_FETCHER) !== 0, chunkCount, firstChunk, bitmap, wanInFlight };
      const problem = checkPackage(p);
      if (problem) return { ok: false, kind: 'malformed', reason: problem };
      if (packages.some((q) => q.packageId === packageId)) return { ok: false, kind: 'malformed', reason: `package ${packageId} listed twice` };
      packages.push(p);
    }
    const trailer = readSignedTrailer(r, bytes);
    if (!trailer.ok) return trailer;
    return {
      ok: true,
      packet: { have: { agentId, siteId, chunkPort, intervalMs, weight, incarnation, seq, timestampMs, address, packages }, certificate: trailer.certificate, signedBytes: trailer.signedBytes, signature: trailer.signature },
    };
  } catch (error) {
    if (error instanceof WireFormatError) return { ok: false, kind: 'malformed', reason: error.reason };
    throw error;
  }
}

function ipv4Bytes(address: string): Uint8Array {
  const n = parseIpv4(address);
  if (n === null) throw new WireFormatError(`address must be a dotted IPv4 address, not ${JSON.stringify(address)}`);
  return ipv4ToBytes(n);
}

/** Whether chunk `index` is marked held in a package entry (complete, or its bit in the window). */
export function haveHoldsChunk(p: PackageHave, index: number): boolean {
  if (p.complete) return index >= 0 && index < p.chunkCount;
  const offset = index - p.firstChunk;
  if (offset < 0 || offset >= p.bitmap.length * 8) return false;
  return (((p.bitmap[offset >> 3] as number) >> (7 - (offset & 7))) & 1) === 1;
}
