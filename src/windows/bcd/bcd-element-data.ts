/**
 * Encodings of BCD element data (the "Element" value of Objects\{guid}\Elements\<type>). Pure.
 *
 * Device data is the boot library's BCD_DEVICE_OPTION (ReactOS boot/environ bcd.h, bl.h; DiscUtils
 * BootConfig; byte layouts seen in real stores as patched by ntloader): a GUID naming an options
 * object, then a device descriptor {DeviceType, Flags, Size, Reserved, union}. The two devices a PXE
 * ramdisk store needs:
 *
 *   boot  (`device boot`, the device bootmgr itself came from: for PXE, the TFTP server) — 0x58 bytes
 *     0x00 GUID 00…00 (no options)   0x10 u32 5 (boot device)   0x14 u32 0 (flags)
 *     0x18 u32 0x48 (descriptor size)   0x1c u32 0   0x20 56 zero bytes
 *
 *   ramdisk  (`ramdisk=[boot]\sources\boot.wim,{ramdiskoptions}`) — 0x8c bytes + path
 *     0x00 GUID {ramdiskoptions}   0x10 u32 0 (block-I/O device)   0x14 u32 1 (flags)
 *     0x18 u32 size from 0x10 to the end   0x1c u32 0
 *     0x20 u32 3 (local device type: ramdisk)   0x24 u64 image base 0   0x2c u64 image size 0
 *     0x34 u32 image offset 0
 *     0x38 file path: u32 version 1, u32 length from 0x38 to the end, u32 type 5 (device + path)
 *     0x44 the containing device: the 0x48-byte boot descriptor above ([boot])
 *     0x8c UTF-16LE path of the image on that device, NUL-terminated
 */
import { BcdFormat, type BcdElementTypeInfo } from './bcd-elements.js';
import { decodeGuid, encodeGuid, formatBcdGuid } from './guid.js';
import {
  decodeUtf16le, encodeUtf16le, littleEndianData, REG_BINARY, REG_MULTI_SZ, REG_SZ, regMultiSzData, regSzData,
} from './registry-tree.js';

/** Element data as stored: registry type and bytes. */
export interface BcdElementData {
  readonly registryType: number;
  readonly data: Uint8Array;
}

/** Boot-library device types (BL DEVICE_TYPE) and local-device types used here. */
const DEVICE_TYPE_BLOCK_IO = 0;
const DEVICE_TYPE_BOOT = 5;
const LOCAL_DEVICE_RAMDISK = 3;
const DESCRIPTOR_SIZE_BYTES = 0x48;
const FILE_PATH_VERSION = 1;
const FILE_PATH_TYPE_DEVICE_AND_PATH = 5;
const RAMDISK_FLAGS = 1;
const RAMDISK_PATH_OFFSET = 0x8c;

/** Thrown when device data does not have one of the layouts above. */
export class UnknownBcdDeviceError extends Error {
  readonly code = 'PEERBOOT_ERR_UNKNOWN_BCD_DEVICE';
  constructor(readonly reason: string) {
    super(`unrecognised BCD device data: ${reason}`);
    this.name = 'UnknownBcdDeviceError';
  }
}

export type BcdDevice =
  | { kind: 'boot' }
  | { kind: 'ramdisk'; optionsGuid: string; container: 'boot'; path: string };

export function bcdString(text: string): BcdElementData {
  return { registryType: REG_SZ, data: regSzData(text) };
}

export function bcdBoolean(value: boolean): BcdElementData {
  return { registryType: REG_BINARY, data: Uint8Array.of(value ? 1 : 0) };
}

export function bcdInteger(value: bigint | number): BcdElementData {
  return { registryType: REG_BINARY, data: littleEndianData(value, 8) };
}

export function bcdObject(guid: string): BcdElementData {
  return { registryType: REG_SZ, data: regSzData(formatBcdGuid(guid)) };
}

export function bcdObjectList(guids: readonly string[]): BcdElementData {
  return { registryType: REG_MULTI_SZ, data: regMultiSzData(guids.map(formatBcdGuid)) };
}

export function bcdDevice(device: BcdDevice): BcdElementData {
  return { registryType: REG_BINARY, data: encodeBcdDevice(device) };
}

/** Checks that element data matches the format its type is written in (a guard for builders). */
export function checkElementData(info: BcdElementTypeInfo, value: BcdElementData): void {
  const ok = (() => {
    switch (BcdFormat[info.format]) {
      case BcdFormat.device: return value.registryType === REG_BINARY && value.data.length >= 0x58;
      case BcdFormat.string:
      case BcdFormat.object: return value.registryType === REG_SZ;
      case BcdFormat.objectList: return value.registryType === REG_MULTI_SZ;
      case BcdFormat.integer: return value.registryType === REG_BINARY && value.data.length === 8;
      case BcdFormat.boolean: return value.registryType === REG_BINARY && value.data.length === 1;
      case BcdFormat.integerList: return value.registryType === REG_BINARY && value.data.length % 8 === 0;
      default: return false;
    }
  })();
  if (!ok) throw new TypeError(`element ${info.name} needs ${info.format} data`);
}

function bootDescriptor(): Uint8Array {
  const out = new Uint8Array(DESCRIPTOR_SIZE_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, DEVICE_TYPE_BOOT, true);
  view.setUint32(8, DESCRIPTOR_SIZE_BYTES, true);
  return out;
}

export function encodeBcdDevice(device: BcdDevice): Uint8Array {
  if (device.kind === 'boot') {
    const out = new Uint8Array(16 + DESCRIPTOR_SIZE_BYTES);
    out.set(bootDescriptor(), 16);
    return out;
  }
  if (!device.path.startsWith('\\') || device.path.includes('\0')) throw new RangeError(`ramdisk path must start with \\: ${device.path}`);
  const path = encodeUtf16le(`${device.path}\0`);
  const out = new Uint8Array(RAMDISK_PATH_OFFSET + path.length);
  const view = new DataView(out.buffer);
  out.set(encodeGuid(device.optionsGuid), 0);
  view.setUint32(0x10, DEVICE_TYPE_BLOCK_IO, true);
  view.setUint32(0x14, RAMDISK_FLAGS, true);
  view.setUint32(0x18, out.length - 0x10, true);
  view.setUint32(0x20, LOCAL_DEVICE_RAMDISK, true);
  view.setUint32(0x38, FILE_PATH_VERSION, true);
  view.setUint32(0x3c, out.length - 0x38, true);
  view.setUint32(0x40, FILE_PATH_TYPE_DEVICE_AND_PATH, true);
  out.set(bootDescriptor(), 0x44);
  out.set(path, RAMDISK_PATH_OFFSET);
  return out;
}

/** Reads back the two device layouts above; anything else is UnknownBcdDeviceError. */
export function decodeBcdDevice(data: Uint8Array): BcdDevice {
  const fail = (reason: string): never => { throw new UnknownBcdDeviceError(reason); };
  if (data.length < 16 + DESCRIPTOR_SIZE_BYTES) fail(`${data.length} bytes is too short`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u32 = (at: number) => view.getUint32(at, true);
  const isBootDescriptor = (at: number) =>
    u32(at) === DEVICE_TYPE_BOOT && u32(at + 4) === 0 && u32(at + 8) === DESCRIPTOR_SIZE_BYTES && u32(at + 12) === 0 &&
    data.subarray(at + 16, at + DESCRIPTOR_SIZE_BYTES).every((b) => b === 0);
  const options = decodeGuid(data.subarray(0, 16));
  if (data.length === 16 + DESCRIPTOR_SIZE_BYTES) {
    if (options !== '{00000000-0000-0000-0000-000000000000}') fail('boot device with an options GUID');
    if (!isBootDescriptor(16)) fail('not a boot device descriptor');
    return { kind: 'boot' };
  }
  if (u32(0x10) !== DEVICE_TYPE_BLOCK_IO || u32(0x20) !== LOCAL_DEVICE_RAMDISK) fail('not a ramdisk device');
  if (u32(0x18) !== data.length - 0x10) fail('descriptor size does not match the data');
  if (u32(0x38) !== FILE_PATH_VERSION || u32(0x40) !== FILE_PATH_TYPE_DEVICE_AND_PATH) fail('ramdisk without a device+path file');
  if (u32(0x3c) !== data.length - 0x38) fail('file path length does not match the data');
  if (!isBootDescriptor(0x44)) fail('ramdisk image not on the boot device');
  if ((data.length - RAMDISK_PATH_OFFSET) % 2 !== 0) fail('odd-length path');
  const path = decodeUtf16le(data.subarray(RAMDISK_PATH_OFFSET));
  if (!path.endsWith('\0') || path.slice(0, -1).includes('\0')) fail('path is not one NUL-terminated string');
  return { kind: 'ramdisk', optionsGuid: options, container: 'boot', path: path.slice(0, -1) };
}
