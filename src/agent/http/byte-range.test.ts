// Goal: Range headers map to the exact bytes RFC 9110 §14 asks for, and odd ones degrade safely.
// Method: table of header × size → expected range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseByteRange } from './http-boot-server.js';

const cases: Array<[string | undefined, number, ReturnType<typeof parseByteRange>]> = [
  [undefined, 100, { kind: 'whole' }],
  ['bytes=0-9', 100, { kind: 'range', start: 0, end: 9 }],
  ['bytes=90-', 100, { kind: 'range', start: 90, end: 99 }],
  ['bytes=90-500', 100, { kind: 'range', start: 90, end: 99 }],
  ['bytes=-10', 100, { kind: 'range', start: 90, end: 99 }],
  ['bytes=-500', 100, { kind: 'range', start: 0, end: 99 }],
  ['bytes=100-', 100, { kind: 'unsatisfiable' }],
  ['bytes=5-4', 100, { kind: 'unsatisfiable' }],
  ['bytes=-0', 100, { kind: 'unsatisfiable' }],
  ['bytes=0-0', 0, { kind: 'unsatisfiable' }],
  ['bytes=0-1,5-6', 100, { kind: 'whole' }],
  ['items=0-1', 100, { kind: 'whole' }],
  ['bytes=-', 100, { kind: 'whole' }],
];

for (const [header, size, want] of cases) {
  test(`Range ${JSON.stringify(header)} on ${size} bytes`, () => {
    assert.deepEqual(parseByteRange(header, size), want);
  });
}
