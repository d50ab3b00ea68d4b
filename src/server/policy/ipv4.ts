/** IPv4 prefixes (RFC 4632 CIDR notation): parse, normalize to the network, test membership. Pure. */

/** a.b.c.d → 32-bit unsigned, or null (decimal octets, no leading zeros). A hand loop: this runs per rule per agent. */
export function parseIpv4(text: string): number | null {
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

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Prefix { network: number; length: number }

/** `a.b.c.d/len` (address or network) → its prefix, host bits cleared; null when malformed. */
export function parsePrefix(text: string): Prefix | null {
  const cached = prefixCache.get(text);
  if (cached !== undefined) return cached;
  const slash = text.indexOf('/');
  const lenText = slash < 0 ? '' : text.slice(slash + 1);
  const addr = slash < 0 ? null : parseIpv4(text.slice(0, slash));
  const length = /^[0-9]{1,2}$/.test(lenText) ? Number(lenText) : 99;
  const out = addr === null || length > 32 ? null : { network: (addr & maskOf(length)) >>> 0, length };
  if (prefixCache.size > 100_000) prefixCache.clear(); // bounded: rules and subnets repeat, addresses are many
  prefixCache.set(text, out);
  return out;
}

const prefixCache = new Map<string, Prefix | null>();

function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** Canonical network text: 10.1.2.17/24 → 10.1.2.0/24. */
export function networkOf(text: string): string | null {
  const p = parsePrefix(text);
  return p ? `${formatIpv4(p.network)}/${p.length}` : null;
}

/** Does prefix `outer` contain address or prefix `inner` (given as text)? */
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
