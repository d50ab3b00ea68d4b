/**
 * Registry hive writer: RegistryKey tree → regf bytes (layout in hive-format.ts). Pure and
 * deterministic: the same tree and options always give the same bytes (the timestamp is fixed unless
 * given). Writes a hive as a freshly compacted Windows hive looks: version 1.5, hash-leaf ("lh")
 * subkey lists sorted case-insensitively, one shared security cell ("sk") referenced by every key,
 * data ≤ 4 bytes inline in the "vk", data > 16344 bytes as big data ("db" + segment list), and no
 * class names. Cells never straddle an hbin; the unused tail of each hbin is one free cell.
 */
import {
  alignUp, BASE, BASE_BLOCK_SIZE_BYTES, baseBlockChecksum, BIG_DATA_SEGMENT_MAX_BYTES, CELL_ALIGNMENT_BYTES,
  compareKeyNames, DB_RECORD_SIZE_BYTES, filetimeFromUnixMs, HBIN_ALIGNMENT_BYTES, HBIN_HEADER_SIZE_BYTES,
  HIVE_MAJOR_VERSION, HIVE_MINOR_VERSION, isCompressibleName, KEY_COMP_NAME, KEY_DEPTH_MAX, KEY_HIVE_ENTRY,
  KEY_NAME_MAX_CHARS, KEY_NO_DELETE, keyNameHash, LIST_HEADER_SIZE_BYTES, NK_FIXED_SIZE_BYTES, NO_CELL,
  SK_FIXED_SIZE_BYTES, SUBKEYS_PER_KEY_MAX, VALUE_COMP_NAME, VALUE_DATA_INLINE, VALUE_DATA_MAX_BYTES,
  VALUE_NAME_MAX_CHARS, VALUES_PER_KEY_MAX, VK_FIXED_SIZE_BYTES,
} from './hive-format.js';
import { encodeUtf16le, type RegistryKey, type RegistryValue } from './registry-tree.js';

/** 2020-01-01T00:00:00Z: the timestamp written when none is given, so output is reproducible. */
export const FIXED_HIVE_TIME_MS = Date.UTC(2020, 0, 1);

export interface EncodeHiveOptions {
  /** Last-written time of the hive and of every key, Unix ms. Default FIXED_HIVE_TIME_MS. */
  lastWrittenMs?: number;
  /** Debugging name kept in the base block (UTF-16, at most 31 characters), e.g. "\\Boot\\BCD". Default none. */
  fileName?: string;
  /** Self-relative security descriptor shared by all keys. Default: defaultKeySecurityDescriptor(). */
  securityDescriptor?: Uint8Array;
}

/** Thrown when a tree cannot be written as a hive (bad name, duplicate, over a limit). */
export class InvalidRegistryTreeError extends Error {
  readonly code = 'PEERBOOT_ERR_INVALID_REGISTRY_TREE';
  constructor(readonly path: string, readonly reason: string) {
    super(`cannot write registry key ${path || '\\'}: ${reason}`);
    this.name = 'InvalidRegistryTreeError';
  }
}

/**
 * A self-relative SECURITY_DESCRIPTOR: owner BUILTIN\Administrators, group SYSTEM, a DACL granting
 * KEY_ALL_ACCESS to SYSTEM and Administrators, inherited by subkeys (CONTAINER_INHERIT_ACE), as
 * Windows puts on a BCD store it creates. Windows checks that every key has a valid descriptor.
 */
export function defaultKeySecurityDescriptor(): Uint8Array {
  const system = [0x01, 0x01, 0, 0, 0, 0, 0, 0x05, 0x12, 0, 0, 0]; // S-1-5-18
  const admins = [0x01, 0x02, 0, 0, 0, 0, 0, 0x05, 0x20, 0, 0, 0, 0x20, 0x02, 0, 0]; // S-1-5-32-544
  const KEY_ALL_ACCESS = [0x3f, 0x00, 0x0f, 0x00];
  const ace = (sid: number[]) => [0x00 /* ACCESS_ALLOWED */, 0x02 /* CONTAINER_INHERIT */, 8 + sid.length, 0, ...KEY_ALL_ACCESS, ...sid];
  const aces = [...ace(system), ...ace(admins)];
  const acl = [0x02, 0, 8 + aces.length, 0, 2, 0, 0, 0, ...aces];
  const daclOffset = 20;
  const ownerOffset = daclOffset + acl.length;
  const groupOffset = ownerOffset + admins.length;
  const header = new Uint8Array(20);
  const view = new DataView(header.buffer);
  header[0] = 1; // revision
  view.setUint16(2, 0x8004, true); // SE_SELF_RELATIVE | SE_DACL_PRESENT
  view.setUint32(4, ownerOffset, true);
  view.setUint32(8, groupOffset, true);
  view.setUint32(12, 0, true); // no SACL
  view.setUint32(16, daclOffset, true);
  return Uint8Array.from([...header, ...acl, ...admins, ...system]);
}

/** Writes `root` (the hive's root key) as regf bytes. Throws InvalidRegistryTreeError on a bad tree. */
export function encodeRegistryHive(root: RegistryKey, options: EncodeHiveOptions = {}): Uint8Array {
  const filetime = filetimeFromUnixMs(options.lastWrittenMs ?? FIXED_HIVE_TIME_MS);
  const securityDescriptor = options.securityDescriptor ?? defaultKeySecurityDescriptor();
  const fileName = options.fileName ?? '';
  if (fileName.length > 31) throw new RangeError('hive fileName is at most 31 characters');

  const cells = new CellAllocator();
  const keyCount = countKeys(root, '', 0);

  // Layout pass: every cell gets its offset first, so records can point at each other.
  const rootNk = cells.allocate(nkSize(root.name));
  const sk = cells.allocate(SK_FIXED_SIZE_BYTES + securityDescriptor.length);
  placeKey(root, rootNk, NO_CELL, true);

  function placeKey(key: RegistryKey, nkOffset: number, parentOffset: number, isRoot: boolean): void {
    const values = key.values.map((value) => placeValue(value));
    const valueList = values.length > 0 ? cells.allocate(4 * values.length) : NO_CELL;
    const children = [...key.subkeys].sort((a, b) => compareKeyNames(a.name, b.name));
    const subkeyList = children.length > 0 ? cells.allocate(LIST_HEADER_SIZE_BYTES + 8 * children.length) : NO_CELL;
    const childOffsets = children.map((child) => cells.allocate(nkSize(child.name)));

    cells.fill(nkOffset, encodeNk(key, {
      isRoot, parentOffset, subkeyList, valueList, securityOffset: sk, filetime,
      subkeyCount: children.length, valueCount: values.length,
    }));
    if (valueList !== NO_CELL) cells.fill(valueList, encodeOffsetList(values));
    if (subkeyList !== NO_CELL) cells.fill(subkeyList, encodeHashLeaf(children.map((c, i) => ({ name: c.name, offset: childOffsets[i]! }))));
    children.forEach((child, i) => placeKey(child, childOffsets[i]!, nkOffset, false));
  }

  function placeValue(value: RegistryValue): number {
    const vk = cells.allocate(VK_FIXED_SIZE_BYTES + storedName(value.name).bytes.length);
    const length = value.data.length;
    let dataField: number;
    let sizeField: number;
    if (length <= 4) {
      // Inline: the bytes sit in the data-offset field, low bytes first.
      const inline = new Uint8Array(4);
      inline.set(value.data);
      dataField = new DataView(inline.buffer).getUint32(0, true);
      sizeField = (VALUE_DATA_INLINE | length) >>> 0;
    } else if (length <= BIG_DATA_SEGMENT_MAX_BYTES) {
      dataField = cells.allocate(length);
      cells.fill(dataField, value.data);
      sizeField = length;
    } else {
      dataField = placeBigData(value.data);
      sizeField = length;
    }
    cells.fill(vk, encodeVk(value, sizeField, dataField));
    return vk;
  }

  function placeBigData(data: Uint8Array): number {
    const segmentCount = Math.ceil(data.length / BIG_DATA_SEGMENT_MAX_BYTES);
    const db = cells.allocate(DB_RECORD_SIZE_BYTES);
    const list = cells.allocate(4 * segmentCount);
    const segments: number[] = [];
    for (let i = 0; i < segmentCount; i++) {
      const chunk = data.subarray(i * BIG_DATA_SEGMENT_MAX_BYTES, (i + 1) * BIG_DATA_SEGMENT_MAX_BYTES);
      // 4 spare bytes after every segment, as Windows leaves them: hivex reads (cell size - 8) bytes
      // from each segment, so without them it would drop the tail of a short last segment.
      const segment = cells.allocate(chunk.length + 4);
      cells.fill(segment, chunk);
      segments.push(segment);
    }
    const record = new Uint8Array(DB_RECORD_SIZE_BYTES);
    const view = new DataView(record.buffer);
    record.set([0x64, 0x62]); // "db"
    view.setUint16(2, segmentCount, true);
    view.setUint32(4, list, true);
    cells.fill(db, record);
    cells.fill(list, encodeOffsetList(segments));
    return db;
  }

  // The one security cell: a list of one (Flink = Blink = itself), referenced by every key.
  const skRecord = new Uint8Array(SK_FIXED_SIZE_BYTES + securityDescriptor.length);
  const skView = new DataView(skRecord.buffer);
  skRecord.set([0x73, 0x6b]); // "sk"
  skView.setUint32(4, sk, true);
  skView.setUint32(8, sk, true);
  skView.setUint32(12, keyCount, true);
  skView.setUint32(16, securityDescriptor.length, true);
  skRecord.set(securityDescriptor, SK_FIXED_SIZE_BYTES);
  cells.fill(sk, skRecord);

  const bins = cells.toBytes(filetime);
  const file = new Uint8Array(BASE_BLOCK_SIZE_BYTES + bins.length);
  file.set(encodeBaseBlock({ rootNk, binsSize: bins.length, filetime, fileName }), 0);
  file.set(bins, BASE_BLOCK_SIZE_BYTES);
  return file;
}

/** Hands out cell offsets within hbins, then writes the bins. */
class CellAllocator {
  private readonly bins: { offset: number; size: number }[] = [];
  private readonly cells: { offset: number; size: number; payload: Uint8Array | null }[] = [];
  private readonly byOffset = new Map<number, number>();
  private cursor = 0;
  private binEnd = 0;

  /** Reserves a cell for `payloadBytes` bytes of payload; returns its offset (relative to the bins data). */
  allocate(payloadBytes: number): number {
    const size = alignUp(4 + payloadBytes, CELL_ALIGNMENT_BYTES);
    if (this.cursor + size > this.binEnd) {
      // Start a new bin; the old bin's tail becomes a free cell in toBytes().
      const binSize = Math.max(HBIN_ALIGNMENT_BYTES, alignUp(HBIN_HEADER_SIZE_BYTES + size, HBIN_ALIGNMENT_BYTES));
      this.bins.push({ offset: this.binEnd, size: binSize });
      this.cursor = this.binEnd + HBIN_HEADER_SIZE_BYTES;
      this.binEnd += binSize;
    }
    const offset = this.cursor;
    this.cursor += size;
    this.byOffset.set(offset, this.cells.length);
    this.cells.push({ offset, size, payload: null });
    return offset;
  }

  fill(offset: number, payload: Uint8Array): void {
    const cell = this.cells[this.byOffset.get(offset) ?? -1];
    if (!cell || cell.payload !== null || payload.length > cell.size - 4) throw new Error(`hive writer: bad fill of cell ${offset}`);
    cell.payload = payload;
  }

  toBytes(filetime: bigint): Uint8Array {
    const out = new Uint8Array(this.binEnd);
    const view = new DataView(out.buffer);
    this.bins.forEach((bin, i) => {
      out.set([0x68, 0x62, 0x69, 0x6e], bin.offset); // "hbin"
      view.setUint32(bin.offset + 4, bin.offset, true);
      view.setUint32(bin.offset + 8, bin.size, true);
      // The first bin's timestamp backs up the base block's (msuhanov §Hive bin, note 3).
      if (i === 0) view.setBigUint64(bin.offset + 20, filetime, true);
    });
    for (const cell of this.cells) {
      if (cell.payload === null) throw new Error(`hive writer: cell ${cell.offset} never filled`);
      view.setInt32(cell.offset, -cell.size, true);
      out.set(cell.payload, cell.offset + 4);
    }
    // Free cells: from the end of the last cell of each bin to the bin's end.
    for (const bin of this.bins) {
      const end = bin.offset + bin.size;
      let used = bin.offset + HBIN_HEADER_SIZE_BYTES;
      for (const cell of this.cells) if (cell.offset >= bin.offset && cell.offset < end) used = Math.max(used, cell.offset + cell.size);
      if (used < end) view.setInt32(used, end - used, true);
    }
    return out;
  }
}

function storedName(name: string): { bytes: Uint8Array; compressed: boolean } {
  if (isCompressibleName(name)) return { bytes: Uint8Array.from(name, (c) => c.charCodeAt(0)), compressed: true };
  return { bytes: encodeUtf16le(name), compressed: false };
}

function nkSize(name: string): number {
  return NK_FIXED_SIZE_BYTES + storedName(name).bytes.length;
}

function countKeys(key: RegistryKey, parentPath: string, depth: number): number {
  const path = depth === 0 ? '' : `${parentPath}\\${key.name}`;
  if (depth > KEY_DEPTH_MAX) throw new InvalidRegistryTreeError(path, `deeper than ${KEY_DEPTH_MAX} levels`);
  if (key.name.length === 0 && depth > 0) throw new InvalidRegistryTreeError(path, 'empty key name');
  if (key.name.length > KEY_NAME_MAX_CHARS) throw new InvalidRegistryTreeError(path, `key name longer than ${KEY_NAME_MAX_CHARS} characters`);
  if (key.name.includes('\\')) throw new InvalidRegistryTreeError(path, 'key name contains a backslash');
  if (key.subkeys.length > SUBKEYS_PER_KEY_MAX) throw new InvalidRegistryTreeError(path, `more than ${SUBKEYS_PER_KEY_MAX} subkeys`);
  if (key.values.length > VALUES_PER_KEY_MAX) throw new InvalidRegistryTreeError(path, `more than ${VALUES_PER_KEY_MAX} values`);
  const seenValues = new Set<string>();
  for (const value of key.values) {
    const folded = value.name.toUpperCase();
    if (seenValues.has(folded)) throw new InvalidRegistryTreeError(path, `duplicate value name ${JSON.stringify(value.name)}`);
    seenValues.add(folded);
    if (value.name.length > VALUE_NAME_MAX_CHARS) throw new InvalidRegistryTreeError(path, 'value name too long');
    if (value.data.length > VALUE_DATA_MAX_BYTES) throw new InvalidRegistryTreeError(path, `value ${value.name} data over ${VALUE_DATA_MAX_BYTES} bytes`);
    if (!Number.isInteger(value.type) || value.type < 0 || value.type > 0xffffffff) throw new InvalidRegistryTreeError(path, `value ${value.name} has bad type`);
  }
  const sorted = [...key.subkeys].sort((a, b) => compareKeyNames(a.name, b.name));
  for (let i = 1; i < sorted.length; i++) {
    if (compareKeyNames(sorted[i - 1]!.name, sorted[i]!.name) === 0) throw new InvalidRegistryTreeError(path, `duplicate subkey ${sorted[i]!.name}`);
  }
  let count = 1;
  for (const child of key.subkeys) count += countKeys(child, path, depth + 1);
  return count;
}

interface NkFields {
  isRoot: boolean;
  parentOffset: number;
  subkeyList: number;
  valueList: number;
  securityOffset: number;
  filetime: bigint;
  subkeyCount: number;
  valueCount: number;
}

function encodeNk(key: RegistryKey, f: NkFields): Uint8Array {
  const name = storedName(key.name);
  const out = new Uint8Array(NK_FIXED_SIZE_BYTES + name.bytes.length);
  const view = new DataView(out.buffer);
  out.set([0x6e, 0x6b]); // "nk"
  let flags = name.compressed ? KEY_COMP_NAME : 0;
  if (f.isRoot) flags |= KEY_HIVE_ENTRY | KEY_NO_DELETE;
  view.setUint16(2, flags, true);
  view.setBigUint64(4, f.filetime, true);
  view.setUint32(12, 0, true); // spare / access bits
  view.setUint32(16, f.parentOffset, true);
  view.setUint32(20, f.subkeyCount, true);
  view.setUint32(24, 0, true); // volatile subkeys: never on disk
  view.setUint32(28, f.subkeyList, true);
  view.setUint32(32, NO_CELL, true);
  view.setUint32(36, f.valueCount, true);
  view.setUint32(40, f.valueList, true);
  view.setUint32(44, f.securityOffset, true);
  view.setUint32(48, NO_CELL, true); // no class name
  // Largest names in bytes of UTF-16, as Windows' configuration manager keeps them.
  view.setUint32(52, Math.max(0, ...key.subkeys.map((k) => 2 * k.name.length)), true);
  view.setUint32(56, 0, true); // largest class name
  view.setUint32(60, Math.max(0, ...key.values.map((v) => 2 * v.name.length)), true);
  view.setUint32(64, Math.max(0, ...key.values.map((v) => v.data.length)), true);
  view.setUint32(68, 0, true); // WorkVar
  view.setUint16(72, name.bytes.length, true);
  view.setUint16(74, 0, true); // class name length
  out.set(name.bytes, NK_FIXED_SIZE_BYTES);
  return out;
}

function encodeVk(value: RegistryValue, sizeField: number, dataField: number): Uint8Array {
  const name = storedName(value.name);
  const out = new Uint8Array(VK_FIXED_SIZE_BYTES + name.bytes.length);
  const view = new DataView(out.buffer);
  out.set([0x76, 0x6b]); // "vk"
  view.setUint16(2, name.bytes.length, true);
  view.setUint32(4, sizeField, true);
  view.setUint32(8, dataField >>> 0, true);
  view.setUint32(12, value.type >>> 0, true);
  view.setUint16(16, name.compressed ? VALUE_COMP_NAME : 0, true);
  out.set(name.bytes, VK_FIXED_SIZE_BYTES);
  return out;
}

function encodeOffsetList(offsets: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * offsets.length);
  const view = new DataView(out.buffer);
  offsets.forEach((o, i) => view.setUint32(4 * i, o, true));
  return out;
}

function encodeHashLeaf(entries: readonly { name: string; offset: number }[]): Uint8Array {
  const out = new Uint8Array(LIST_HEADER_SIZE_BYTES + 8 * entries.length);
  const view = new DataView(out.buffer);
  out.set([0x6c, 0x68]); // "lh"
  view.setUint16(2, entries.length, true);
  entries.forEach((e, i) => {
    view.setUint32(4 + 8 * i, e.offset, true);
    view.setUint32(8 + 8 * i, keyNameHash(e.name), true);
  });
  return out;
}

function encodeBaseBlock(f: { rootNk: number; binsSize: number; filetime: bigint; fileName: string }): Uint8Array {
  const out = new Uint8Array(BASE_BLOCK_SIZE_BYTES);
  const view = new DataView(out.buffer);
  out.set([0x72, 0x65, 0x67, 0x66], BASE.signature); // "regf"
  // Equal sequence numbers: the hive is clean (no pending transaction log to replay).
  view.setUint32(BASE.primarySequence, 1, true);
  view.setUint32(BASE.secondarySequence, 1, true);
  view.setBigUint64(BASE.lastWritten, f.filetime, true);
  view.setUint32(BASE.majorVersion, HIVE_MAJOR_VERSION, true);
  view.setUint32(BASE.minorVersion, HIVE_MINOR_VERSION, true);
  view.setUint32(BASE.fileType, 0, true); // primary file
  view.setUint32(BASE.fileFormat, 1, true); // direct memory load
  view.setUint32(BASE.rootCellOffset, f.rootNk, true);
  view.setUint32(BASE.hiveBinsDataSize, f.binsSize, true);
  view.setUint32(BASE.clusteringFactor, 1, true);
  out.set(encodeUtf16le(f.fileName), BASE.fileName);
  view.setUint32(BASE.checksum, baseBlockChecksum(out), true);
  return out;
}
