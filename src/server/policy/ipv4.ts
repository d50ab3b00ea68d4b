/** IPv4 prefixes (RFC 4632 CIDR notation): parse, normalize to the network, test membership. Pure. */

/** a.b.c.d → 32-bit unsigned, or null. */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Prefix { network: number; length: number }

/** `a.b.c.d/len` (address or network) → its prefix, host bits cleared; null when malformed. */
export function parsePrefix(text: string): Prefix | null {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
  if (!m) return null;
  const addr = parseIpv4(m[1]!);
  const length = Number(m[2]);
  if (addr === null || length > 32) return null;
  return { network: (addr & maskOf(length)) >>> 0, length };
}

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
  const i = parsePrefix(inner.includes('/') ? inner : `${inner}/32`);
  if (!o || !i || i.length < o.length) return false;
  const addr = parseIpv4(inner.split('/')[0]!)!;
  return ((addr & maskOf(o.length)) >>> 0) === o.network;
}
