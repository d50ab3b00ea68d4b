// Goal: the hive writer's bytes follow the regf layout exactly — base block fields and XOR checksum,
// hbins at 4096-byte multiples with correct self-offsets, cells 8-aligned, negative when allocated and
// tiling each hbin — and every tree comes back unchanged (names, types, inline/cell/big data), in the
// order Windows needs (case-insensitive sorted "lh" lists with the documented hash). Output is
// deterministic. Bad trees are refused with a reason.
// Method: hand-parse the header and hbins at the offsets given by the libyal/msuhanov specifications
// (not through hive-reader.ts), then round-trip trees through decodeRegistryHive; property check over
// seeded random trees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultKeySecurityDescriptor, encodeRegistryHive, FIXED_HIVE_TIME_MS, InvalidRegistryTreeError } from './hive-writer.js';
import { decodeRegistryHive } from './hive-reader.js';
import { baseBlockChecksum, compareKeyNames, keyNameHash } from './hive-format.js';
import {
  REG_BINARY, REG_DWORD, REG_MULTI_SZ, REG_QWORD, REG_SZ, registryKey, registryValue, type RegistryKey,
} from './registry-tree.js';
import { seededRandom as mulberry32 } from '../../testkit/seeded-random.js';

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const i32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getInt32(at, true);

const sample = registryKey('ROOT', {
  values: [registryValue.sz('Name', 'hello'), registryValue.dword('Small', 7), registryValue.binary('', Uint8Array.of(1, 2, 3))],
  subkeys: [
    registryKey('b'),
    registryKey('A', { subkeys: [registryKey('x', { values: [registryValue.multiSz('M', ['a', 'bc'])] })] }),
    registryKey('{guid-like}'),
  ],
});

test('base block: signature, clean sequence numbers, version 1.5, primary file, root, sizes, XOR-32 checksum', () => {
  const hive = encodeRegistryHive(sample);
  assert.equal(String.fromCharCode(...hive.subarray(0, 4)), 'regf');
  assert.equal(u32(hive, 4), u32(hive, 8), 'primary == secondary sequence (not dirty)');
  assert.equal(new DataView(hive.buffer).getBigUint64(12, true), (BigInt(FIXED_HIVE_TIME_MS) + 11644473600000n) * 10000n);
  assert.deepEqual([u32(hive, 20), u32(hive, 24), u32(hive, 28), u32(hive, 32)], [1, 5, 0, 1]);
  assert.equal(u32(hive, 40), hive.length - 4096, 'hive bins data size = file size - base block');
  assert.equal(u32(hive, 44), 1, 'clustering factor');
  let xor = 0;
  for (let i = 0; i < 508; i += 4) xor = (xor ^ u32(hive, i)) >>> 0;
  assert.equal(u32(hive, 508), xor);
  const root = 4096 + u32(hive, 36);
  assert.ok(i32(hive, root) < 0, 'root cell allocated');
  assert.equal(String.fromCharCode(hive[root + 4]!, hive[root + 5]!), 'nk');
  assert.equal(new DataView(hive.buffer).getUint16(root + 6, true), 0x2c, 'root flags HIVE_ENTRY|NO_DELETE|COMP_NAME');
});

test('hbins are 4096-aligned with correct self-offsets, and cells tile each hbin (allocated < 0, free > 0, 8-aligned)', () => {
  // A 40000-byte value forces big data and several bins.
  const big = new Uint8Array(40000).map((_, i) => (i * 7) & 0xff);
  const hive = encodeRegistryHive(registryKey('R', { values: [registryValue.binary('Big', big)], subkeys: [sample] }));
  assert.equal(hive.length % 4096, 0);
  let bins = 0;
  let allocated = 0;
  for (let bin = 4096; bin < hive.length;) {
    assert.equal(String.fromCharCode(...hive.subarray(bin, bin + 4)), 'hbin');
    assert.equal(u32(hive, bin + 4), bin - 4096, 'hbin offset field');
    const size = u32(hive, bin + 8);
    assert.ok(size >= 4096 && size % 4096 === 0, `hbin size ${size}`);
    let cell = bin + 32;
    while (cell < bin + size) {
      const raw = i32(hive, cell);
      assert.ok(raw !== 0 && Math.abs(raw) % 8 === 0, `cell size ${raw} at ${cell}`);
      if (raw < 0) allocated++;
      cell += Math.abs(raw);
    }
    assert.equal(cell, bin + size, 'cells end exactly at the hbin end');
    bin += size;
    bins++;
  }
  assert.ok(bins >= 3, `big data spans bins (${bins})`);
  const decoded = decodeRegistryHive(hive);
  assert.equal(decoded.binCount, bins);
  assert.equal(decoded.allocatedCellCount, allocated);
  assert.deepEqual(decoded.root.values[0]!.data, big);
});

test('round trip keeps names, types and data (inline ≤ 4 bytes, cell, big data > 16344 bytes, UTF-16 names)', () => {
  const sizes = [0, 1, 4, 5, 16344, 16345, 16344 * 2, 16344 * 2 + 1];
  const tree = registryKey('Root', {
    values: sizes.map((n) => registryValue.binary(`v${n}`, new Uint8Array(n).map((_, i) => (i + n) & 0xff))),
    subkeys: [
      registryKey('Ünïcödé ключ', { values: [{ name: 'naïve name', type: 0x10000001, data: Uint8Array.of(9) }] }),
      registryKey('types', {
        values: [
          registryValue.sz('sz', 'text ✓'),
          registryValue.multiSz('multi', ['one', 'two']),
          registryValue.dword('dword', 0xdeadbeef),
          registryValue.qword('qword', 0x0123456789abcdefn),
        ],
      }),
    ],
  });
  const decoded = decodeRegistryHive(encodeRegistryHive(tree));
  assert.deepEqual(decoded.root, sortTree(tree));
  const types = decoded.root.subkeys.find((k) => k.name === 'types')!;
  assert.deepEqual(types.values.map((v) => v.type), [REG_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD]);
  assert.equal(decoded.root.values.find((v) => v.name === 'v0')!.type, REG_BINARY);
});

test('subkeys are written sorted case-insensitively with the lh hash h = 37h + upcase(c)', () => {
  assert.equal(keyNameHash('A'), 65);
  assert.equal(keyNameHash('ab'), 65 * 37 + 66);
  assert.equal(keyNameHash('Ab'), keyNameHash('aB'));
  const tree = registryKey('R', { subkeys: ['zeta', 'Alpha', 'beta', '12000004', '{9dea}', '_x'].map((n) => registryKey(n)) });
  const hive = encodeRegistryHive(tree);
  const root = 4096 + u32(hive, 36);
  const list = 4096 + u32(hive, root + 4 + 28);
  assert.equal(String.fromCharCode(hive[list + 4]!, hive[list + 5]!), 'lh');
  const count = new DataView(hive.buffer).getUint16(list + 6, true);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const nk = 4096 + u32(hive, list + 8 + 8 * i);
    const nameLength = new DataView(hive.buffer).getUint16(nk + 4 + 72, true);
    const name = String.fromCharCode(...hive.subarray(nk + 4 + 76, nk + 4 + 76 + nameLength));
    names.push(name);
    assert.equal(u32(hive, list + 12 + 8 * i), keyNameHash(name), `hash of ${name}`);
    assert.equal(u32(hive, nk + 4 + 16), root - 4096, `parent of ${name}`);
  }
  assert.deepEqual(names, ['12000004', 'Alpha', 'beta', 'zeta', '_x', '{9dea}']);
});

test('output is deterministic; the timestamp and debug file name are options', () => {
  assert.deepEqual(encodeRegistryHive(sample), encodeRegistryHive(sample));
  const later = encodeRegistryHive(sample, { lastWrittenMs: Date.UTC(2024, 5, 1), fileName: '\\Boot\\BCD' });
  const decoded = decodeRegistryHive(later);
  assert.equal(decoded.lastWrittenMs, Date.UTC(2024, 5, 1));
  assert.equal(decoded.fileName, '\\Boot\\BCD');
  assert.notDeepEqual(later, encodeRegistryHive(sample));
});

test('checksum follows Windows: a XOR of 0 is stored as 1 and 0xFFFFFFFF as 0xFFFFFFFE', () => {
  const zero = new Uint8Array(512);
  assert.equal(baseBlockChecksum(zero), 1);
  const ones = new Uint8Array(512);
  new DataView(ones.buffer).setUint32(0, 0xffffffff, true);
  assert.equal(baseBlockChecksum(ones), 0xfffffffe);
});

test('bad trees are refused with the key path and reason', () => {
  const cases: [RegistryKey, RegExp][] = [
    [registryKey('R', { subkeys: [registryKey('a'), registryKey('A')] }), /duplicate subkey/],
    [registryKey('R', { values: [registryValue.dword('v', 1), registryValue.dword('V', 2)] }), /duplicate value/],
    [registryKey('R', { subkeys: [registryKey('a\\b')] }), /backslash/],
    [registryKey('R', { subkeys: [registryKey('')] }), /empty key name/],
    [registryKey('R', { subkeys: [registryKey('x'.repeat(256))] }), /longer than 255/],
    [registryKey('R', { subkeys: Array.from({ length: 1001 }, (_, i) => registryKey(`k${i}`)) }), /more than 1000 subkeys/],
    [registryKey('R', { values: [registryValue.binary('big', new Uint8Array(1024 * 1024 + 1))] }), /over 1048576 bytes/],
  ];
  for (const [tree, reason] of cases) {
    assert.throws(() => encodeRegistryHive(tree), (e: unknown) => e instanceof InvalidRegistryTreeError && reason.test(e.message));
  }
});

test('property: random trees round-trip through writer and reader (seeded)', () => {
  for (const seed of [1, 2, 3, 0xb0d]) {
    const rand = mulberry32(seed);
    for (let round = 0; round < 20; round++) {
      const tree = randomTree(rand, 0);
      assert.deepEqual(decodeRegistryHive(encodeRegistryHive(tree)).root, sortTree(tree), `seed ${seed} round ${round}`);
    }
  }
});

function sortTree(key: RegistryKey): RegistryKey {
  return {
    name: key.name,
    values: key.values.map((v) => ({ name: v.name, type: v.type, data: Uint8Array.from(v.data) })),
    subkeys: [...key.subkeys].sort((a, b) => compareKeyNames(a.name, b.name)).map(sortTree),
  };
}


function randomTree(rand: () => number, depth: number): RegistryKey {
  const int = (n: number) => Math.floor(rand() * n);
  const name = (prefix: string) => `${prefix}${int(1e6).toString(36)}${rand() < 0.2 ? 'é' : ''}`;
  const sizes = [0, 2, 4, 8, 100, 3000, 20000];
  const values = Array.from({ length: int(5) }, (_, i) => ({
    name: `${name('v')}${i}`,
    type: [REG_SZ, REG_BINARY, REG_DWORD, 0x10000005][int(4)]!,
    data: new Uint8Array(sizes[int(sizes.length)]!).map(() => int(256)),
  }));
  const subkeys = depth >= 3 ? [] : Array.from({ length: int(4) }, () => randomTree(rand, depth + 1)).map((k, i) => ({ ...k, name: `${k.name}${i}` }));
  return { name: depth === 0 ? 'root' : name('k'), values, subkeys };
}

test('the shared security descriptor is a well-formed self-relative SD (owner, group, DACL with two ACEs)', () => {
  const sd = defaultKeySecurityDescriptor();
  const dv = new DataView(sd.buffer, sd.byteOffset, sd.byteLength);
  assert.equal(sd[0], 1, 'revision');
  assert.equal(dv.getUint16(2, true), 0x8004, 'SE_SELF_RELATIVE | SE_DACL_PRESENT');
  const [owner, group, sacl, dacl] = [4, 8, 12, 16].map((o) => dv.getUint32(o, true)) as [number, number, number, number];
  assert.equal(sacl, 0);
  const sid = (at: number) => `S-${sd[at]}-${sd[at + 7]}-${Array.from({ length: sd[at + 1]! }, (_, i) => dv.getUint32(at + 8 + 4 * i, true)).join('-')}`;
  assert.equal(sid(owner), 'S-1-5-32-544');
  assert.equal(sid(group), 'S-1-5-18');
  assert.equal(sd[dacl], 2, 'ACL revision');
  const aclSize = dv.getUint16(dacl + 2, true);
  assert.equal(dv.getUint16(dacl + 4, true), 2, 'ACE count');
  let ace = dacl + 8;
  const trustees: string[] = [];
  for (let i = 0; i < 2; i++) {
    assert.equal(sd[ace], 0, 'ACCESS_ALLOWED_ACE_TYPE');
    assert.equal(dv.getUint32(ace + 4, true), 0xf003f, 'KEY_ALL_ACCESS');
    trustees.push(sid(ace + 8));
    ace += dv.getUint16(ace + 2, true);
  }
  assert.equal(ace, dacl + aclSize, 'ACEs fill the ACL exactly');
  assert.deepEqual(trustees, ['S-1-5-18', 'S-1-5-32-544']);
  assert.equal(Math.max(owner + 16, group + 12, dacl + aclSize), sd.length, 'no slack after the parts');
  // Every key of a hive points at the one sk cell, whose reference count is the number of keys.
  const hive = encodeRegistryHive(sample);
  const root = 4096 + u32(hive, 36);
  const sk = 4096 + u32(hive, root + 4 + 44);
  assert.equal(String.fromCharCode(hive[sk + 4]!, hive[sk + 5]!), 'sk');
  assert.equal(u32(hive, sk + 4 + 12), 5, 'ROOT, A, x, b, {guid-like}');
  assert.deepEqual(hive.subarray(sk + 4 + 20, sk + 4 + 20 + sd.length), sd);
});
