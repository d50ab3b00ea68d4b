/** IPv4 prefixes for the console: is an interface address (a.b.c.d/len) inside a site subnet? */

/** Dotted quad to a 32-bit unsigned number; null when malformed. */
export function ipv4ToNumber(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

/** Does `cidr` (a.b.c.d/len) contain `address` (a.b.c.d, optionally with /len)? */
export function cidrContains(cidr: string, address: string): boolean {
  const [net, lenText] = cidr.split('/');
  const len = Number(lenText);
  const a = ipv4ToNumber(address.split('/')[0]!);
  const n = ipv4ToNumber(net ?? '');
  if (a === null || n === null || !Number.isInteger(len) || len < 0 || len > 32) return false;
  if (len === 0) return true;
  const size = 2 ** (32 - len);
  return Math.floor(a / size) === Math.floor(n / size);
}
