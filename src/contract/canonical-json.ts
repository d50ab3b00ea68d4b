/**
 * Canonical JSON: the one byte string a signature covers. Follows RFC 8785 (JCS) for the subset we
 * emit: object keys sorted by UTF-16 code units, no whitespace, strings as JSON.stringify writes them,
 * numbers only as finite values (we use integers), `undefined` members omitted as JSON.stringify does.
 * Pure: no node:* imports, so the console can reuse it.
 */

/** Thrown when a value has no canonical form (NaN, Infinity, bigint, function, cycle). */
export class CanonicalJsonError extends Error {
  readonly code = 'CONTRACT_ERR_NOT_CANONICALIZABLE';
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalJsonError';
  }
}

/** Serializes `value` canonically (RFC 8785 §3.2): same value, same bytes, on every machine. */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, new Set());
  return parts.join('');
}

function write(value: unknown, out: string[], seen: Set<object>): void {
  if (value === null) { out.push('null'); return; }
  switch (typeof value) {
    case 'boolean': out.push(value ? 'true' : 'false'); return;
    case 'string': out.push(JSON.stringify(value)); return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`number ${value} has no JSON form`);
      // RFC 8785 §3.2.2.3: ECMAScript Number.prototype.toString; -0 is written as 0.
      out.push(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'object': break;
    default: throw new CanonicalJsonError(`a ${typeof value} has no JSON form`);
  }
  const obj = value as object;
  if (seen.has(obj)) throw new CanonicalJsonError('cyclic structure');
  seen.add(obj);
  if (Array.isArray(obj)) {
    out.push('[');
    obj.forEach((item, i) => {
      if (i > 0) out.push(',');
      write(item === undefined ? null : item, out, seen);
    });
    out.push(']');
  } else {
    const record = obj as Record<string, unknown>;
    // RFC 8785 §3.2.3: sort by UTF-16 code units, which is what the default sort compares.
    const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
    out.push('{');
    keys.forEach((k, i) => {
      if (i > 0) out.push(',');
      out.push(JSON.stringify(k), ':');
      write(record[k], out, seen);
    });
    out.push('}');
  }
  seen.delete(obj);
}
