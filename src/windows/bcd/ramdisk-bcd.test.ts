// Goal: buildRamdiskBcd writes the store Microsoft's PXE recipe describes — {bootmgr} pointing at one
// OS loader, {ramdiskoptions} with the SDI on the boot device, the loader with ramdisk device/osdevice
// on [boot]\sources\boot.wim, winload.exe (BIOS) or winload.efi (UEFI), systemroot, detecthal, winpe —
// plus the TFTP block/window/variable-window settings only when asked; bad options are refused with
// the fix; equal options give equal bytes.
// Method: decode the bytes with the strict reader and check the tree key by key (element key names,
// "Element" values, object Description\Type dwords); option tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRegistryHive } from './hive-reader.js';
import { decodeBcdDevice } from './bcd-element-data.js';
import { buildRamdiskBcd, InvalidBcdOptionError, planRamdiskBcd, RAMDISK_LOADER_GUID, type RamdiskBcdOptions } from './ramdisk-bcd.js';
import { REG_BINARY, REG_DWORD, REG_MULTI_SZ, REG_SZ, type RegistryKey } from './registry-tree.js';

const BOOTMGR = '{9dea862c-5cdd-4e70-acc1-f32b344d4795}';
const RAMDISK_OPTIONS = '{ae5534e0-a924-466c-b836-758539a3ee3a}';

function child(key: RegistryKey, name: string): RegistryKey {
  const found = key.subkeys.find((k) => k.name.toLowerCase() === name.toLowerCase());
  assert.ok(found, `missing key ${name} under ${key.name}`);
  return found;
}

function elements(store: RegistryKey, guid: string): Map<string, { type: number; data: Uint8Array }> {
  const object = child(child(store, 'Objects'), guid);
  const out = new Map<string, { type: number; data: Uint8Array }>();
  for (const e of child(object, 'Elements').subkeys) {
    assert.equal(e.values.length, 1);
    assert.equal(e.values[0]!.name, 'Element');
    assert.equal(e.subkeys.length, 0);
    out.set(e.name, { type: e.values[0]!.type, data: e.values[0]!.data });
  }
  return out;
}

const text = (d: Uint8Array) => Buffer.from(d).toString('utf16le');
const objectType = (store: RegistryKey, guid: string) => {
  const v = child(child(child(store, 'Objects'), guid), 'Description').values[0]!;
  assert.equal(v.name, 'Type');
  assert.equal(v.type, REG_DWORD);
  return new DataView(v.data.buffer, v.data.byteOffset).getUint32(0, true);
};

for (const firmware of ['bios', 'uefi'] as const) {
  test(`${firmware}: the three objects and their elements`, () => {
    const store = decodeRegistryHive(buildRamdiskBcd({ firmware })).root;
    assert.deepEqual(store.subkeys.map((k) => k.name), ['Description', 'Objects']);
    assert.equal(text(child(store, 'Description').values[0]!.data), 'BCD00000000\0');
    assert.deepEqual(child(store, 'Objects').subkeys.map((k) => k.name).sort(), [RAMDISK_LOADER_GUID, BOOTMGR, RAMDISK_OPTIONS].sort());
    assert.equal(objectType(store, BOOTMGR), 0x10100002);
    assert.equal(objectType(store, RAMDISK_OPTIONS), 0x30000000);
    assert.equal(objectType(store, RAMDISK_LOADER_GUID), 0x10200003);

    const mgr = elements(store, BOOTMGR);
    assert.deepEqual([...mgr.keys()].sort(), ['12000004', '23000003', '24000001', '25000004']);
    assert.equal(text(mgr.get('23000003')!.data), `${RAMDISK_LOADER_GUID}\0`);
    assert.equal(mgr.get('24000001')!.type, REG_MULTI_SZ);
    assert.equal(text(mgr.get('24000001')!.data), `${RAMDISK_LOADER_GUID}\0\0`);

    const options = elements(store, RAMDISK_OPTIONS);
    assert.deepEqual([...options.keys()].sort(), ['12000004', '31000003', '32000004']);
    assert.deepEqual(decodeBcdDevice(options.get('31000003')!.data), { kind: 'boot' });
    assert.equal(text(options.get('32000004')!.data), '\\Boot\\boot.sdi\0');

    const loader = elements(store, RAMDISK_LOADER_GUID);
    assert.deepEqual([...loader.keys()].sort(), ['11000001', '12000002', '12000004', '21000001', '22000002', '26000010', '26000022']);
    const ramdisk = { kind: 'ramdisk', optionsGuid: RAMDISK_OPTIONS, container: 'boot', path: '\\sources\\boot.wim' };
    assert.deepEqual(decodeBcdDevice(loader.get('11000001')!.data), ramdisk);
    assert.deepEqual(decodeBcdDevice(loader.get('21000001')!.data), ramdisk);
    assert.equal(text(loader.get('12000002')!.data), `\\Windows\\system32\\boot\\winload.${firmware === 'bios' ? 'exe' : 'efi'}\0`);
    assert.equal(text(loader.get('22000002')!.data), '\\Windows\0');
    assert.deepEqual(loader.get('26000010'), { type: REG_BINARY, data: Uint8Array.of(1) });
    assert.deepEqual(loader.get('26000022'), { type: REG_BINARY, data: Uint8Array.of(1) });
    assert.equal(text(loader.get('12000004')!.data), 'peerboot Windows PE\0');
    assert.equal(loader.get('12000004')!.type, REG_SZ);
  });
}

test('TFTP tuning elements appear only when set, as 8-byte integers and a 1-byte boolean', () => {
  const store = decodeRegistryHive(buildRamdiskBcd({ firmware: 'bios', tftpBlockSize: 16384, tftpWindowSize: 8, tftpVarWindow: false })).root;
  const options = elements(store, RAMDISK_OPTIONS);
  assert.deepEqual(options.get('36000007'), { type: REG_BINARY, data: Uint8Array.of(0x00, 0x40, 0, 0, 0, 0, 0, 0) });
  assert.deepEqual(options.get('36000008'), { type: REG_BINARY, data: Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 0) });
  assert.deepEqual(options.get('3600000b'), { type: REG_BINARY, data: Uint8Array.of(0) });
  const plain = elements(decodeRegistryHive(buildRamdiskBcd({ firmware: 'bios' })).root, RAMDISK_OPTIONS);
  assert.ok(!plain.has('36000007') && !plain.has('36000008') && !plain.has('3600000b'));
});

test('paths, description and loader GUID are options; forward slashes become backslashes', () => {
  const guid = '{11111111-2222-3333-4444-555555555555}';
  const store = decodeRegistryHive(buildRamdiskBcd({
    firmware: 'uefi', wimPath: 'images/x64/Boot.WIM', sdiPath: '\\boot\\x64\\boot.sdi', description: 'Deploy host-42', loaderGuid: guid.toUpperCase(),
  })).root;
  const loader = elements(store, guid);
  assert.equal((decodeBcdDevice(loader.get('21000001')!.data) as { path: string }).path, '\\images\\x64\\Boot.WIM');
  assert.equal(text(loader.get('12000004')!.data), 'Deploy host-42\0');
  assert.equal(text(elements(store, RAMDISK_OPTIONS).get('32000004')!.data), '\\boot\\x64\\boot.sdi\0');
  assert.equal(text(elements(store, BOOTMGR).get('23000003')!.data), `${guid}\0`);
});

test('deterministic: same options, same bytes; a different machine GUID changes them', () => {
  const options: RamdiskBcdOptions = { firmware: 'bios', tftpBlockSize: 1456 };
  assert.deepEqual(buildRamdiskBcd(options), buildRamdiskBcd({ ...options }));
  assert.notDeepEqual(buildRamdiskBcd(options), buildRamdiskBcd({ ...options, loaderGuid: '{11111111-2222-3333-4444-555555555555}' }));
});

test('bad options are refused with the option name and the fix', () => {
  const cases: [Partial<RamdiskBcdOptions>, RegExp][] = [
    [{ firmware: 'arm' as 'bios' }, /firmware: must be "bios" or "uefi"/],
    [{ tftpBlockSize: 7 }, /tftpBlockSize: must be an integer 8–65464/],
    [{ tftpBlockSize: 65465 }, /tftpBlockSize/],
    [{ tftpWindowSize: 0 }, /tftpWindowSize: must be an integer 1–65535/],
    [{ tftpWindowSize: 1.5 }, /tftpWindowSize/],
    [{ wimPath: '\\..\\secret.wim' }, /wimPath: .* is not a file path/],
    [{ sdiPath: '\\' }, /sdiPath/],
    [{ description: '' }, /description/],
    [{ description: 'a\nb' }, /description/],
    [{ loaderGuid: 'not-a-guid' }, /loaderGuid: must be a GUID/],
    [{ loaderGuid: BOOTMGR }, /loaderGuid: must not be/],
  ];
  for (const [bad, reason] of cases) {
    assert.throws(() => buildRamdiskBcd({ firmware: 'bios', ...bad }), (e: unknown) => e instanceof InvalidBcdOptionError && reason.test(e.message), JSON.stringify(bad));
  }
});

test('the plan lists every element with its documented name', () => {
  const plan = planRamdiskBcd({ firmware: 'bios', tftpBlockSize: 1456, tftpWindowSize: 4, tftpVarWindow: true });
  assert.equal(plan.elements.length, 4 + 6 + 7);
  assert.ok(plan.elements.every((e) => /^Bcd(Library|OSLoader|BootMgr|Device)(Device|String|Boolean|Integer|Object|ObjectList)_/.test(e.element.name)));
});
