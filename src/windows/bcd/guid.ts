/**
 * GUIDs as BCD stores them. Pure.
 *
 * BCD object keys are GUID strings in braces, lower case (`{9dea862c-5cdd-4e70-acc1-f32b344d4795}`).
 * Inside binary element data (the `AdditionalOptions` GUID of a device element) a GUID is the Windows
 * `GUID` struct in memory: Data1 (u32), Data2 (u16), Data3 (u16) little-endian, then Data4 (8 bytes)
 * as written. So `{ae5534e0-a924-466c-…}` begins with the bytes `e0 34 55 ae 24 a9 6c 46`.
 */

const GUID_PATTERN = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

/** Thrown when a string is not a GUID in `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` form. */
export class InvalidGuidError extends Error {
  readonly code = 'PEERBOOT_ERR_INVALID_GUID';
  constructor(readonly text: string) {
    super(`not a GUID: ${JSON.stringify(text)} (expected {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx})`);
    this.name = 'InvalidGuidError';
  }
}

/** Normalises a GUID to the form BCD uses for key names: braces, lower case. Braces are optional on input. */
export function formatBcdGuid(text: string): string {
  const m = GUID_PATTERN.exec(text);
  if (!m) throw new InvalidGuidError(text);
  return `{${m[1]}-${m[2]}-${m[3]}-${m[4]}-${m[5]}}`.toLowerCase();
}

/** The 16 bytes of a Windows `GUID` struct (mixed endian, see the module header). */
export function encodeGuid(text: string): Uint8Array {
  const m = GUID_PATTERN.exec(text);
  if (!m) throw new InvalidGuidError(text);
  const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
  const out = new Uint8Array(16);
  out.set(hex(m[1]!).reverse(), 0);
  out.set(hex(m[2]!).reverse(), 4);
  out.set(hex(m[3]!).reverse(), 6);
  out.set(hex(m[4]!), 8);
  out.set(hex(m[5]!), 10);
  return out;
}

/** Inverse of encodeGuid: 16 bytes → `{…}` lower case. */
export function decodeGuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`a GUID is 16 bytes, got ${bytes.length}`);
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const le = (from: number, to: number) => hex(bytes.slice(from, to).reverse());
  return `{${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${hex(bytes.slice(8, 10))}-${hex(bytes.slice(10, 16))}}`;
}
