// Goal: PXE/iPXE option values (43, 60, 77, 93, 94, 97, 175) decode to typed values and encode back
// to the exact bytes of docs/protocol-notes.md, "Option 43 payloads byte by byte", and the lab
// captures; the architecture table follows IANA with 7 and 9 both x64 UEFI; malformed values
// throw MalformedDhcpPacketError.
// Method: hex tables checked in both directions, plus error and classification tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MalformedDhcpPacketError } from './packet.js';
import {
  classifyArchitecture,
  decodeClientArchitectures,
  decodeClientMachineId,
  decodeClientNetworkInterface,
  decodeIpxeOptions,
  decodePxeVendorOptions,
  decodeUserClass,
  encodeClientArchitectures,
  encodeClientMachineId,
  encodeClientNetworkInterface,
  encodeIpxeOptions,
  encodePxeVendorOptions,
  encodeUserClass,
  formatVendorClass,
  hasIpxeFeature,
  IpxeOption,
  isHttpBootClass,
  parseVendorClass,
  pickArchitecture,
  type PxeVendorOptions,
} from './pxe.js';

function hexBytes(text: string): Uint8Array {
  const clean = text.replace(/[|\s]/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

// docs/protocol-notes.md, "Option 43 payloads byte by byte" (without the 2B/length header).
const option43: Array<{ name: string; hex: string; value: PxeVendorOptions }> = [
  { name: 'direct boot from file (bit 3)', hex: '06 01 08 | ff', value: { discoveryControl: 8 } },
  {
    name: 'direct boot + dnsmasq dummy prompt (timeout 0, "PXE")',
    hex: '06 01 08 | 0a 04 00 50 58 45 | ff',
    value: { discoveryControl: 8, menuPrompt: { timeoutSeconds: 0, prompt: 'PXE' } },
  },
  {
    name: 'one-item menu, dnsmasq style',
    hex: '06 01 03 | 08 07 80 00 01 c0 a8 01 05 | 09 07 80 00 04 42 6f 6f 74 | 0a 04 00 50 58 45 | ff',
    value: {
      discoveryControl: 3,
      bootServers: [{ type: 0x8000, addresses: ['192.168.1.5'] }],
      bootMenu: [{ type: 0x8000, description: 'Boot' }],
      menuPrompt: { timeoutSeconds: 0, prompt: 'PXE' },
    },
  },
  { name: 'boot-item echo (type 0x8000, layer 0)', hex: '47 04 80 00 00 00 | ff', value: { bootItem: { type: 0x8000, layer: 0 } } },
  {
    name: 'two boot servers, two menu items, an unknown sub-option kept raw',
    hex: '08 12 80 00 01 0a 00 00 01 00 01 02 0a 00 00 02 0a 00 00 03 | 09 0b 80 00 01 41 00 00 04 4c 6f 63 61 | 0b 02 aa bb | ff',
    value: {
      bootServers: [{ type: 0x8000, addresses: ['10.0.0.1'] }, { type: 1, addresses: ['10.0.0.2', '10.0.0.3'] }],
      bootMenu: [{ type: 0x8000, description: 'A' }, { type: 0, description: 'Loca' }],
      other: new Map([[11, Uint8Array.of(0xaa, 0xbb)]]),
    },
  },
  { name: 'empty list', hex: 'ff', value: {} },
];

for (const row of option43) {
  test(`option 43 both ways: ${row.name}`, () => {
    assert.deepEqual(decodePxeVendorOptions(hexBytes(row.hex)), row.value);
    assert.deepEqual(encodePxeVendorOptions(row.value), hexBytes(row.hex));
  });
}

test('option 43 decode: PAD is skipped and the list may end without 255', () => {
  assert.deepEqual(decodePxeVendorOptions(hexBytes('00 06 01 08')), { discoveryControl: 8 });
});

const option43Malformed: Array<[string, string]> = [
  ['sub-option without length', '06'],
  ['sub-option running past the option', '06 05 08'],
  ['6 with 2 bytes', '06 02 08 00 ff'],
  ['8 entry truncated', '08 02 80 00 ff'],
  ['8 address list truncated', '08 05 80 00 02 0a 00 ff'],
  ['9 text truncated', '09 05 80 00 09 41 42 ff'],
  ['10 empty', '0a 00 ff'],
  ['71 with 3 bytes', '47 03 80 00 00 ff'],
];
for (const [name, hex] of option43Malformed) {
  test(`option 43 malformed: ${name}`, () => assert.throws(() => decodePxeVendorOptions(hexBytes(hex)), MalformedDhcpPacketError));
}

test('option 60: PXE fields parse, other shapes keep the prefix only', () => {
  assert.deepEqual(parseVendorClass('PXEClient:Arch:00007:UNDI:003000'), {
    text: 'PXEClient:Arch:00007:UNDI:003000', prefix: 'PXEClient', archCode: 7, undi: { major: 3, minor: 0 },
  });
  assert.deepEqual(parseVendorClass('HTTPClient:Arch:00016:UNDI:003000').archCode, 16);
  assert.deepEqual(parseVendorClass('PXEClient'), { text: 'PXEClient', prefix: 'PXEClient' });
  assert.deepEqual(parseVendorClass('AAPLBSDPC/i386/MacBookPro'), { text: 'AAPLBSDPC/i386/MacBookPro', prefix: 'AAPLBSDPC/i386/MacBookPro' });
  assert.deepEqual(parseVendorClass('PXEClient:Arch:7:UNDI:3'), { text: 'PXEClient:Arch:7:UNDI:3', prefix: 'PXEClient' });
  assert.equal(formatVendorClass('PXEClient', 0, { major: 2, minor: 1 }), 'PXEClient:Arch:00000:UNDI:002001');
});

test('option 77: iPXE bare string and RFC 3004 items, both ways', () => {
  assert.deepEqual(decodeUserClass(hexBytes('69 50 58 45')), ['iPXE']);
  assert.deepEqual(encodeUserClass(['iPXE'], 'raw'), hexBytes('69 50 58 45'));
  assert.deepEqual(decodeUserClass(hexBytes('04 69 50 58 45')), ['iPXE']);
  assert.deepEqual(encodeUserClass(['iPXE'], 'rfc3004'), hexBytes('04 69 50 58 45'));
  assert.deepEqual(decodeUserClass(hexBytes('04 69 50 58 45 03 61 62 63')), ['iPXE', 'abc']);
  assert.deepEqual(encodeUserClass(['iPXE', 'abc'], 'rfc3004'), hexBytes('04 69 50 58 45 03 61 62 63'));
  // Looks length-prefixed but does not add up: one raw string.
  assert.deepEqual(decodeUserClass(hexBytes('05 69 50 58 45')), ['\u0005iPXE']);
  assert.deepEqual(decodeUserClass(new Uint8Array(0)), ['']);
});

test('option 93: 16-bit big-endian list, both ways; odd or empty length is malformed', () => {
  assert.deepEqual(decodeClientArchitectures(hexBytes('00 07')), [7]);
  assert.deepEqual(decodeClientArchitectures(hexBytes('00 10 00 07')), [16, 7]);
  assert.deepEqual(encodeClientArchitectures([16, 7]), hexBytes('00 10 00 07'));
  assert.throws(() => decodeClientArchitectures(hexBytes('00')), MalformedDhcpPacketError);
  assert.throws(() => decodeClientArchitectures(new Uint8Array(0)), MalformedDhcpPacketError);
});

test('option 94: type, major, minor both ways; exactly 3 bytes', () => {
  assert.deepEqual(decodeClientNetworkInterface(hexBytes('01 03 0a')), { type: 1, major: 3, minor: 10 });
  assert.deepEqual(encodeClientNetworkInterface({ type: 1, major: 2, minor: 1 }), hexBytes('01 02 01'));
  assert.throws(() => decodeClientNetworkInterface(hexBytes('01 03')), MalformedDhcpPacketError);
});

test('option 97: SMBIOS mixed-endian GUID <-> canonical UUID (lab: QEMU -uuid 7a11b007-0001-4c0d-8e5f-525400770001)', () => {
  const wire = hexBytes('00 07b0117a 0100 0d4c 8e5f 525400770001');
  const id = decodeClientMachineId(wire);
  assert.equal(id.uuid, '7a11b007-0001-4c0d-8e5f-525400770001');
  assert.equal(id.isZero, false);
  assert.deepEqual(id.guid, wire.subarray(1));
  assert.deepEqual(encodeClientMachineId('7A11B007-0001-4C0D-8E5F-525400770001'), wire);
  const zero = decodeClientMachineId(new Uint8Array(17));
  assert.equal(zero.isZero, true);
  assert.equal(zero.uuid, '00000000-0000-0000-0000-000000000000');
  assert.throws(() => decodeClientMachineId(wire.subarray(0, 16)), MalformedDhcpPacketError);
  assert.throws(() => decodeClientMachineId(Uint8Array.from([1, ...wire.subarray(1)])), /type must be 0/);
  assert.throws(() => encodeClientMachineId('not-a-uuid'), RangeError);
});

test('option 175: the iPXE ROM feature list from the lab capture; HTTP = 19', () => {
  const wire = hexBytes('b105011af41000eb03010000170101220101130101110101270101190101290101100102210101150101180101120101');
  const options = decodeIpxeOptions(wire);
  assert.deepEqual(options.get(IpxeOption.busId), hexBytes('01 1a f4 10 00'));
  assert.deepEqual(options.get(IpxeOption.version), hexBytes('01 00 00'));
  assert.equal(hasIpxeFeature(options, IpxeOption.featureHttp), true);
  assert.equal(hasIpxeFeature(options, IpxeOption.featureHttps), false);
  assert.equal(hasIpxeFeature(options, IpxeOption.featureTftp), true);
  assert.deepEqual(encodeIpxeOptions(options), wire);
  assert.equal(hasIpxeFeature(new Map([[19, Uint8Array.of(0)]]), 19), false);
  assert.throws(() => decodeIpxeOptions(hexBytes('13 02 01')), MalformedDhcpPacketError);
});

test('architecture table: IANA codes with 7 and 9 both x64 UEFI, ARM64, HTTP Boot arches', () => {
  const table: Array<[number, string]> = [
    [0, 'bios'], [6, 'uefi-ia32'], [7, 'uefi-x64'], [9, 'uefi-x64'], [10, 'uefi-arm32'], [11, 'uefi-arm64'],
    [15, 'http-ia32'], [16, 'http-x64'], [17, 'http-x64'], [18, 'http-arm32'], [19, 'http-arm64'], [20, 'http-bios'],
    [27, 'uefi-riscv64'], [28, 'http-riscv64'], [39, 'uefi-loongarch64'], [40, 'http-loongarch64'],
    [1, 'unsupported'], [2, 'unsupported'], [8, 'unsupported'], [41, 'unsupported'], [42, 'unsupported'], [0xffff, 'unsupported'],
  ];
  for (const [code, archClass] of table) assert.equal(classifyArchitecture(code).archClass, archClass, `arch ${code}`);
  assert.equal(classifyArchitecture(7).name, 'x64 UEFI');
  assert.equal(isHttpBootClass('http-x64'), true);
  assert.equal(isHttpBootClass('uefi-x64'), false);
});

test('architecture overrides (map or record) win over the table; the first supported code is picked', () => {
  assert.equal(classifyArchitecture(0, new Map([[0, 'uefi-x64' as const]])).archClass, 'uefi-x64');
  assert.equal(classifyArchitecture(2, { 2: 'uefi-x64' }).archClass, 'uefi-x64');
  assert.equal(pickArchitecture([0x99, 7]).code, 7);
  assert.equal(pickArchitecture([16, 7]).code, 16);
  assert.equal(pickArchitecture([0x99]).archClass, 'unsupported');
  assert.equal(pickArchitecture([]).archClass, 'unsupported');
});
