// Goal: the shaper never lets more than rate × time + burst bytes through, and never deadlocks on
// a reservation larger than the burst. Method: reserve fixed reads on a virtual clock and compare
// the cumulative bytes with the allowed envelope; change the rate mid-run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './token-bucket.js';

test('throughput follows the rate; a burst is allowed once', () => {
  const bucket = new TokenBucket(1_000_000, 64 * 1024, 0);
  let now = 0;
  let sent = 0;
  while (now < 10_000) {
    now += bucket.reserve(16 * 1024, now);
    sent += 16 * 1024;
    assert.ok(sent <= (now / 1000) * 1_000_000 + 64 * 1024 + 16 * 1024, `sent ${sent} by ${now} ms`);
  }
  assert.ok(sent >= 10 * 1_000_000, `sent only ${sent}`);
});

test('a reservation bigger than the burst waits instead of failing', () => {
  const bucket = new TokenBucket(1000, 100, 0);
  assert.equal(bucket.reserve(100, 0), 0);
  assert.equal(bucket.reserve(1000, 0), 1000);
  assert.equal(bucket.available(500), -500);
  assert.equal(bucket.reserve(0, 1000), 0);
});

test('setRate applies from now on and keeps accrued tokens', () => {
  const bucket = new TokenBucket(1000, 1000, 0);
  bucket.reserve(1000, 0);
  bucket.setRate(2000, 250);
  assert.equal(bucket.available(250), 250);
  assert.equal(bucket.available(500), 750);
  assert.throws(() => bucket.setRate(0, 600), /rate must be > 0/);
});
