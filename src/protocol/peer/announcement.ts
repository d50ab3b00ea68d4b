/**
 * The election announcement: what every agent broadcasts on UDP port 4015 of its LAN every
 * ~500 ms (docs/election.md). One version-tagged binary layout, big-endian, signed with the agent's
 * enrolled Ed25519 key; the server-issued agent certificate (./agent-certificate.ts) travels inside
 * the signed part so a receiver can verify a sender it has never seen, offline.
 *
 * ```
 *  offset size
 *  0      4    magic "PBEA"            (peerboot election announcement)
 *  4      1    version = 1
 *  5      1    flags                   bit0 eligible  (weight > 0 and it holds what its policy requires)
 *                                      bit1 leaving   (graceful shutdown: treat me as gone now)
 *                                      bit2 blind     (active claim made while hearing no peer)
 *                                      bit3 following (heard[0] is the active the sender follows, `term` its claim)
 *                                      bit4 listening (just started: learning the domain, claims nothing yet)
 *                                      others reserved, ignored
 *  6      1    role claim              0 idle, 1 standby, 2 active
 *  7      1    device class            0 unknown, 1 server, 2 desktop, 3 laptop, 4 wireless
 *  8      2    weight                  0 = never serve
 *  10     2    intervalMs              sender's announce interval (receivers derive its death timeout from it)
 *  12     4    seq                     +1 per announcement within one incarnation
 *  16     8    incarnation             random per process start
 *  24     8    timestampMs             sender's wall clock, Unix ms (replay window)
 *  32     4    term                    active: the claim's term; following: the followed claim's term;
 *                                      otherwise the highest term the sender has seen (terms count takeovers)
 *  36     4    activeForSeconds        how long the sender has been active (information only); 0 unless active
 *  40     4    uptimeSeconds           process uptime
 *  44     4+1  subnet                  network address + prefix length (diagnostics; the election is per broadcast domain)
 *  49     1+n  agentId                 length byte + ASCII [A-Za-z0-9_.@-], 1..64
 *  .      1+n  siteId
 *  .      1    readyCount (<= 16)      then readyCount package ids
 *  .      1    heardCount (<= 4)       then heardCount × (agentId, u32 agoMs): when the sender last heard
 *                                      directly from the active/standby it follows (indirect liveness)
 *  .      2+n  certificate             length (1..239) + agent certificate bytes
 *  ------ everything above is signed ------
 *  .      64   signature               Ed25519 by the key named in the certificate
 * ```
 * A packet that stops after the heard list (or has a 0-length certificate) is "unsigned"; any
 * other deviation, including trailing bytes, is "malformed". Pure: no node: imports.
 */
import { formatIpv4, ipv4FromBytes, ipv4ToBytes, maskOf, parseCidr } from '../ipv4.js';
import { AGENT_CERTIFICATE_MAX_BYTES } from './agent-certificate.js';
import { ByteReader, ByteWriter, WireFormatError, fromHex, toHex } from './wire-bytes.js';
import { appendSignature, readSignedTrailer, writeCertificate } from './signed-trailer.js';

export const ANNOUNCEMENT_MAGIC = Uint8Array.of(0x50, 0x42, 0x45, 0x41); // "PBEA"
export const ANNOUNCEMENT_VERSION = 1;
/** Fits one Ethernet frame with room to spare (1500 − 20 IP − 8 UDP = 1472). */
export const ANNOUNCEMENT_MAX_BYTES = 1400;
export const MAX_READY_PACKAGES = 16;
export const MAX_HEARD_ENTRIES = 4;

export type RoleClaim = 'idle' | 'standby' | 'active';
export type DeviceClass = 'unknown' | 'server' | 'desktop' | 'laptop' | 'wireless';

const ROLE_CODES: readonly RoleClaim[] = ['idle', 'standby', 'active'];
const DEVICE_CODES: readonly DeviceClass[] = ['unknown', 'server', 'desktop', 'laptop', 'wireless'];
const FLAG_ELIGIBLE = 0x01;
const FLAG_LEAVING = 0x02;
const FLAG_BLIND = 0x04;
const FLAG_FOLLOWING = 0x08;
const FLAG_LISTENING = 0x10;

export interface HeardEntry {
  agentId: string;
  /** How long before sending the sender last received a message directly from `agentId`. */
  agoMs: number;
}

export interface Announcement {
  agentId: string;
  siteId: string;
  /** "a.b.c.d/len" of the sender's interface (host bits zero). */
  subnet: string;
  /** 16 lower-case hex digits, random per process start. */
  incarnation: string;
  seq: number;
  /** Sender's wall clock (Unix ms) when it sent this. */
  timestampMs: number;
  weight: number;
  deviceClass: DeviceClass;
  uptimeSeconds: number;
  role: RoleClaim;
  /** See the layout: claim term (active), followed claim's term (following), else highest term seen. */
  term: number;
  /** Seconds since the sender took the active role; 0 unless active. Information only. */
  activeForSeconds: number;
  eligible: boolean;
  leaving: boolean;
  /** Active claim made while the sender heard no peer. */
  blind: boolean;
  /** heard[0] is the active claimant the sender follows, with claim term `term`. */
  following: boolean;
  /** The sender started less than its listen period ago and claims nothing yet. */
  listening: boolean;
  intervalMs: number;
  readyPackages: string[];
  heard: HeardEntry[];
}

/** A decoded packet: the announcement, its envelope, and the exact bytes the signature covers. */
export interface SignedAnnouncementPacket {
  announcement: Announcement;
  certificate: Uint8Array;
  signedBytes: Uint8Array;
  signature: Uint8Array;
}

export type AnnouncementDecodeFailure = { ok: false; kind: 'malformed' | 'unsigned' | 'unsupported-version'; reason: string };
export type AnnouncementDecode = { ok: true; packet: SignedAnnouncementPacket } | AnnouncementDecodeFailure;

/**
 * The bytes an agent signs: header, body and its certificate. Throws WireFormatError on a field
 * out of range or when the result would exceed ANNOUNCEMENT_MAX_BYTES (the caller trims readyPackages).
 */
export function encodeAnnouncementToSign(a: Announcement, certificate: Uint8Array): Uint8Array {
  if (a.readyPackages.length > MAX_READY_PACKAGES) throw new WireFormatError(`at most ${MAX_READY_PACKAGES} ready packages, not ${a.readyPackages.length}`);
  if (a.heard.length > MAX_HEARD_ENTRIES) throw new WireFormatError(`at most ${MAX_HEARD_ENTRIES} heard entries, not ${a.heard.length}`);
  if (certificate.length === 0 || certificate.length > AGENT_CERTIFICATE_MAX_BYTES) throw new WireFormatError(`certificate must be 1..${AGENT_CERTIFICATE_MAX_BYTES} bytes`);
  const { network, prefixLength } = parseSubnet(a.subnet);
  const w = new ByteWriter()
    .bytes(ANNOUNCEMENT_MAGIC)
    .u8(ANNOUNCEMENT_VERSION, 'version')
    .u8((a.eligible ? FLAG_ELIGIBLE : 0) | (a.leaving ? FLAG_LEAVING : 0) | (a.blind ? FLAG_BLIND : 0) | (a.following ? FLAG_FOLLOWING : 0) | (a.listening ? FLAG_LISTENING : 0), 'flags')
    .u8(ROLE_CODES.indexOf(a.role), 'role')
    .u8(DEVICE_CODES.indexOf(a.deviceClass), 'deviceClass')
    .u16(a.weight, 'weight')
    .u16(a.intervalMs, 'intervalMs')
    .u32(a.seq, 'seq')
    .fixed(fromHex(a.incarnation, 'incarnation'), 8, 'incarnation')
    .u64(a.timestampMs, 'timestampMs')
    .u32(a.term, 'term')
    .u32(a.activeForSeconds, 'activeForSeconds')
    .u32(a.uptimeSeconds, 'uptimeSeconds')
    .fixed(network, 4, 'subnet')
    .u8(prefixLength, 'subnet prefix')
    .id(a.agentId, 'agentId')
    .id(a.siteId, 'siteId')
    .u8(a.readyPackages.length, 'readyCount');
  for (const id of a.readyPackages) w.id(id, 'readyPackages[]');
  w.u8(a.heard.length, 'heardCount');
  for (const h of a.heard) w.id(h.agentId, 'heard[].agentId').u32(h.agoMs, 'heard[].agoMs');
  return writeCertificate(w, certificate, ANNOUNCEMENT_MAX_BYTES, 'announcement');
}

/** The packet on the wire: the signed bytes followed by the 64-byte signature. */
export function encodeSignedAnnouncement(signedBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  return appendSignature(signedBytes, signature);
}

/** Parses a received packet; never throws. Verifies structure only; signatures are the shell's job. */
export function decodeAnnouncement(bytes: Uint8Array): AnnouncementDecode {
  try {
    if (bytes.length > ANNOUNCEMENT_MAX_BYTES) return { ok: false, kind: 'malformed', reason: `packet is ${bytes.length} bytes, more than ${ANNOUNCEMENT_MAX_BYTES}` };
    const r = new ByteReader(bytes);
    const magic = r.fixed(4, 'magic');
    if (!magic.every((b, i) => b === ANNOUNCEMENT_MAGIC[i])) return { ok: false, kind: 'malformed', reason: 'not a peerboot announcement (bad magic)' };
    const version = r.u8('version');
    if (version !== ANNOUNCEMENT_VERSION) return { ok: false, kind: 'unsupported-version', reason: `announcement version ${version}; this agent speaks ${ANNOUNCEMENT_VERSION}` };
    const flags = r.u8('flags');
    const role = ROLE_CODES[r.u8('role')];
    if (!role) return { ok: false, kind: 'malformed', reason: 'unknown role code' };
    const deviceClass = DEVICE_CODES[r.u8('deviceClass')];
    if (!deviceClass) return { ok: false, kind: 'malformed', reason: 'unknown device class code' };
    const weight = r.u16('weight');
    const intervalMs = r.u16('intervalMs');
    if (intervalMs === 0) return { ok: false, kind: 'malformed', reason: 'intervalMs is 0' };
    const seq = r.u32('seq');
    const incarnation = toHex(r.fixed(8, 'incarnation'));
    const timestampMs = r.u64('timestampMs');
    const term = r.u32('term');
    const activeForSeconds = r.u32('activeForSeconds');
    const uptimeSeconds = r.u32('uptimeSeconds');
    const network = r.fixed(4, 'subnet');
    const prefixLength = r.u8('subnet prefix');
    if (prefixLength > 32) return { ok: false, kind: 'malformed', reason: `subnet prefix /${prefixLength}` };
    const subnet = formatSubnet(network, prefixLength);
    if (subnet === null) return { ok: false, kind: 'malformed', reason: 'subnet has host bits set' };
    const agentId = r.id('agentId');
    const siteId = r.id('siteId');
    const readyCount = r.u8('readyCount');
    if (readyCount > MAX_READY_PACKAGES) return { ok: false, kind: 'malformed', reason: `readyCount ${readyCount} > ${MAX_READY_PACKAGES}` };
    const readyPackages: string[] = [];
    for (let i = 0; i < readyCount; i++) readyPackages.push(r.id('readyPackages[]'));
    const heardCount = r.u8('heardCount');
    if (heardCount > MAX_HEARD_ENTRIES) return { ok: false, kind: 'malformed', reason: `heardCount ${heardCount} > ${MAX_HEARD_ENTRIES}` };
    const heard: HeardEntry[] = [];
    for (let i = 0; i < heardCount; i++) heard.push({ agentId: r.id('heard[].agentId'), agoMs: r.u32('heard[].agoMs') });
    if (role === 'active' && term === 0) return { ok: false, kind: 'malformed', reason: 'active claim with term 0 (terms start at 1)' };
    if ((flags & FLAG_FOLLOWING) !== 0 && heardCount === 0) return { ok: false, kind: 'malformed', reason: 'following flag without a heard entry' };
    const trailer = readSignedTrailer(r, bytes);
    if (!trailer.ok) return trailer;
    const announcement: Announcement = {
      agentId, siteId, subnet, incarnation, seq, timestampMs, weight, deviceClass, uptimeSeconds, role, term, activeForSeconds,
      eligible: (flags & FLAG_ELIGIBLE) !== 0,
      leaving: (flags & FLAG_LEAVING) !== 0,
      blind: (flags & FLAG_BLIND) !== 0,
      following: (flags & FLAG_FOLLOWING) !== 0,
      listening: (flags & FLAG_LISTENING) !== 0,
      intervalMs, readyPackages, heard,
    };
    return { ok: true, packet: { announcement, certificate: trailer.certificate, signedBytes: trailer.signedBytes, signature: trailer.signature } };
  } catch (error) {
    if (error instanceof WireFormatError) return { ok: false, kind: 'malformed', reason: error.reason };
    throw error;
  }
}

function parseSubnet(subnet: string): { network: Uint8Array; prefixLength: number } {
  const cidr = parseCidr(subnet);
  if (!cidr) throw new WireFormatError(`subnet must be a.b.c.d/len, not ${JSON.stringify(subnet)}`);
  if (((cidr.address & ~maskOf(cidr.length)) >>> 0) !== 0) throw new WireFormatError(`subnet ${subnet} has host bits set`);
  return { network: ipv4ToBytes(cidr.address), prefixLength: cidr.length };
}

function formatSubnet(network: Uint8Array, prefixLength: number): string | null {
  const value = ipv4FromBytes(network);
  if (((value & ~maskOf(prefixLength)) >>> 0) !== 0) return null;
  return `${formatIpv4(value)}/${prefixLength}`;
}
