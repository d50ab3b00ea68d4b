// Goal: the strict reader refuses damaged hives with a MalformedHiveError naming the fault (so a BCD
// that would not parse is never served) and never fails any other way, whatever the bytes.
// Method: targeted corruptions of a known-good hive at the offsets of the regf specification, then a
// seeded bit-flip/truncation sweep asserting "decodes or MalformedHiveError".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRegistryHive } from './hive-writer.js';
import { decodeRegistryHive, MalformedHiveError } from './hive-reader.js';
import { baseBlockChecksum } from './hive-format.js';
import { registryKey, registryValue } from './registry-tree.js';

const good = encodeRegistryHive(registryKey('R', {
  values: [registryValue.sz('s', 'text'), registryValue.binary('big', new Uint8Array(20000).fill(7))],
  subkeys: [registryKey('a', { values: [registryValue.dword('d', 1)] }), registryKey('b'), registryKey('c')],
}));
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function damaged(change: (bytes: Uint8Array) => void, fixChecksum = true): Uint8Array {
  const bytes = Uint8Array.from(good);
  change(bytes);
  if (fixChecksum) view(bytes).setUint32(508, baseBlockChecksum(bytes.subarray(0, 4096)), true);
  return bytes;
}

function rootSubkeyList(bytes: Uint8Array): number {
  const root = 4096 + view(bytes).getUint32(36, true);
  return 4096 + view(bytes).getUint32(root + 4 + 28, true);
}

test('a good hive decodes', () => {
  const decoded = decodeRegistryHive(good);
  assert.deepEqual(decoded.root.subkeys.map((k) => k.name), ['a', 'b', 'c']);
});

test('damaged hives are refused with the reason', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['signature', damaged((b) => b.set([0x78], 0)), /regf/],
    ['checksum', damaged((b) => { b[100] = 0x55; }, false), /checksum/],
    ['dirty', damaged((b) => view(b).setUint32(4, 2, true)), /dirty/],
    ['version', damaged((b) => view(b).setUint32(20, 2, true)), /major version/],
    ['log file', damaged((b) => view(b).setUint32(28, 1, true)), /not a primary file/],
    ['bins size', damaged((b) => view(b).setUint32(40, 4095, true)), /multiple of 4096/],
    ['hbin offset', damaged((b) => view(b).setUint32(4096 + 4, 8, true)), /says it is at/],
    ['cell size', damaged((b) => view(b).setInt32(4096 + 32, -12, true)), /size -12|straddles|not an allocated/],
    ['root not nk', damaged((b) => view(b).setUint32(36, view(b).getUint32(36, true) + 8, true)), /not an allocated cell|not an "nk"/],
    ['lh hash', damaged((b) => { const l = rootSubkeyList(b); view(b).setUint32(l + 8 + 4, 1, true); }), /wrong hash/],
    ['unsorted', damaged((b) => {
      const l = rootSubkeyList(b);
      const first = b.slice(l + 8, l + 16);
      b.copyWithin(l + 8, l + 16, l + 24);
      b.set(first, l + 16);
    }), /not sorted/],
    ['subkey count', damaged((b) => { const l = rootSubkeyList(b); view(b).setUint16(l + 6, 2, true); }), /list holds 2/],
    ['truncated', good.subarray(0, good.length - 4096), /runs past/],
    ['tiny', good.subarray(0, 5000), /smaller than/],
  ];
  for (const [name, bytes, reason] of cases) {
    assert.throws(() => decodeRegistryHive(bytes), (e: unknown) => e instanceof MalformedHiveError && reason.test(e.message), name);
  }
});

test('sweep: flipped bytes and truncations decode or throw MalformedHiveError, nothing else', () => {
  let state = 0x5eed;
  const rand = (n: number) => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state % n; };
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const bytes = Uint8Array.from(good);
    const flips = 1 + rand(4);
    for (let f = 0; f < flips; f++) bytes[4096 + rand(bytes.length - 4096)] = rand(256);
    view(bytes).setUint32(508, baseBlockChecksum(bytes.subarray(0, 4096)), true);
    const input = rand(10) === 0 ? bytes.subarray(0, rand(bytes.length)) : bytes;
    try {
      decodeRegistryHive(input);
    } catch (e) {
      assert.ok(e instanceof MalformedHiveError, `iteration ${i}: ${String(e)}`);
      refused++;
    }
  }
  assert.ok(refused > 100, `most damage is noticed (${refused})`);
});
