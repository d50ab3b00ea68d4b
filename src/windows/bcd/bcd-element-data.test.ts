// Goal: BCD element data has exactly the layouts bootmgr reads: 1-byte booleans, 8-byte integers,
// REG_SZ strings and objects, REG_MULTI_SZ object lists, and the two device layouts (`boot`, and
// `ramdisk=[boot]<path>,{ramdiskoptions}`) byte for byte.
// Method: expected device bytes written out field by field in this file from the layout table (offsets
// as in real stores), compared with the encoder; decode round trip; damaged device data refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bcdBoolean, bcdInteger, bcdObject, bcdObjectList, bcdString, decodeBcdDevice, encodeBcdDevice, UnknownBcdDeviceError,
} from './bcd-element-data.js';
import { REG_BINARY, REG_MULTI_SZ, REG_SZ } from './registry-tree.js';

function le32(n: number): number[] { return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]; }
function utf16z(s: string): number[] { return [...Buffer.from(`${s}\0`, 'utf16le')]; }
const zeros = (n: number) => new Array<number>(n).fill(0);
const BOOT_DESCRIPTOR = [...le32(5), ...le32(0), ...le32(0x48), ...le32(0), ...zeros(56)];

test('boot device: no options GUID, then a 0x48-byte boot descriptor (0x58 bytes)', () => {
  const expected = [...zeros(16), ...BOOT_DESCRIPTOR];
  assert.equal(expected.length, 0x58);
  assert.deepEqual([...encodeBcdDevice({ kind: 'boot' })], expected);
  assert.deepEqual(decodeBcdDevice(Uint8Array.from(expected)), { kind: 'boot' });
});

test('ramdisk device: {ramdiskoptions}, ramdisk descriptor, device+path file on [boot], UTF-16 path', () => {
  const path = utf16z('\\sources\\boot.wim');
  const total = 0x8c + path.length;
  const expected = [
    0xe0, 0x34, 0x55, 0xae, 0x24, 0xa9, 0x6c, 0x46, 0xb8, 0x36, 0x75, 0x85, 0x39, 0xa3, 0xee, 0x3a, // 0x00 options
    ...le32(0), ...le32(1), ...le32(total - 0x10), ...le32(0), // 0x10 type, flags, size, reserved
    ...le32(3), ...zeros(8), ...zeros(8), ...le32(0), // 0x20 ramdisk: base, size, offset
    ...le32(1), ...le32(total - 0x38), ...le32(5), // 0x38 file path header
    ...BOOT_DESCRIPTOR, // 0x44 container [boot]
    ...path, // 0x8c
  ];
  const encoded = encodeBcdDevice({ kind: 'ramdisk', optionsGuid: '{ae5534e0-a924-466c-b836-758539a3ee3a}', container: 'boot', path: '\\sources\\boot.wim' });
  assert.deepEqual([...encoded], expected);
  assert.deepEqual(decodeBcdDevice(encoded), {
    kind: 'ramdisk', optionsGuid: '{ae5534e0-a924-466c-b836-758539a3ee3a}', container: 'boot', path: '\\sources\\boot.wim',
  });
});

test('scalar formats: boolean 1 byte, integer 8 bytes LE, string/object REG_SZ, object list REG_MULTI_SZ', () => {
  assert.deepEqual(bcdBoolean(true), { registryType: REG_BINARY, data: Uint8Array.of(1) });
  assert.deepEqual(bcdBoolean(false), { registryType: REG_BINARY, data: Uint8Array.of(0) });
  assert.deepEqual(bcdInteger(1456), { registryType: REG_BINARY, data: Uint8Array.of(0xb0, 0x05, 0, 0, 0, 0, 0, 0) });
  assert.deepEqual(bcdString('\\Windows'), { registryType: REG_SZ, data: Uint8Array.from(utf16z('\\Windows')) });
  assert.deepEqual(bcdObject('{9DEA862C-5CDD-4E70-ACC1-F32B344D4795}').data, Uint8Array.from(utf16z('{9dea862c-5cdd-4e70-acc1-f32b344d4795}')));
  const list = bcdObjectList(['{9dea862c-5cdd-4e70-acc1-f32b344d4795}']);
  assert.equal(list.registryType, REG_MULTI_SZ);
  assert.deepEqual(list.data, Uint8Array.from([...utf16z('{9dea862c-5cdd-4e70-acc1-f32b344d4795}'), 0, 0]));
});

test('device data that is neither layout is refused', () => {
  const ramdisk = encodeBcdDevice({ kind: 'ramdisk', optionsGuid: '{ae5534e0-a924-466c-b836-758539a3ee3a}', container: 'boot', path: '\\x.wim' });
  const damage = (at: number, value: number) => { const b = Uint8Array.from(ramdisk); b[at] = value; return b; };
  for (const bad of [new Uint8Array(10), damage(0x20, 4), damage(0x18, 0), damage(0x44, 6), damage(0x3c, 0), ramdisk.subarray(0, ramdisk.length - 1)]) {
    assert.throws(() => decodeBcdDevice(bad), UnknownBcdDeviceError);
  }
  assert.throws(() => encodeBcdDevice({ kind: 'ramdisk', optionsGuid: '{ae5534e0-a924-466c-b836-758539a3ee3a}', container: 'boot', path: 'no-leading-backslash' }), RangeError);
});
