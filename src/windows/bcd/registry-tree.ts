/**
 * An in-memory registry key/value tree: what the hive writer (hive-writer.ts) turns into bytes and the
 * hive reader (hive-reader.ts) gives back. Pure. Value types and encodings follow the Windows registry
 * (winnt.h REG_* constants): strings are UTF-16LE with a terminating NUL, REG_MULTI_SZ is a list of
 * NUL-terminated strings followed by one more NUL, DWORD/QWORD are little-endian.
 */

export const REG_NONE = 0;
export const REG_SZ = 1;
export const REG_EXPAND_SZ = 2;
export const REG_BINARY = 3;
export const REG_DWORD = 4;
export const REG_DWORD_BIG_ENDIAN = 5;
export const REG_LINK = 6;
export const REG_MULTI_SZ = 7;
export const REG_QWORD = 11;

/** A value under a key. `name` '' is the key's default value. `type` is any REG_* number. */
export interface RegistryValue {
  readonly name: string;
  readonly type: number;
  readonly data: Uint8Array;
}

/** A key with its values and subkeys (subkey order does not matter: the writer sorts them as Windows does). */
export interface RegistryKey {
  readonly name: string;
  readonly values: readonly RegistryValue[];
  readonly subkeys: readonly RegistryKey[];
}

/** Builds a key; values and subkeys default to none. */
export function registryKey(
  name: string,
  parts: { values?: readonly RegistryValue[]; subkeys?: readonly RegistryKey[] } = {},
): RegistryKey {
  return { name, values: parts.values ?? [], subkeys: parts.subkeys ?? [] };
}

/** UTF-16LE bytes of `text` (code units as they are; no BOM). */
export function encodeUtf16le(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out[2 * i] = unit & 0xff;
    out[2 * i + 1] = unit >>> 8;
  }
  return out;
}

/** Inverse of encodeUtf16le; an odd trailing byte is an error. */
export function decodeUtf16le(bytes: Uint8Array): string {
  if (bytes.length % 2 !== 0) throw new RangeError(`UTF-16LE data has odd length ${bytes.length}`);
  let text = '';
  for (let i = 0; i < bytes.length; i += 2) text += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
  return text;
}

/** REG_SZ data: the string and one UTF-16 NUL. */
export function regSzData(text: string): Uint8Array {
  return encodeUtf16le(`${text}\0`);
}

/** REG_MULTI_SZ data: each string NUL-terminated, then a final NUL (an empty list is just the final NUL). */
export function regMultiSzData(texts: readonly string[]): Uint8Array {
  for (const t of texts) {
    if (t.length === 0 || t.includes('\0')) throw new RangeError('REG_MULTI_SZ items must be non-empty and contain no NUL');
  }
  return encodeUtf16le(`${texts.map((t) => `${t}\0`).join('')}\0`);
}

/** Little-endian unsigned integer of `sizeBytes` bytes (4 or 8); `value` must fit. */
export function littleEndianData(value: bigint | number, sizeBytes: 4 | 8): Uint8Array {
  const v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(8 * sizeBytes)) throw new RangeError(`${value} does not fit in ${sizeBytes} bytes`);
  const out = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Value constructors for the common types. */
export const registryValue = {
  sz: (name: string, text: string): RegistryValue => ({ name, type: REG_SZ, data: regSzData(text) }),
  multiSz: (name: string, texts: readonly string[]): RegistryValue => ({ name, type: REG_MULTI_SZ, data: regMultiSzData(texts) }),
  dword: (name: string, value: number): RegistryValue => ({ name, type: REG_DWORD, data: littleEndianData(value, 4) }),
  qword: (name: string, value: bigint | number): RegistryValue => ({ name, type: REG_QWORD, data: littleEndianData(value, 8) }),
  binary: (name: string, data: Uint8Array): RegistryValue => ({ name, type: REG_BINARY, data }),
};
