// Goal: GUIDs become the bytes of a Windows GUID struct (Data1–3 little-endian, Data4 as written) and
// the key-name form BCD uses ({lower-case}); anything else is refused.
// Method: the {ramdiskoptions} GUID against its bytes written out by hand; round trips; bad inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeGuid, encodeGuid, formatBcdGuid, InvalidGuidError } from './guid.js';

test('{ramdiskoptions} encodes mixed-endian', () => {
  const bytes = encodeGuid('{ae5534e0-a924-466c-b836-758539a3ee3a}');
  assert.deepEqual([...bytes], [0xe0, 0x34, 0x55, 0xae, 0x24, 0xa9, 0x6c, 0x46, 0xb8, 0x36, 0x75, 0x85, 0x39, 0xa3, 0xee, 0x3a]);
  assert.equal(decodeGuid(bytes), '{ae5534e0-a924-466c-b836-758539a3ee3a}');
});

test('key-name form: braces added, lower case', () => {
  assert.equal(formatBcdGuid('9DEA862C-5CDD-4E70-ACC1-F32B344D4795'), '{9dea862c-5cdd-4e70-acc1-f32b344d4795}');
});

test('not a GUID: refused', () => {
  for (const bad of ['', '{}', '9dea862c-5cdd-4e70-acc1-f32b344d479', '{9dea862c5cdd4e70acc1f32b344d4795}', '{zzzz862c-5cdd-4e70-acc1-f32b344d4795}']) {
    assert.throws(() => encodeGuid(bad), InvalidGuidError, bad);
    assert.throws(() => formatBcdGuid(bad), InvalidGuidError, bad);
  }
  assert.throws(() => decodeGuid(new Uint8Array(15)), RangeError);
});
