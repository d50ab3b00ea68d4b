/**
 * BOOTP/DHCPv4 message codec (RFC 951, RFC 2131 §2, RFC 2132, RFC 3396). Pure: bytes in, typed
 * values out, no I/O. Option overload (option 52) is read on input and never written; options longer
 * than 255 bytes are split on output and joined on input (RFC 3396); replies are padded to 300 bytes.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------+---------------+---------------+---------------+
 *   |     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
 *   +---------------+---------------+---------------+---------------+
 *   |                            xid (4)                            |
 *   +-------------------------------+-------------------------------+
 *   |           secs (2)            |           flags (2)           |
 *   +-------------------------------+-------------------------------+
 *   |  ciaddr (4) | yiaddr (4) | siaddr (4) | giaddr (4)             |
 *   |  chaddr (16)  | sname (64)  | file (128)  | magic cookie (4)   |
 *   |  options (variable; code, length, data … END)                  |
 *   +---------------------------------------------------------------+
 */
import { ipv4TextFromBytes, ipv4TextToBytes } from '../ipv4.js';

/** Thrown by every decoder in src/protocol/dhcp when bytes are not a well-formed message or option. */
export class MalformedDhcpPacketError extends Error {
  readonly code = 'PEERBOOT_ERR_MALFORMED_PACKET';
  constructor(readonly reason: string) {
    super(`malformed DHCP packet: ${reason}`);
    this.name = 'MalformedDhcpPacketError';
  }
}

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
/** RFC 2131 §2: the leftmost bit of `flags`; the other 15 bits MUST be zero. */
export const BROADCAST_FLAG = 0x8000;
/** RFC 2132 §2: 99.130.83.99. */
export const MAGIC_COOKIE = 0x63825363;
/** Fixed header (236 bytes) + magic cookie. */
export const HEADER_SIZE_BYTES = 240;
/** RFC 951 / RFC 1542 §2.1: a BOOTP message is at least 300 bytes (dnsmasq MIN_PACKETSZ). */
export const MIN_MESSAGE_SIZE_BYTES = 300;

const OPTION_PAD = 0;
const OPTION_OVERLOAD = 52;
const OPTION_END = 255;
const SNAME_OFFSET = 44;
const SNAME_SIZE = 64;
const FILE_OFFSET = 108;
const FILE_SIZE = 128;

/** A decoded BOOTP/DHCP message. Field names are readable; the RFC 2131 name is in each comment. */
export interface DhcpPacket {
  /** `op`: 1 = BOOTREQUEST, 2 = BOOTREPLY. */
  op: number;
  /** `htype`: hardware address type, 1 = Ethernet. */
  htype: number;
  /** `hlen`: hardware address length (6 for Ethernet; EDK2 may send 16 with a GUID in chaddr). */
  hlen: number;
  /** `hops`: relay hop count. */
  hops: number;
  /** `xid`: transaction id, unsigned 32-bit. */
  xid: number;
  /** `secs`: seconds since the client began. */
  secs: number;
  /** `flags`: bit 15 is BROADCAST (BROADCAST_FLAG); see isBroadcast(). */
  flags: number;
  /** `ciaddr`: the client's current address (dotted quad). */
  clientAddr: string;
  /** `yiaddr`: "your" address; always 0.0.0.0 in proxy replies. */
  yourAddr: string;
  /** `siaddr`: next server (TFTP) address. */
  serverAddr: string;
  /** `giaddr`: relay agent address. */
  gatewayAddr: string;
  /** `chaddr`: all 16 bytes, echoed verbatim in replies. */
  clientHardwareAddr: Uint8Array;
  /** `sname`: server host name (NUL-terminated on the wire, at most 64 bytes). Empty when overloaded. */
  serverName: string;
  /** `file`: boot file name (NUL-terminated on the wire, at most 128 bytes). Empty when overloaded. */
  bootFile: string;
  /**
   * Options by code, in wire order, each value the joined data of every instance (RFC 3396).
   * Never holds PAD (0), END (255) or overload (52): overload is consumed by the decoder.
   */
  options: Map<number, Uint8Array>;
}

/** True when the BROADCAST bit (RFC 2131 §2) is set. */
export function isBroadcast(packet: Pick<DhcpPacket, 'flags'>): boolean {
  return (packet.flags & BROADCAST_FLAG) !== 0;
}

/** Bytes as a string, one char per byte (latin1), so any byte sequence round-trips. */
export function bytesToLatin1(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

/** The inverse of bytesToLatin1; throws RangeError on chars above U+00FF. */
export function latin1ToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`character U+${c.toString(16)} cannot be sent as a single byte`);
    out[i] = c;
  }
  return out;
}

/** Reads a NUL-terminated field (RFC 2131 sname/file); a field with no NUL uses all its bytes. */
function readCString(bytes: Uint8Array, offset: number, size: number): string {
  const field = bytes.subarray(offset, offset + size);
  const nul = field.indexOf(0);
  return bytesToLatin1(nul === -1 ? field : field.subarray(0, nul));
}

/**
 * Walks one options area (RFC 2132 §2) and appends each instance's data to `into`, in order.
 * PAD is skipped, END stops the walk. An option whose length byte or data runs past the area is
 * malformed (a truncated option at the end crashed at least one ProxyDHCP daemon;
 * docs/protocol-notes.md, "Parser hardening").
 */
function readOptionsArea(
  bytes: Uint8Array,
  start: number,
  end: number,
  where: string,
  into: Map<number, Uint8Array[]>,
): void {
  let i = start;
  while (i < end) {
    const code = bytes[i]!;
    if (code === OPTION_PAD) { i += 1; continue; }
    if (code === OPTION_END) return;
    if (i + 1 >= end) throw new MalformedDhcpPacketError(`option ${code} in ${where} has no length byte`);
    const len = bytes[i + 1]!;
    if (i + 2 + len > end) throw new MalformedDhcpPacketError(`option ${code} in ${where} is truncated (length ${len}, ${end - i - 2} bytes left)`);
    const data = bytes.subarray(i + 2, i + 2 + len);
    const list = into.get(code);
    if (list) list.push(data);
    else into.set(code, [data]);
    i += 2 + len;
  }
  // Running off the end without END is tolerated: some BOOTP-era clients omit it, and every
  // option read so far was complete.
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * Decodes one BOOTP/DHCP message. Throws MalformedDhcpPacketError (with a reason) when it is shorter
 * than 240 bytes, lacks the magic cookie, has hlen > 16, a truncated option, or a bad overload.
 * Returned byte arrays are copies: the caller may reuse `bytes`.
 */
export function decodeDhcpPacket(bytes: Uint8Array): DhcpPacket {
  if (bytes.length < HEADER_SIZE_BYTES) {
    throw new MalformedDhcpPacketError(`too short (${bytes.length} bytes, need at least ${HEADER_SIZE_BYTES})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cookie = view.getUint32(236);
  if (cookie !== MAGIC_COOKIE) {
    throw new MalformedDhcpPacketError(`bad magic cookie 0x${cookie.toString(16).padStart(8, '0')}`);
  }
  const hlen = bytes[2]!;
  if (hlen > 16) throw new MalformedDhcpPacketError(`hlen ${hlen} exceeds the 16-byte chaddr`);

  const instances = new Map<number, Uint8Array[]>();
  readOptionsArea(bytes, HEADER_SIZE_BYTES, bytes.length, 'options', instances);

  // RFC 2132 §9.3: option 52 says whether file (1), sname (2) or both (3) hold more options.
  // RFC 3396 §5: instances are joined in the order options, file, sname.
  let overload = 0;
  const overloadParts = instances.get(OPTION_OVERLOAD);
  if (overloadParts) {
    const data = concat(overloadParts);
    if (data.length !== 1 || data[0]! < 1 || data[0]! > 3) {
      throw new MalformedDhcpPacketError(`option 52 (overload) must be one byte 1..3, got ${data.length} byte(s)`);
    }
    overload = data[0]!;
    instances.delete(OPTION_OVERLOAD);
    const extra = new Map<number, Uint8Array[]>();
    if (overload & 1) readOptionsArea(bytes, FILE_OFFSET, FILE_OFFSET + FILE_SIZE, 'file (overloaded)', extra);
    if (overload & 2) readOptionsArea(bytes, SNAME_OFFSET, SNAME_OFFSET + SNAME_SIZE, 'sname (overloaded)', extra);
    extra.delete(OPTION_OVERLOAD); // RFC 2132 §9.3: meaningful only in the options field.
    for (const [code, parts] of extra) {
      const list = instances.get(code);
      if (list) list.push(...parts);
      else instances.set(code, parts);
    }
  }

  const options = new Map<number, Uint8Array>();
  for (const [code, parts] of instances) options.set(code, concat(parts));

  return {
    op: bytes[0]!,
    htype: bytes[1]!,
    hlen,
    hops: bytes[3]!,
    xid: view.getUint32(4),
    secs: view.getUint16(8),
    flags: view.getUint16(10),
    clientAddr: ipv4TextFromBytes(bytes, 12),
    yourAddr: ipv4TextFromBytes(bytes, 16),
    serverAddr: ipv4TextFromBytes(bytes, 20),
    gatewayAddr: ipv4TextFromBytes(bytes, 24),
    clientHardwareAddr: new Uint8Array(bytes.subarray(28, 44)),
    serverName: overload & 2 ? '' : readCString(bytes, SNAME_OFFSET, SNAME_SIZE),
    bootFile: overload & 1 ? '' : readCString(bytes, FILE_OFFSET, FILE_SIZE),
    options,
  };
}

/** Size in bytes of the encoded options area, END included (before padding). */
function encodedOptionsSize(options: Map<number, Uint8Array>): number {
  let size = 1; // END
  for (const data of options.values()) size += data.length === 0 ? 2 : Math.ceil(data.length / 255) * 2 + data.length;
  return size;
}

/**
 * Encodes a message. Never writes option overload; an option longer than 255 bytes becomes several
 * consecutive instances (RFC 3396); the options end with END and the message is zero-padded to at
 * least 300 bytes (RFC 951; dnsmasq does the same). Throws RangeError on values that cannot be
 * encoded (bad address, over-long sname/file, option code 0/52/255, chaddr not 16 bytes).
 */
export function encodeDhcpPacket(packet: DhcpPacket): Uint8Array {
  for (const code of packet.options.keys()) {
    if (!Number.isInteger(code) || code <= OPTION_PAD || code >= OPTION_END || code === OPTION_OVERLOAD) {
      throw new RangeError(`option code ${code} cannot be encoded as an option`);
    }
  }
  if (packet.clientHardwareAddr.length !== 16) {
    throw new RangeError(`clientHardwareAddr must be 16 bytes, got ${packet.clientHardwareAddr.length}`);
  }
  const sname = latin1ToBytes(packet.serverName);
  const file = latin1ToBytes(packet.bootFile);
  if (sname.length > SNAME_SIZE) throw new RangeError(`serverName is ${sname.length} bytes; sname holds ${SNAME_SIZE}`);
  if (file.length > FILE_SIZE) throw new RangeError(`bootFile is ${file.length} bytes; file holds ${FILE_SIZE}`);

  const size = Math.max(MIN_MESSAGE_SIZE_BYTES, HEADER_SIZE_BYTES + encodedOptionsSize(packet.options));
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = packet.op;
  out[1] = packet.htype;
  out[2] = packet.hlen;
  out[3] = packet.hops;
  view.setUint32(4, packet.xid >>> 0);
  view.setUint16(8, packet.secs);
  view.setUint16(10, packet.flags);
  out.set(ipv4TextToBytes(packet.clientAddr), 12);
  out.set(ipv4TextToBytes(packet.yourAddr), 16);
  out.set(ipv4TextToBytes(packet.serverAddr), 20);
  out.set(ipv4TextToBytes(packet.gatewayAddr), 24);
  out.set(packet.clientHardwareAddr, 28);
  out.set(sname, SNAME_OFFSET);
  out.set(file, FILE_OFFSET);
  view.setUint32(236, MAGIC_COOKIE);

  let at = HEADER_SIZE_BYTES;
  for (const [code, data] of packet.options) {
    let offset = 0;
    do {
      const chunk = data.subarray(offset, offset + 255);
      out[at] = code;
      out[at + 1] = chunk.length;
      out.set(chunk, at + 2);
      at += 2 + chunk.length;
      offset += 255;
    } while (offset < data.length);
  }
  out[at] = OPTION_END;
  return out;
}
