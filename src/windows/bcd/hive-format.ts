/**
 * Layout of the Windows registry hive file ("regf"), shared by hive-writer.ts and hive-reader.ts. Pure.
 * Sources: libyal "Windows NT Registry File (REGF) format" and M. Suhanov "Windows registry file format
 * specification" (msuhanov/regf); checked against hivex (libguestfs) and Windows' own rules where they
 * are known (checksum fix-up, sorted hash-leaf lists).
 *
 *   file offset 0      base block, 4096 bytes: "regf", sequence numbers, FILETIME, version 1.5,
 *                      root cell offset, size of the hive bins data, XOR-32 checksum at 508
 *   file offset 4096   hive bins data: hbins, each a multiple of 4096 bytes with a 32-byte header,
 *                      then cells. A cell is an int32 size (negative = allocated, positive = free;
 *                      always a multiple of 8, the size field included) and its payload.
 *
 * Every offset inside the hive (root, parent, lists, values, data) is relative to the start of the
 * hive bins data (file offset 4096) and points at a cell's size field.
 */

export const BASE_BLOCK_SIZE_BYTES = 4096;
export const HBIN_ALIGNMENT_BYTES = 4096;
export const HBIN_HEADER_SIZE_BYTES = 32;
export const CELL_ALIGNMENT_BYTES = 8;
/** "no cell" in offset fields (Windows HCELL_NIL). */
export const NO_CELL = 0xffffffff;

/** Base block field offsets. */
export const BASE = {
  signature: 0,
  primarySequence: 4,
  secondarySequence: 8,
  lastWritten: 12,
  majorVersion: 20,
  minorVersion: 24,
  fileType: 28,
  fileFormat: 32,
  rootCellOffset: 36,
  hiveBinsDataSize: 40,
  clusteringFactor: 44,
  fileName: 48,
  fileNameSizeBytes: 64,
  checksum: 508,
} as const;

/** Version written: 1.5 (Windows XP and later) is the first with hash leaves ("lh") and big data ("db"). */
export const HIVE_MAJOR_VERSION = 1;
export const HIVE_MINOR_VERSION = 5;

/** Key node ("nk") flags (CM_KEY_NODE.Flags). */
export const KEY_HIVE_ENTRY = 0x0004;
export const KEY_NO_DELETE = 0x0008;
export const KEY_COMP_NAME = 0x0020;
/** Key value ("vk") flag: the name is stored one byte per character. */
export const VALUE_COMP_NAME = 0x0001;
/** vk data size bit: the data (≤ 4 bytes) sits in the data-offset field itself. */
export const VALUE_DATA_INLINE = 0x80000000;

/** Fixed parts of the records (payload bytes after the cell's size field). */
export const NK_FIXED_SIZE_BYTES = 76;
export const VK_FIXED_SIZE_BYTES = 20;
export const SK_FIXED_SIZE_BYTES = 20;
export const LIST_HEADER_SIZE_BYTES = 4;
export const DB_RECORD_SIZE_BYTES = 8;
/**
 * Values longer than this are split into "db" segments (hive 1.4+). 16344 = a 16384-byte bin minus its
 * 32-byte header, the cell's size field and 4 spare bytes: one segment fills one 4-page bin exactly.
 */
export const BIG_DATA_SEGMENT_MAX_BYTES = 16344;

/** Windows' key name limit (MSDN "Registry Element Size Limits"). */
export const KEY_NAME_MAX_CHARS = 255;
export const VALUE_NAME_MAX_CHARS = 16383;
/** MSDN: a registry tree can be 512 levels deep. */
export const KEY_DEPTH_MAX = 512;
/**
 * Windows splits a subkey list into an index root ("ri") of several leaves beyond ~1012 entries; we
 * never need that many for a BCD, so the writer refuses more than this instead of writing "ri".
 */
export const SUBKEYS_PER_KEY_MAX = 1000;
export const VALUES_PER_KEY_MAX = 4096;
/** Sanity bound on one value's data (a BCD element is a few hundred bytes). */
export const VALUE_DATA_MAX_BYTES = 1024 * 1024;

/** Rounds `n` up to a multiple of `alignment` (a power of two). */
export function alignUp(n: number, alignment: number): number {
  return (n + alignment - 1) & ~(alignment - 1);
}

/**
 * Base block checksum: XOR of the 127 little-endian dwords before offset 508. Windows
 * (HvpHeaderCheckSum) turns a result of 0 into 1 and 0xFFFFFFFF into 0xFFFFFFFE; hivex compares the
 * plain XOR, so for those two (2^-31-likely) sums only Windows accepts the file.
 */
export function baseBlockChecksum(base: Uint8Array): number {
  const view = new DataView(base.buffer, base.byteOffset, BASE.checksum);
  let sum = 0;
  for (let i = 0; i < BASE.checksum; i += 4) sum ^= view.getUint32(i, true);
  sum >>>= 0;
  if (sum === 0) return 1;
  if (sum === 0xffffffff) return 0xfffffffe;
  return sum;
}

/** Upper-cases one UTF-16 code unit the way RtlUpcaseUnicodeChar does for the characters we meet. */
export function upcaseUnit(unit: number): number {
  if (unit >= 0x61 && unit <= 0x7a) return unit - 0x20;
  if (unit < 0x80) return unit;
  const upper = String.fromCharCode(unit).toUpperCase();
  return upper.length === 1 ? upper.charCodeAt(0) : unit;
}

/** Hash-leaf ("lh") hash: h = 37·h + upcase(c) over the UTF-16 code units of the name, mod 2^32. */
export function keyNameHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 37) + upcaseUnit(name.charCodeAt(i))) >>> 0;
  return h;
}

/**
 * Order of subkeys in a leaf: case-insensitive, by upcased UTF-16 code unit (Windows looks keys up by
 * binary search over this order, so an unsorted list hides keys from Windows but not from hivex).
 */
export function compareKeyNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = upcaseUnit(a.charCodeAt(i)) - upcaseUnit(b.charCodeAt(i));
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** True when every character fits one byte: the name can be stored "compressed" (KEY_COMP_NAME). */
export function isCompressibleName(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** FILETIME (100 ns since 1601-01-01 UTC) of a Unix time in milliseconds. */
export function filetimeFromUnixMs(ms: number): bigint {
  if (!Number.isSafeInteger(ms) || ms < -11644473600000) throw new RangeError(`bad time ${ms}`);
  return (BigInt(ms) + 11644473600000n) * 10000n;
}

/** Unix milliseconds of a FILETIME (truncated to whole milliseconds). */
export function unixMsFromFiletime(filetime: bigint): number {
  return Number(filetime / 10000n - 11644473600000n);
}
