/**
 * IPv4 addresses and prefixes (RFC 791 dotted quads, RFC 4632 CIDR notation): parse, format, mask,
 * test membership, and the subnet-directed broadcast address (RFC 919/922). Pure: the one home of
 * this arithmetic for codecs, the server's policy rules and the agent's LAN sockets.
 *
 * One set of types: an address is an unsigned 32-bit number (`Ipv4`); text is `a.b.c.d` with
 * decimal octets and no leading zeros (a leading zero means octal to inet_aton, so it is refused);
 * a prefix is `a.b.c.d/len`; on the wire an address is 4 bytes in network order.
 */

/** An IPv4 address as an unsigned 32-bit number. */
export type Ipv4 = number;

/** A prefix with its host bits cleared. */
export interface Ipv4Prefix { network: Ipv4; length: number }

/** `a.b.c.d/len` as written: the address keeps its host bits. */
export interface Ipv4Cidr { address: Ipv4; length: number }

/** a.b.c.d → 32-bit unsigned, or null (decimal octets, no leading zeros). A hand loop: this runs per rule per agent. */
export function parseIpv4(text: string): Ipv4 | null {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) { // '.'
      if (digits === 0 || dots === 3) return null;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return null; // leading zero
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return null;
    } else {
      return null;
    }
  }
  if (dots !== 3 || digits === 0) return null;
  return n * 256 + octet;
}

/** 32-bit unsigned → a.b.c.d. */
export function formatIpv4(n: Ipv4): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The 4 network-order bytes of an address. */
export function ipv4ToBytes(n: Ipv4): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

/** The address in 4 network-order bytes at `offset` (missing bytes read as 0). */
export function ipv4FromBytes(bytes: Uint8Array, offset = 0): Ipv4 {
  return (((bytes[offset] ?? 0) << 24) | ((bytes[offset + 1] ?? 0) << 16) | ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0)) >>> 0;
}

/** a.b.c.d → its 4 network-order bytes; throws RangeError on anything else (this is for our own values). */
export function ipv4TextToBytes(text: string): Uint8Array {
  const n = parseIpv4(text);
  if (n === null) throw new RangeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return ipv4ToBytes(n);
}

/** The 4 network-order bytes at `offset` → a.b.c.d. */
export function ipv4TextFromBytes(bytes: Uint8Array, offset = 0): string {
  return formatIpv4(ipv4FromBytes(bytes, offset));
}

/** The netmask of a prefix length (0–32) as a number: /24 → 255.255.255.0. */
export function maskOf(length: number): Ipv4 {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** `a.b.c.d/len` as written (host bits kept), or null when malformed (len: 1–2 digits, ≤ 32). */
export function parseCidr(text: string): Ipv4Cidr | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const lenText = text.slice(slash + 1);
  const length = /^[0-9]{1,2}$/.test(lenText) ? Number(lenText) : 99;
  const address = parseIpv4(text.slice(0, slash));
  return address === null || length > 32 ? null : { address, length };
}

const prefixCache = new Map<string, Ipv4Prefix | null>();

/** `a.b.c.d/len` (address or network) → its prefix, host bits cleared; null when malformed. */
export function parsePrefix(text: string): Ipv4Prefix | null {
  const cached = prefixCache.get(text);
  if (cached !== undefined) return cached;
  const cidr = parseCidr(text);
  const out = cidr && { network: (cidr.address & maskOf(cidr.length)) >>> 0, length: cidr.length };
  if (prefixCache.size > 100_000) prefixCache.clear(); // bounded: rules and subnets repeat, addresses are many
  prefixCache.set(text, out);
  return out;
}

/** `a.b.c.d/len` of a prefix. */
export function formatPrefix(p: Ipv4Prefix): string {
  return `${formatIpv4(p.network)}/${p.length}`;
}

/** Canonical network text: 10.1.2.17/24 → 10.1.2.0/24; null when malformed. */
export function networkOf(text: string): string | null {
  const p = parsePrefix(text);
  return p ? formatPrefix(p) : null;
}

/** Does prefix `outer` contain address or prefix `inner` (given as text)? False when either is malformed. */
export function prefixContains(outer: string, inner: string): boolean {
  const o = parsePrefix(outer);
  if (!o) return false;
  const slash = inner.indexOf('/');
  const addr = parseIpv4(slash < 0 ? inner : inner.slice(0, slash));
  if (addr === null) return false;
  if (slash >= 0) {
    const len = Number(inner.slice(slash + 1));
    if (!(len >= o.length && len <= 32)) return false;
  }
  return ((addr & maskOf(o.length)) >>> 0) === o.network;
}

/**
 * The subnet-directed broadcast address of "a.b.c.d/len" (RFC 919/922); 255.255.255.255 for /31
 * and /32, which have none (RFC 3021). Throws RangeError on a malformed prefix (callers pass an
 * interface's subnet).
 */
export function directedBroadcast(subnet: string): string {
  const p = parsePrefix(subnet);
  if (!p) throw new RangeError(`not an IPv4 prefix (a.b.c.d/len): ${JSON.stringify(subnet)}`);
  if (p.length >= 31) return '255.255.255.255';
  return formatIpv4((p.network | ~maskOf(p.length)) >>> 0);
}
