// Goal: the reply limiter allows at most perMacMax replies per MAC per window and globalPerSecondMax
// per second overall, recovers when the window slides, and tracks a bounded number of MACs.
// Method: explicit millisecond timestamps (no real time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyRateLimiter } from './reply-rate-limit.js';

test('per MAC: 4 in 10 s, sliding', () => {
  const limiter = new ReplyRateLimiter();
  const times = [0, 4000, 8000, 9000];
  for (const t of times) assert.deepEqual(limiter.take('a', t), { allowed: true });
  assert.deepEqual(limiter.take('a', 9999), { allowed: false, reason: 'per-mac' });
  assert.deepEqual(limiter.take('b', 9999), { allowed: true }, 'other MACs are independent');
  assert.deepEqual(limiter.take('a', 10_000), { allowed: true }, 'the reply at t=0 left the window');
});

test('global ceiling per second', () => {
  const limiter = new ReplyRateLimiter({ globalPerSecondMax: 3 });
  assert.equal(limiter.take('a', 0).allowed, true);
  assert.equal(limiter.take('b', 10).allowed, true);
  assert.equal(limiter.take('c', 20).allowed, true);
  assert.deepEqual(limiter.take('d', 999), { allowed: false, reason: 'global' });
  assert.equal(limiter.take('d', 1000).allowed, true);
});

test('refused attempts do not consume quota, and tracked MACs are bounded (least recent evicted)', () => {
  const limiter = new ReplyRateLimiter({ perMacMax: 1, trackedMacsMax: 100, globalPerSecondMax: 1e9 });
  assert.equal(limiter.take('x', 0).allowed, true);
  for (let i = 0; i < 5; i++) assert.equal(limiter.take('x', 1).allowed, false);
  for (let i = 0; i < 1000; i++) limiter.take(`m${i}`, 2);
  assert.equal(limiter.trackedMacs(), 100);
  assert.equal(limiter.take('x', 3).allowed, true, 'x was evicted, so it starts afresh');
});
