// Goal: the SSE parser follows the WHATWG event-stream rules whatever the chunking.
// Method: a fixed stream fed whole, byte by byte, and split at every CRLF; same events each time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser } from './sse.js';

const stream = 'retry: 2000\r\n\r\n: ping\n\nid: e1\nevent: policy\ndata: {"a":1}\n\ndata: line1\rdata: line2\r\n\r\nid: e2\ndata\nunknown: x\n\n';
const expected = [
  { event: 'policy', data: '{"a":1}', id: 'e1' },
  { event: 'message', data: 'line1\nline2', id: 'e1' },
  { event: 'message', data: '', id: 'e2' },
];

test('whole, byte by byte, and CR/LF-split feeds give the same events', () => {
  for (const split of [[stream], [...stream], stream.split(/(?<=\r)/)]) {
    const p = new SseParser();
    const got = split.flatMap((c) => p.push(c));
    assert.deepEqual(got, expected);
    assert.equal(p.retryMs, 2000);
    assert.equal(p.lastEventId, 'e2');
  }
});

test('an event without a terminating blank line is not dispatched; an overlong line throws', () => {
  const p = new SseParser({ maxLineBytes: 16 });
  assert.deepEqual(p.push('data: x\n'), []);
  assert.throws(() => p.push('data: ' + 'y'.repeat(32)), /longer than 16/);
});
