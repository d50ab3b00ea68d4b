// Goal: the shared drop shell counts every dropped datagram under the listener's counter (with the
// reason as a label, or plain), logs it at debug with the fields given, turns a codec's malformed
// error into a drop, and lets any other error through (a bug must not be counted as bad input).
// Method: a real Counters and memoryLogger; a stand-in codec error class.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counters } from './counters.js';
import { datagramDropper, decodeOrDrop } from './datagram-drop.js';
import { memoryLogger } from './logger.js';

class BadBytes extends Error {
  constructor(readonly reason: string) {
    super(`bad bytes: ${reason}`);
  }
}

test('a labelled dropper counts by reason and logs the fields as given', () => {
  const counters = new Counters();
  const logger = memoryLogger();
  const drop = datagramDropper({ counters, logger, counter: 'test_dropped_total', message: 'test message dropped' });
  drop('malformed', { reason: 'malformed', from: '10.0.0.1' });
  drop('malformed', { reason: 'malformed', from: '10.0.0.2' });
  drop('replayed', { reason: 'replayed', from: '10.0.0.1' });
  assert.equal(counters.get('test_dropped_total', { reason: 'malformed' }), 2);
  assert.equal(counters.get('test_dropped_total', { reason: 'replayed' }), 1);
  assert.deepEqual(logger.lines.map((l) => [l.level, l.msg, l.from]), [
    ['debug', 'test message dropped', '10.0.0.1'], ['debug', 'test message dropped', '10.0.0.2'], ['debug', 'test message dropped', '10.0.0.1'],
  ]);
});

test('a plain dropper counts without labels', () => {
  const counters = new Counters();
  const drop = datagramDropper({ counters, logger: memoryLogger(), counter: 'test_malformed_total', labelled: false, message: 'dropped' });
  drop('malformed', {});
  assert.equal(counters.get('test_malformed_total'), 1);
});

test('decodeOrDrop: the value, or a drop with the codec reason; other errors propagate', () => {
  const reasons: string[] = [];
  assert.equal(decodeOrDrop(() => 42, BadBytes, (r) => reasons.push(r)), 42);
  assert.equal(decodeOrDrop(() => { throw new BadBytes('too short'); }, BadBytes, (r) => reasons.push(r)), null);
  assert.deepEqual(reasons, ['too short']);
  assert.throws(() => decodeOrDrop(() => { throw new TypeError('bug'); }, BadBytes, (r) => reasons.push(r)), TypeError);
  assert.deepEqual(reasons, ['too short']);
});
