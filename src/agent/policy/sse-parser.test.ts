// Goal: the SSE parser yields exactly the policy stream's events however the bytes are split
// (inside a line, between CR and LF), keeps ids, honours retry, counts keep-alive comments, and
// refuses an unbounded event. Method: a frame as the server writes it, fed whole, byte by byte and
// at every split point; CRLF and CR line ends; an oversized event.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParseError, SseParser } from './sse-parser.js';

const stream = 'retry: 2000\n\n: ping\n\nid: abc123\nevent: policy\ndata: {"a":1,\ndata: "b":2}\n\n';

test('a whole stream: retry, one comment, one event with joined data and its id', () => {
  const r = new SseParser().feed(stream);
  assert.equal(r.retryMs, 2000);
  assert.equal(r.comments, 1);
  assert.deepEqual(r.events, [{ type: 'policy', data: '{"a":1,\n"b":2}', lastEventId: 'abc123' }]);
});

test('every split point gives the same events', () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const p = new SseParser();
    const events = [...p.feed(stream.slice(0, cut)).events, ...p.feed(stream.slice(cut)).events];
    assert.equal(events.length, 1, `cut at ${cut}`);
    assert.equal(events[0]!.data, '{"a":1,\n"b":2}');
  }
  const p = new SseParser();
  const events = [...stream].flatMap((ch) => p.feed(ch).events);
  assert.equal(events.length, 1);
});

test('CRLF and CR line ends, including a CRLF split across chunks', () => {
  const crlf = stream.replace(/\n/g, '\r\n');
  for (let cut = 0; cut <= crlf.length; cut++) {
    const p = new SseParser();
    const events = [...p.feed(crlf.slice(0, cut)).events, ...p.feed(crlf.slice(cut)).events];
    assert.equal(events.length, 1, `CRLF cut at ${cut}`);
    assert.equal(events[0]!.type, 'policy');
  }
  const cr = new SseParser().feed(stream.replace(/\n/g, '\r'));
  assert.equal(cr.events.length, 1);
});

test('an event without data is not dispatched; a data-only event is a "message"', () => {
  const r = new SseParser().feed('event: policy\n\ndata: x\n\n');
  assert.deepEqual(r.events, [{ type: 'message', data: 'x', lastEventId: '' }]);
});

test('an event larger than the bound is refused', () => {
  const p = new SseParser(100);
  assert.throws(() => p.feed(`data: ${'x'.repeat(200)}\n\n`), SseParseError);
  const q = new SseParser(100);
  assert.throws(() => q.feed('x'.repeat(5000)), SseParseError, 'an endless line is refused too');
});
