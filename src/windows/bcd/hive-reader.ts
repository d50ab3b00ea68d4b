/**
 * Strict registry hive reader: regf bytes → RegistryKey tree, checking the structure as it goes
 * (layout in hive-format.ts). Pure. Used to check our own output before it is served ("a BCD that would
 * not parse is never served") and by the unit tests; the independent check is hivex (test/windows).
 *
 * Refused (MalformedHiveError, with the reason): wrong signature/version/type, bad checksum, unequal
 * sequence numbers (a dirty hive needs its log), hbins out of place or not 4096-aligned, cells that do
 * not tile their hbin exactly or are not 8-aligned, references to anything but the start of an
 * allocated cell of the right kind, counts that disagree with lists, unsorted or mis-hashed leaves,
 * wrong parent links, loops, and security cells whose reference counts do not match their users.
 */
import {
  BASE, BASE_BLOCK_SIZE_BYTES, baseBlockChecksum, BIG_DATA_SEGMENT_MAX_BYTES, CELL_ALIGNMENT_BYTES,
  compareKeyNames, HBIN_ALIGNMENT_BYTES, HBIN_HEADER_SIZE_BYTES, KEY_COMP_NAME, KEY_DEPTH_MAX, keyNameHash,
  NK_FIXED_SIZE_BYTES, NO_CELL, SK_FIXED_SIZE_BYTES, unixMsFromFiletime, VALUE_COMP_NAME, VALUE_DATA_INLINE,
  VALUE_DATA_MAX_BYTES, VK_FIXED_SIZE_BYTES,
} from './hive-format.js';
import { decodeUtf16le, type RegistryKey, type RegistryValue } from './registry-tree.js';

/** Thrown by decodeRegistryHive for any structural fault; `reason` names it. */
export class MalformedHiveError extends Error {
  readonly code = 'PEERBOOT_ERR_MALFORMED_HIVE';
  constructor(readonly reason: string) {
    super(`malformed registry hive: ${reason}`);
    this.name = 'MalformedHiveError';
  }
}

export interface DecodedHive {
  root: RegistryKey;
  lastWrittenMs: number;
  minorVersion: number;
  fileName: string;
  /** Number of hbins and of allocated/free cells seen. */
  binCount: number;
  allocatedCellCount: number;
  freeCellCount: number;
}

/** Keys the reader will visit before giving up (a BCD has a few dozen). */
const KEYS_MAX = 100_000;

export function decodeRegistryHive(bytes: Uint8Array): DecodedHive {
  const fail = (reason: string): never => { throw new MalformedHiveError(reason); };
  if (bytes.length < BASE_BLOCK_SIZE_BYTES + HBIN_ALIGNMENT_BYTES) fail(`file is ${bytes.length} bytes, smaller than a base block and one hbin`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => view.getUint32(at, true);

  if (ascii(bytes, 0, 4) !== 'regf') fail('no "regf" signature');
  const checksum = u32(BASE.checksum);
  if (checksum !== baseBlockChecksum(bytes.subarray(0, BASE_BLOCK_SIZE_BYTES))) fail('base block checksum mismatch');
  if (u32(BASE.primarySequence) !== u32(BASE.secondarySequence)) fail('sequence numbers differ (dirty hive)');
  if (u32(BASE.majorVersion) !== 1) fail(`major version ${u32(BASE.majorVersion)}`);
  const minorVersion = u32(BASE.minorVersion);
  if (minorVersion < 3 || minorVersion > 6) fail(`minor version ${minorVersion}`);
  if (u32(BASE.fileType) !== 0) fail(`file type ${u32(BASE.fileType)} is not a primary file`);
  if (u32(BASE.fileFormat) !== 1) fail(`file format ${u32(BASE.fileFormat)}`);
  const binsSize = u32(BASE.hiveBinsDataSize);
  if (binsSize === 0 || binsSize % HBIN_ALIGNMENT_BYTES !== 0) fail(`hive bins data size ${binsSize} is not a positive multiple of 4096`);
  if (BASE_BLOCK_SIZE_BYTES + binsSize > bytes.length) fail('hive bins data runs past the end of the file');
  const lastWritten = view.getBigUint64(BASE.lastWritten, true);
  const fileNameRaw = decodeUtf16le(bytes.subarray(BASE.fileName, BASE.fileName + BASE.fileNameSizeBytes));
  const fileName = fileNameRaw.split('\0')[0] ?? '';

  // Walk hbins and cells: every byte of the bins data belongs to exactly one cell.
  const at = (offset: number) => BASE_BLOCK_SIZE_BYTES + offset;
  const allocated = new Map<number, number>(); // offset -> cell size
  let binCount = 0;
  let freeCellCount = 0;
  for (let bin = 0; bin < binsSize;) {
    if (ascii(bytes, at(bin), 4) !== 'hbin') fail(`no "hbin" signature at bins offset ${bin}`);
    if (u32(at(bin) + 4) !== bin) fail(`hbin at ${bin} says it is at ${u32(at(bin) + 4)}`);
    const binSize = u32(at(bin) + 8);
    if (binSize <= HBIN_HEADER_SIZE_BYTES || binSize % HBIN_ALIGNMENT_BYTES !== 0) fail(`hbin at ${bin} has size ${binSize}`);
    if (bin + binSize > binsSize) fail(`hbin at ${bin} runs past the hive bins data`);
    binCount++;
    let cell = bin + HBIN_HEADER_SIZE_BYTES;
    while (cell < bin + binSize) {
      const raw = view.getInt32(at(cell), true);
      const size = Math.abs(raw);
      if (size < CELL_ALIGNMENT_BYTES || size % CELL_ALIGNMENT_BYTES !== 0) fail(`cell at ${cell} has size ${raw}`);
      if (cell + size > bin + binSize) fail(`cell at ${cell} straddles the end of its hbin`);
      if (raw < 0) allocated.set(cell, size);
      else freeCellCount++;
      cell += size;
    }
    bin += binSize;
  }

  const cellPayload = (offset: number, what: string): Uint8Array => {
    const size = allocated.get(offset);
    if (size === undefined) return fail(`${what} points at ${offset}, not an allocated cell`);
    return bytes.subarray(at(offset) + 4, at(offset) + size);
  };
  const record = (offset: number, signature: string, what: string): { payload: Uint8Array; view: DataView } => {
    const payload = cellPayload(offset, what);
    if (payload.length < 2 || ascii(payload, 0, 2) !== signature) fail(`${what} at ${offset} is not an "${signature}" record`);
    return { payload, view: new DataView(payload.buffer, payload.byteOffset, payload.byteLength) };
  };

  const securityUsers = new Map<number, number>();
  const visited = new Set<number>();
  const readKey = (offset: number, parentOffset: number, depth: number, path: string): RegistryKey => {
    if (depth > KEY_DEPTH_MAX) fail(`${path}: deeper than ${KEY_DEPTH_MAX} levels`);
    if (visited.has(offset)) fail(`${path}: key cell ${offset} reached twice (loop or shared key)`);
    if (visited.size >= KEYS_MAX) fail(`more than ${KEYS_MAX} keys`);
    visited.add(offset);
    const { payload, view: nk } = record(offset, 'nk', `${path} key`);
    if (payload.length < NK_FIXED_SIZE_BYTES) fail(`${path}: nk record too short`);
    const flags = nk.getUint16(2, true);
    const nameLength = nk.getUint16(72, true);
    if (NK_FIXED_SIZE_BYTES + nameLength > payload.length) fail(`${path}: key name runs past its cell`);
    const name = readName(payload.subarray(NK_FIXED_SIZE_BYTES, NK_FIXED_SIZE_BYTES + nameLength), (flags & KEY_COMP_NAME) !== 0);
    const keyPath = depth === 0 ? '\\' : `${path === '\\' ? '' : path}\\${name}`;
    if (depth > 0 && nk.getUint32(16, true) !== parentOffset) fail(`${keyPath}: parent link is ${nk.getUint32(16, true)}, expected ${parentOffset}`);
    if (nk.getUint32(24, true) !== 0) fail(`${keyPath}: volatile subkeys on disk`);
    const security = nk.getUint32(44, true);
    record(security, 'sk', `${keyPath} security`);
    securityUsers.set(security, (securityUsers.get(security) ?? 0) + 1);

    const values: RegistryValue[] = [];
    const valueCount = nk.getUint32(36, true);
    if (valueCount > 0) {
      const list = cellPayload(nk.getUint32(40, true), `${keyPath} value list`);
      if (4 * valueCount > list.length) fail(`${keyPath}: value list shorter than ${valueCount} entries`);
      const listView = new DataView(list.buffer, list.byteOffset, list.byteLength);
      for (let i = 0; i < valueCount; i++) values.push(readValue(listView.getUint32(4 * i, true), keyPath));
    }

    const subkeys: RegistryKey[] = [];
    const subkeyCount = nk.getUint32(20, true);
    if (subkeyCount > 0) {
      const listOffset = nk.getUint32(28, true);
      const list = cellPayload(listOffset, `${keyPath} subkey list`);
      const sig = ascii(list, 0, 2);
      if (sig !== 'lh' && sig !== 'lf' && sig !== 'li') fail(`${keyPath}: subkey list is "${sig}" (index roots are not supported)`);
      const listView = new DataView(list.buffer, list.byteOffset, list.byteLength);
      const count = listView.getUint16(2, true);
      const stride = sig === 'li' ? 4 : 8;
      if (count !== subkeyCount) fail(`${keyPath}: key says ${subkeyCount} subkeys, list holds ${count}`);
      if (4 + stride * count > list.length) fail(`${keyPath}: subkey list runs past its cell`);
      let previous: string | null = null;
      for (let i = 0; i < count; i++) {
        const childOffset = listView.getUint32(4 + stride * i, true);
        const child = readKey(childOffset, offset, depth + 1, keyPath);
        if (sig === 'lh' && listView.getUint32(8 + stride * i, true) !== keyNameHash(child.name)) fail(`${keyPath}: wrong hash for ${child.name}`);
        if (sig === 'lf' && listView.getUint32(8 + stride * i, true) !== nameHint(child.name)) fail(`${keyPath}: wrong hint for ${child.name}`);
        if (previous !== null && compareKeyNames(previous, child.name) >= 0) fail(`${keyPath}: subkeys not sorted (${previous}, ${child.name})`);
        previous = child.name;
        subkeys.push(child);
      }
    }
    const seen = new Set<string>();
    for (const v of values) {
      if (seen.has(v.name.toUpperCase())) fail(`${keyPath}: duplicate value ${v.name}`);
      seen.add(v.name.toUpperCase());
    }
    return { name, values, subkeys };
  };

  const readValue = (offset: number, keyPath: string): RegistryValue => {
    const { payload, view: vk } = record(offset, 'vk', `${keyPath} value`);
    if (payload.length < VK_FIXED_SIZE_BYTES) fail(`${keyPath}: vk record too short`);
    const nameLength = vk.getUint16(2, true);
    if (VK_FIXED_SIZE_BYTES + nameLength > payload.length) fail(`${keyPath}: value name runs past its cell`);
    const name = readName(payload.subarray(VK_FIXED_SIZE_BYTES, VK_FIXED_SIZE_BYTES + nameLength), (vk.getUint16(16, true) & VALUE_COMP_NAME) !== 0);
    const sizeField = vk.getUint32(4, true);
    const type = vk.getUint32(12, true);
    const length = sizeField & ~VALUE_DATA_INLINE;
    if (length > VALUE_DATA_MAX_BYTES) fail(`${keyPath}\\${name}: data length ${length}`);
    if ((sizeField & VALUE_DATA_INLINE) !== 0) {
      if (length > 4) fail(`${keyPath}\\${name}: inline data of ${length} bytes`);
      return { name, type, data: payload.slice(8, 8 + length) };
    }
    const dataOffset = vk.getUint32(8, true);
    if (length === 0) return { name, type, data: new Uint8Array(0) };
    if (length <= BIG_DATA_SEGMENT_MAX_BYTES) {
      const data = cellPayload(dataOffset, `${keyPath}\\${name} data`);
      if (length > data.length) fail(`${keyPath}\\${name}: data cell smaller than ${length} bytes`);
      return { name, type, data: data.slice(0, length) };
    }
    const { view: db } = record(dataOffset, 'db', `${keyPath}\\${name} big data`);
    const segmentCount = db.getUint16(2, true);
    if (segmentCount !== Math.ceil(length / BIG_DATA_SEGMENT_MAX_BYTES)) fail(`${keyPath}\\${name}: ${segmentCount} segments for ${length} bytes`);
    const list = cellPayload(db.getUint32(4, true), `${keyPath}\\${name} segment list`);
    if (4 * segmentCount > list.length) fail(`${keyPath}\\${name}: segment list too short`);
    const listView = new DataView(list.buffer, list.byteOffset, list.byteLength);
    const data = new Uint8Array(length);
    for (let i = 0; i < segmentCount; i++) {
      const want = Math.min(BIG_DATA_SEGMENT_MAX_BYTES, length - i * BIG_DATA_SEGMENT_MAX_BYTES);
      const segment = cellPayload(listView.getUint32(4 * i, true), `${keyPath}\\${name} segment ${i}`);
      if (segment.length < want) fail(`${keyPath}\\${name}: segment ${i} holds ${segment.length} bytes, needs ${want}`);
      data.set(segment.subarray(0, want), i * BIG_DATA_SEGMENT_MAX_BYTES);
    }
    return { name, type, data };
  };

  const rootOffset = u32(BASE.rootCellOffset);
  const root = readKey(rootOffset, NO_CELL, 0, '\\');

  // Security cells: each one's reference count equals the keys using it, and its list links are sane.
  for (const [offset, users] of securityUsers) {
    const { payload, view: sk } = record(offset, 'sk', 'security');
    if (payload.length < SK_FIXED_SIZE_BYTES) fail(`security cell ${offset} too short`);
    if (sk.getUint32(12, true) !== users) fail(`security cell ${offset} counts ${sk.getUint32(12, true)} users, ${users} keys use it`);
    const length = sk.getUint32(16, true);
    if (SK_FIXED_SIZE_BYTES + length > payload.length) fail(`security cell ${offset}: descriptor runs past its cell`);
    for (const link of [sk.getUint32(4, true), sk.getUint32(8, true)]) record(link, 'sk', `security cell ${offset} link`);
  }

  return {
    root,
    lastWrittenMs: unixMsFromFiletime(lastWritten),
    minorVersion,
    fileName,
    binCount,
    allocatedCellCount: allocated.size,
    freeCellCount,
  };
}

function ascii(bytes: Uint8Array, from: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(from, from + length));
}

function readName(raw: Uint8Array, compressed: boolean): string {
  if (compressed) return String.fromCharCode(...raw);
  if (raw.length % 2 !== 0) throw new MalformedHiveError('UTF-16 name with odd length');
  return decodeUtf16le(raw);
}

/** Fast-leaf ("lf") hint: the first four characters of the name, one byte each, zero-padded. */
function nameHint(name: string): number {
  let hint = 0;
  for (let i = 0; i < Math.min(4, name.length); i++) hint |= (name.charCodeAt(i) & 0xff) << (8 * i);
  return hint >>> 0;
}
