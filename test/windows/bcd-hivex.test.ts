// Goal: the BCD stores peerboot writes are read by an independent registry implementation — Debian's
// hivex (libhivex-bin: hivexsh, hivexget, hivexml; libwin-hivex-perl: hivexregedit) — exactly as
// intended: every object key, every element key `Objects\{guid}\Elements\<type>` with its `Element`
// value, registry type and bytes, each element type checked against Microsoft's documented element
// types (class and format nibbles, name); and hivex parses the files without a warning.
// Method: write BIOS and UEFI stores (with and without the TFTP tuning elements) to a temp dir, export
// them with `hivexregedit --export` and compare the whole export with a table written out in this
// file (expected bytes built by hand here, not by the builder); look keys up through hivexsh/hivexget
// in other letter case; run hivexml with HIVEX_DEBUG=1 and require no warning. Missing hivex fails in
// CI and skips elsewhere.
//
// Elements verified (object: element type — Microsoft name — data format):
//   {bootmgr}        12000004 BcdLibraryString_Description            string
//                    24000001 BcdBootMgrObjectList_DisplayOrder       object list
//                    23000003 BcdBootMgrObject_DefaultObject          object
//                    25000004 BcdBootMgrInteger_Timeout               integer
//   {ramdiskoptions} 12000004 BcdLibraryString_Description            string
//                    31000003 BcdDeviceInteger_SdiDevice              device (boot)
//                    32000004 BcdDeviceInteger_SdiPath                string
//                    36000007 BcdDeviceInteger_RamdiskTftpBlockSize   integer (nibble says boolean)
//                    36000008 BcdDeviceInteger_RamdiskTftpWindowSize  integer (nibble says boolean)
//                    3600000b BcdDeviceBoolean_RamdiskTftpVarWindow   boolean
//   OS loader        12000004 BcdLibraryString_Description            string
//                    11000001 BcdLibraryDevice_ApplicationDevice      device (ramdisk)
//                    12000002 BcdLibraryString_ApplicationPath        string
//                    21000001 BcdOSLoaderDevice_OSDevice              device (ramdisk)
//                    22000002 BcdOSLoaderString_SystemRoot            string
//                    26000010 BcdOSLoaderBoolean_DetectKernelAndHal   boolean
//                    26000022 BcdOSLoaderBoolean_WinPEMode            boolean
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRamdiskBcd, RAMDISK_LOADER_GUID, type RamdiskBcdOptions } from '../../src/windows/bcd/ramdisk-bcd.js';
import { encodeRegistryHive } from '../../src/windows/bcd/hive-writer.js';
import { registryKey, registryValue } from '../../src/windows/bcd/registry-tree.js';

const TOOLS = ['hivexregedit', 'hivexsh', 'hivexget', 'hivexml'];
const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const blocked = missing.length > 0 ? `needs ${missing.join(', ')}: apt-get install libhivex-bin libwin-hivex-perl (scripts/install-deps.sh)` : null;
// CI must not pass by skipping: there a missing tool is a failure.
const skip = blocked !== null && !process.env.CI ? blocked : false;

const BOOTMGR = '{9dea862c-5cdd-4e70-acc1-f32b344d4795}';
const RAMDISK_OPTIONS = '{ae5534e0-a924-466c-b836-758539a3ee3a}';
const REG_SZ = 1;
const REG_BINARY = 3;
const REG_DWORD = 4;
const REG_MULTI_SZ = 7;

type Format = 'device' | 'string' | 'object' | 'objectList' | 'integer' | 'boolean';
const FORMAT_NIBBLE: Record<Format, number> = { device: 1, string: 2, object: 3, objectList: 4, integer: 5, boolean: 6 };
/** Microsoft documents these two as integers although their type codes carry the boolean nibble. */
const NIBBLE_EXCEPTIONS = new Set([0x36000007, 0x36000008]);

interface Expected { object: string; type: number; name: string; format: Format; regType: number; bytes: number[] }

const le32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const le64 = (n: number) => [...le32(n), 0, 0, 0, 0];
const utf16z = (s: string) => [...Buffer.from(`${s}\0`, 'utf16le')];
const zeros = (n: number) => new Array<number>(n).fill(0);
const BOOT_DESCRIPTOR = [...le32(5), ...le32(0), ...le32(0x48), ...le32(0), ...zeros(56)];
const RAMDISK_OPTIONS_BYTES = [0xe0, 0x34, 0x55, 0xae, 0x24, 0xa9, 0x6c, 0x46, 0xb8, 0x36, 0x75, 0x85, 0x39, 0xa3, 0xee, 0x3a];

function ramdiskDevice(path: string): number[] {
  const p = utf16z(path);
  const total = 0x8c + p.length;
  return [
    ...RAMDISK_OPTIONS_BYTES, ...le32(0), ...le32(1), ...le32(total - 0x10), ...le32(0),
    ...le32(3), ...zeros(20), ...le32(1), ...le32(total - 0x38), ...le32(5), ...BOOT_DESCRIPTOR, ...p,
  ];
}

function expectedElements(o: RamdiskBcdOptions): Expected[] {
  const loader = RAMDISK_LOADER_GUID;
  const winload = o.firmware === 'uefi' ? '\\Windows\\system32\\boot\\winload.efi' : '\\Windows\\system32\\boot\\winload.exe';
  const list: Expected[] = [
    { object: BOOTMGR, type: 0x12000004, name: 'BcdLibraryString_Description', format: 'string', regType: REG_SZ, bytes: utf16z('Windows Boot Manager') },
    { object: BOOTMGR, type: 0x24000001, name: 'BcdBootMgrObjectList_DisplayOrder', format: 'objectList', regType: REG_MULTI_SZ, bytes: [...utf16z(loader), 0, 0] },
    { object: BOOTMGR, type: 0x23000003, name: 'BcdBootMgrObject_DefaultObject', format: 'object', regType: REG_SZ, bytes: utf16z(loader) },
    { object: BOOTMGR, type: 0x25000004, name: 'BcdBootMgrInteger_Timeout', format: 'integer', regType: REG_BINARY, bytes: le64(0) },
    { object: RAMDISK_OPTIONS, type: 0x12000004, name: 'BcdLibraryString_Description', format: 'string', regType: REG_SZ, bytes: utf16z('Ramdisk Options') },
    { object: RAMDISK_OPTIONS, type: 0x31000003, name: 'BcdDeviceInteger_SdiDevice', format: 'device', regType: REG_BINARY, bytes: [...zeros(16), ...BOOT_DESCRIPTOR] },
    { object: RAMDISK_OPTIONS, type: 0x32000004, name: 'BcdDeviceInteger_SdiPath', format: 'string', regType: REG_SZ, bytes: utf16z('\\Boot\\boot.sdi') },
    { object: loader, type: 0x12000004, name: 'BcdLibraryString_Description', format: 'string', regType: REG_SZ, bytes: utf16z('peerboot Windows PE') },
    { object: loader, type: 0x11000001, name: 'BcdLibraryDevice_ApplicationDevice', format: 'device', regType: REG_BINARY, bytes: ramdiskDevice('\\sources\\boot.wim') },
    { object: loader, type: 0x12000002, name: 'BcdLibraryString_ApplicationPath', format: 'string', regType: REG_SZ, bytes: utf16z(winload) },
    { object: loader, type: 0x21000001, name: 'BcdOSLoaderDevice_OSDevice', format: 'device', regType: REG_BINARY, bytes: ramdiskDevice('\\sources\\boot.wim') },
    { object: loader, type: 0x22000002, name: 'BcdOSLoaderString_SystemRoot', format: 'string', regType: REG_SZ, bytes: utf16z('\\Windows') },
    { object: loader, type: 0x26000010, name: 'BcdOSLoaderBoolean_DetectKernelAndHal', format: 'boolean', regType: REG_BINARY, bytes: [1] },
    { object: loader, type: 0x26000022, name: 'BcdOSLoaderBoolean_WinPEMode', format: 'boolean', regType: REG_BINARY, bytes: [1] },
  ];
  if (o.tftpBlockSize !== undefined) list.push({ object: RAMDISK_OPTIONS, type: 0x36000007, name: 'BcdDeviceInteger_RamdiskTftpBlockSize', format: 'integer', regType: REG_BINARY, bytes: le64(o.tftpBlockSize) });
  if (o.tftpWindowSize !== undefined) list.push({ object: RAMDISK_OPTIONS, type: 0x36000008, name: 'BcdDeviceInteger_RamdiskTftpWindowSize', format: 'integer', regType: REG_BINARY, bytes: le64(o.tftpWindowSize) });
  if (o.tftpVarWindow !== undefined) list.push({ object: RAMDISK_OPTIONS, type: 0x3600000b, name: 'BcdDeviceBoolean_RamdiskTftpVarWindow', format: 'boolean', regType: REG_BINARY, bytes: [o.tftpVarWindow ? 1 : 0] });
  return list;
}

const OBJECT_TYPES: Record<string, number> = { [BOOTMGR]: 0x10100002, [RAMDISK_OPTIONS]: 0x30000000, [RAMDISK_LOADER_GUID]: 0x10200003 };
/** Element class nibble allowed per object: library (1) anywhere, application (2) on applications, device (3) on device objects. */
const CLASSES: Record<string, number[]> = { [BOOTMGR]: [1, 2], [RAMDISK_OPTIONS]: [1, 3], [RAMDISK_LOADER_GUID]: [1, 2] };

interface ExportedValue { type: number; bytes: number[] }

/** Parses `hivexregedit --export` output: key path → value name → type and bytes. */
function parseRegExport(text: string): Map<string, Map<string, ExportedValue>> {
  const keys = new Map<string, Map<string, ExportedValue>>();
  let current: Map<string, ExportedValue> | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('Windows Registry Editor')) continue;
    const section = /^\[(.*)\]$/.exec(line);
    if (section) {
      assert.ok(!keys.has(section[1]!), `key exported twice: ${section[1]}`);
      current = new Map();
      keys.set(section[1]!, current);
      continue;
    }
    const value = /^(@|"((?:[^"\\]|\\.)*)")=(?:dword:([0-9a-f]{8})|hex(?:\(([0-9a-f]+)\))?:([0-9a-f,]*))$/.exec(line);
    assert.ok(value && current, `unexpected export line: ${line}`);
    const name = value[1] === '@' ? '' : value[2]!.replace(/\\(.)/g, '$1');
    if (value[3] !== undefined) current.set(name, { type: REG_DWORD, bytes: le32(parseInt(value[3], 16)) });
    else current.set(name, { type: value[4] === undefined ? REG_BINARY : parseInt(value[4], 16), bytes: value[5] === '' ? [] : value[5]!.split(',').map((b) => parseInt(b, 16)) });
  }
  return keys;
}

function run(cmd: string, args: string[], input?: string, env: NodeJS.ProcessEnv = process.env): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, env, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** hivexml (libxml2) cannot write to Node's socket-pair stdout, so its stdout goes to a file. */
function runHivexml(file: string, debug: boolean): { xml: string; stderr: string } {
  const out = `${file}.xml`;
  const fd = openSync(out, 'w');
  try {
    const env = debug ? { ...process.env, HIVEX_DEBUG: '1' } : process.env;
    const r = spawnSync('hivexml', [file], { encoding: 'utf8', env, stdio: ['ignore', fd, 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `hivexml ${file} exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return { xml: readFileSync(out, 'utf8'), stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

const VARIANTS: { name: string; options: RamdiskBcdOptions }[] = [
  { name: 'bios', options: { firmware: 'bios' } },
  { name: 'uefi', options: { firmware: 'uefi' } },
  { name: 'bios-tftp', options: { firmware: 'bios', tftpBlockSize: 1456, tftpWindowSize: 8, tftpVarWindow: true } },
  { name: 'uefi-tftp', options: { firmware: 'uefi', tftpBlockSize: 16384, tftpWindowSize: 4, tftpVarWindow: false } },
];

describe('BCD stores read back by hivex', { skip }, () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'peerboot-bcd-')); });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  for (const variant of VARIANTS) {
    test(`${variant.name}: hivexregedit export holds exactly the expected keys, elements, types and bytes`, () => {
      const file = join(dir, `BCD-${variant.name}`);
      writeFileSync(file, buildRamdiskBcd(variant.options));
      const exported = run('hivexregedit', ['--export', file, '\\']);
      assert.equal(exported.stderr, '', 'no warnings on export');
      const keys = parseRegExport(exported.stdout);
      const elements = expectedElements(variant.options);

      const expectedKeys = new Set(['\\', '\\Description', '\\Objects']);
      for (const guid of Object.keys(OBJECT_TYPES)) {
        for (const suffix of ['', '\\Description', '\\Elements']) expectedKeys.add(`\\Objects\\${guid}${suffix}`);
      }
      for (const e of elements) expectedKeys.add(`\\Objects\\${e.object}\\Elements\\${e.type.toString(16).padStart(8, '0')}`);
      assert.deepEqual(new Set(keys.keys()), expectedKeys, 'no missing and no extra keys');

      assert.deepEqual(keys.get('\\Description'), new Map([['KeyName', { type: REG_SZ, bytes: utf16z('BCD00000000') }]]));
      for (const [guid, objectType] of Object.entries(OBJECT_TYPES)) {
        assert.deepEqual(keys.get(`\\Objects\\${guid}\\Description`), new Map([['Type', { type: REG_DWORD, bytes: le32(objectType) }]]), `${guid} type`);
      }
      for (const e of elements) {
        const path = `\\Objects\\${e.object}\\Elements\\${e.type.toString(16).padStart(8, '0')}`;
        // The documented type code: class nibble fits the object, format nibble is the documented format.
        assert.ok(CLASSES[e.object]!.includes(e.type >>> 28), `${e.name}: class ${e.type >>> 28} on ${e.object}`);
        if (!NIBBLE_EXCEPTIONS.has(e.type)) assert.equal((e.type >>> 24) & 0xf, FORMAT_NIBBLE[e.format], `${e.name}: format nibble`);
        assert.deepEqual(keys.get(path), new Map([['Element', { type: e.regType, bytes: e.bytes }]]), `${e.name} at ${path}`);
      }
    });
  }

  test('hivexsh and hivexget find keys in any letter case and read the values', () => {
    const file = join(dir, 'BCD-lookup');
    writeFileSync(file, buildRamdiskBcd({ firmware: 'bios', tftpBlockSize: 1456 }));
    const description = run('hivexget', [file, `\\OBJECTS\\${BOOTMGR.toUpperCase()}\\elements\\12000004`, 'Element']);
    assert.equal(description.stdout.trim(), 'Windows Boot Manager');
    assert.equal(run('hivexget', [file, `\\objects\\${RAMDISK_LOADER_GUID}\\Description`, 'Type']).stdout.trim(), String(0x10200003));
    const shell = run('hivexsh', [file], [
      `cd \\Objects\\${RAMDISK_OPTIONS.toUpperCase()}\\Elements`,
      'ls',
      'cd 36000007',
      'lsval',
    ].join('\n'));
    assert.equal(shell.stderr, '');
    assert.deepEqual(shell.stdout.trim().split('\n'), ['12000004', '31000003', '32000004', '36000007', '"Element"=hex(3):b0,05,00,00,00,00,00,00']);
  });

  test('hivexml parses every variant with no warning even at debug level', () => {
    for (const variant of VARIANTS) {
      const file = join(dir, `BCD-xml-${variant.name}`);
      writeFileSync(file, buildRamdiskBcd(variant.options));
      const quiet = runHivexml(file, false);
      assert.equal(quiet.stderr, '');
      assert.match(quiet.xml, /<node name="Objects"/);
      const debug = runHivexml(file, true);
      assert.doesNotMatch(debug.stderr, /warn|error|bad|invalid|corrupt/i);
      assert.match(debug.stderr, /successfully read Windows Registry hive file/);
    }
  });

  test('the generic hive writer: big data, many keys and all value kinds survive hivex', () => {
    const big = Array.from({ length: 40000 }, (_, i) => (i * 31) & 0xff);
    const tree = registryKey('root', {
      values: [registryValue.binary('big', Uint8Array.from(big)), registryValue.qword('q', 0x1122334455667788n), registryValue.binary('tiny', Uint8Array.of(7))],
      subkeys: Array.from({ length: 300 }, (_, i) => registryKey(`key${i}`, { values: [registryValue.dword('n', i)] })),
    });
    const file = join(dir, 'generic.hive');
    writeFileSync(file, encodeRegistryHive(tree));
    const keys = parseRegExport(run('hivexregedit', ['--export', file, '\\']).stdout);
    assert.equal(keys.size, 301);
    assert.deepEqual(keys.get('\\')!.get('big'), { type: REG_BINARY, bytes: big });
    assert.deepEqual(keys.get('\\')!.get('q'), { type: 11, bytes: [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11] });
    assert.deepEqual(keys.get('\\')!.get('tiny'), { type: REG_BINARY, bytes: [7] });
    for (let i = 0; i < 300; i++) assert.deepEqual(keys.get(`\\key${i}`)!.get('n'), { type: REG_DWORD, bytes: le32(i) });
    const debug = runHivexml(file, true);
    assert.doesNotMatch(debug.stderr, /warn|error|bad|invalid|corrupt/i);
    assert.match(debug.xml, /<node name="key299"/);
  });
});
