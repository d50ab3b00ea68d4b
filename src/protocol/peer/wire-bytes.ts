/**
 * Big-endian byte writer/reader shared by the peer-to-peer wire formats (agent certificate,
 * election announcement). Identifiers travel as a 1-byte length plus ASCII restricted to the
 * control plane's opaque-id alphabet (`[A-Za-z0-9_.@-]`, 1–64 characters, as src/contract's `Id`),
 * so a decoder never has to deal with UTF-8 or control characters.
 * Pure: no node: imports (the console may reuse it).
 */

/** Thrown by ByteReader/ByteWriter on bytes or values that do not fit the format; decoders turn it into a reason. */
export class WireFormatError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'WireFormatError';
  }
}

/** The opaque-id alphabet of the control plane (src/contract/schemas.ts `Id`). */
export const WIRE_ID_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/;
export const WIRE_ID_MAX_LENGTH = 64;

/** 2^53 − 1: integers above this cannot round-trip through a JS number. */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export class ByteWriter {
  #buffer = new Uint8Array(512);
  #length = 0;

  u8(value: number, field: string): this {
    this.#checkInt(value, 0xff, field);
    this.#reserve(1)[this.#length++] = value;
    return this;
  }

  u16(value: number, field: string): this {
    this.#checkInt(value, 0xffff, field);
    const b = this.#reserve(2);
    b[this.#length++] = (value >>> 8) & 0xff;
    b[this.#length++] = value & 0xff;
    return this;
  }

  u32(value: number, field: string): this {
    this.#checkInt(value, 0xffffffff, field);
    const b = this.#reserve(4);
    b[this.#length++] = (value >>> 24) & 0xff;
    b[this.#length++] = (value >>> 16) & 0xff;
    b[this.#length++] = (value >>> 8) & 0xff;
    b[this.#length++] = value & 0xff;
    return this;
  }

  /** An unsigned integer up to 2^53 − 1 in 8 bytes. */
  u64(value: number, field: string): this {
    this.#checkInt(value, MAX_SAFE, field);
    const high = Math.floor(value / 0x1_0000_0000);
    const low = value % 0x1_0000_0000;
    return this.u32(high, field).u32(low, field);
  }

  bytes(value: Uint8Array): this {
    this.#reserve(value.length).set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  fixed(value: Uint8Array, length: number, field: string): this {
    if (value.length !== length) throw new WireFormatError(`${field} must be ${length} bytes, not ${value.length}`);
    return this.bytes(value);
  }

  /** An identifier: 1-byte length + ASCII from WIRE_ID_PATTERN. */
  id(value: string, field: string): this {
    if (!WIRE_ID_PATTERN.test(value)) throw new WireFormatError(`${field} must match ${WIRE_ID_PATTERN.source}: ${JSON.stringify(value)}`);
    this.u8(value.length, field);
    const b = this.#reserve(value.length);
    for (let i = 0; i < value.length; i++) b[this.#length++] = value.charCodeAt(i);
    return this;
  }

  get length(): number {
    return this.#length;
  }

  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }

  /** The buffer, grown so that `count` more bytes fit. */
  #reserve(count: number): Uint8Array {
    if (this.#length + count > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + count));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    return this.#buffer;
  }

  #checkInt(value: number, max: number, field: string): void {
    if (!Number.isInteger(value) || value < 0 || value > max) throw new WireFormatError(`${field} must be an integer in 0..${max}, not ${value}`);
  }
}

export class ByteReader {
  #offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.bytes.length - this.#offset;
  }

  u8(field: string): number {
    this.#need(1, field);
    return this.bytes[this.#offset++] as number;
  }

  u16(field: string): number {
    this.#need(2, field);
    const b = this.bytes;
    const o = this.#offset;
    this.#offset += 2;
    return ((b[o] as number) << 8) | (b[o + 1] as number);
  }

  u32(field: string): number {
    this.#need(4, field);
    const b = this.bytes;
    const o = this.#offset;
    this.#offset += 4;
    return (((b[o] as number) << 24) >>> 0) + (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number));
  }

  u64(field: string): number {
    const high = this.u32(field);
    const low = this.u32(field);
    if (high > 0x1fffff) throw new WireFormatError(`${field} exceeds 2^53`);
    return high * 0x1_0000_0000 + low;
  }

  fixed(length: number, field: string): Uint8Array {
    this.#need(length, field);
    const out = this.bytes.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  id(field: string): string {
    const length = this.u8(field);
    if (length === 0 || length > WIRE_ID_MAX_LENGTH) throw new WireFormatError(`${field} length ${length} outside 1..${WIRE_ID_MAX_LENGTH}`);
    const raw = this.fixed(length, field);
    let text = '';
    for (const c of raw) text += String.fromCharCode(c);
    if (!WIRE_ID_PATTERN.test(text)) throw new WireFormatError(`${field} has characters outside ${WIRE_ID_PATTERN.source}`);
    return text;
  }

  #need(count: number, field: string): void {
    if (this.#offset + count > this.bytes.length) throw new WireFormatError(`truncated at ${field} (offset ${this.#offset}, need ${count}, have ${this.bytes.length - this.#offset})`);
  }
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Bytes of an even-length hex string; WireFormatError on anything else. */
export function fromHex(hex: string, field: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new WireFormatError(`${field} must be hex`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
