// Goal: readBcdStore accepts the stores peerboot builds and refuses hives bootmgr could not use (no
// Objects, no {bootmgr}, a default pointing nowhere, element data of the wrong type or size, object
// keys that are not GUIDs), so such a file is never served.
// Method: edit the registry tree of a good store one fault at a time and re-encode it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidBcdStoreError, readBcdStore } from './bcd-store.js';
import { MalformedHiveError } from './hive-reader.js';
import { encodeRegistryHive } from './hive-writer.js';
import { buildRamdiskBcd, RAMDISK_LOADER_GUID, ramdiskBcdTree } from './ramdisk-bcd.js';
import { registryKey, registryValue, REG_SZ, type RegistryKey } from './registry-tree.js';

const BOOTMGR = '{9dea862c-5cdd-4e70-acc1-f32b344d4795}';

/** Returns a copy of `key` with `edit` applied to the key at `path` (names, case-insensitive). */
function editAt(key: RegistryKey, path: string[], edit: (k: RegistryKey) => RegistryKey | null): RegistryKey {
  if (path.length === 0) return edit(key) ?? key;
  const [head, ...rest] = path;
  const subkeys = key.subkeys.flatMap((k) => {
    if (k.name.toLowerCase() !== head!.toLowerCase()) return [k];
    if (rest.length === 0) { const e = edit(k); return e ? [e] : []; }
    return [editAt(k, rest, edit)];
  });
  return { ...key, subkeys };
}

test('the built stores read back: three objects, their types and elements', () => {
  const objects = readBcdStore(buildRamdiskBcd({ firmware: 'uefi', tftpBlockSize: 8192 }));
  assert.deepEqual(objects.map((o) => [o.guid, o.objectType]).sort(), [
    [RAMDISK_LOADER_GUID, 0x10200003], [BOOTMGR, 0x10100002], ['{ae5534e0-a924-466c-b836-758539a3ee3a}', 0x30000000],
  ].sort());
  assert.equal(objects.find((o) => o.guid === RAMDISK_LOADER_GUID)!.elements.size, 7);
});

test('unusable stores are refused with the reason', () => {
  const good = ramdiskBcdTree({ firmware: 'bios' });
  const loaderElements = ['Objects', RAMDISK_LOADER_GUID, 'Elements'];
  const cases: [RegistryKey, RegExp][] = [
    [editAt(good, ['Objects'], () => null), /no Objects key/],
    [editAt(good, ['Objects', BOOTMGR], () => null), /no \{bootmgr\} object/],
    [editAt(good, ['Objects', RAMDISK_LOADER_GUID], () => null), /default .* is not an object/],
    [editAt(good, ['Objects'], (k) => ({ ...k, subkeys: [...k.subkeys, registryKey('not-a-guid')] })), /not a GUID/],
    [editAt(good, ['Objects', BOOTMGR, 'Description'], (k) => ({ ...k, values: [] })), /no Description\\Type/],
    [editAt(good, [...loaderElements, '26000022'], (k) => ({ ...k, values: [registryValue.binary('Element', Uint8Array.of(1, 0))] })), /26000022: element data is not a 1-byte boolean/],
    [editAt(good, [...loaderElements, '12000002'], (k) => ({ ...k, values: [registryValue.binary('Element', Uint8Array.of(1, 0))] })), /12000002: element data is not a string/],
    [editAt(good, [...loaderElements, '22000002'], (k) => ({ ...k, values: [] })), /no Element value/],
    [editAt(good, loaderElements, (k) => ({ ...k, subkeys: [...k.subkeys, registryKey('zz')] })), /not 8 hex digits/],
    [editAt(good, ['Objects', BOOTMGR, 'Elements', '25000004'], (k) => ({ ...k, values: [{ name: 'Element', type: REG_SZ, data: Uint8Array.of(0, 0) }] })), /not an 8-byte integer/],
  ];
  for (const [tree, reason] of cases) {
    assert.throws(() => readBcdStore(encodeRegistryHive(tree)), (e: unknown) => e instanceof InvalidBcdStoreError && reason.test(e.message), String(reason));
  }
  assert.throws(() => readBcdStore(new Uint8Array(9000)), MalformedHiveError);
});
