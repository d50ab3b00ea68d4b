// Goal: the site's WAN settings can change while an agent runs (a new signed policy): a new cap
// applies at once, switching the adaptive mode on or off takes effect, a LEDBAT controller that
// stays on keeps what it learned (base delay), and values the shaper cannot honour are refused.
// Method: WanShaper on a FakeClock; rates read back through rateBytesPerSecond().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../testkit/fake-clock.js';
import { WanShaper } from './wan-shaper.js';

const MBIT = 125_000;

test('a cap set at run time limits the rate; removing it lifts the limit', () => {
  const shaper = new WanShaper({ capBytesPerSecond: null, adaptive: false }, new FakeClock());
  assert.equal(shaper.rateBytesPerSecond(), Infinity);
  shaper.setPolicy({ capBytesPerSecond: 8 * MBIT, adaptive: false });
  assert.equal(shaper.rateBytesPerSecond(), 8 * MBIT);
  shaper.setShare(2);
  assert.equal(shaper.rateBytesPerSecond(), 4 * MBIT, 'two fetchers split the site cap');
  shaper.setPolicy({ capBytesPerSecond: null, adaptive: false });
  assert.equal(shaper.rateBytesPerSecond(), Infinity);
});

test('adaptive on at run time: LEDBAT limits the rate, within the cap', () => {
  const shaper = new WanShaper({ capBytesPerSecond: null, adaptive: false }, new FakeClock());
  assert.equal(shaper.ledbat, null);
  shaper.setPolicy({ capBytesPerSecond: 2 * MBIT, adaptive: true });
  assert.ok(shaper.ledbat, 'a controller exists');
  assert.ok(shaper.rateBytesPerSecond() <= 2 * MBIT);
  shaper.setPolicy({ capBytesPerSecond: 2 * MBIT, adaptive: false });
  assert.equal(shaper.ledbat, null);
  assert.equal(shaper.rateBytesPerSecond(), 2 * MBIT);
});

test('a controller that stays on keeps its base delay across a cap change', () => {
  const clock = new FakeClock();
  const shaper = new WanShaper({ capBytesPerSecond: null, adaptive: true }, clock);
  for (let i = 0; i < 20; i++) {
    clock.advance(50);
    shaper.onDelaySample(40 + (i % 3));
  }
  const before = shaper.ledbat;
  assert.equal(before?.reading().baseDelayMs, 40);
  shaper.setPolicy({ capBytesPerSecond: 1 * MBIT, adaptive: true });
  assert.equal(shaper.ledbat, before, 'the same controller');
  assert.ok(shaper.rateBytesPerSecond() <= 1 * MBIT);
  // A new target delay means a fresh controller, seeded with the history.
  shaper.setPolicy({ capBytesPerSecond: 1 * MBIT, adaptive: true, targetDelayMs: 25 });
  assert.notEqual(shaper.ledbat, before);
  assert.deepEqual(shaper.baseHistory().map((e) => e.minMs), before!.baseHistory(clock.nowMs()).map((e) => e.minMs));
});

test('values the shaper cannot honour are refused and the old settings stay', () => {
  const shaper = new WanShaper({ capBytesPerSecond: 4 * MBIT, adaptive: false }, new FakeClock());
  assert.throws(() => shaper.setPolicy({ capBytesPerSecond: 0, adaptive: false }), /WAN cap must be > 0/);
  assert.throws(() => shaper.setPolicy({ capBytesPerSecond: null, adaptive: true, targetDelayMs: 500 }), /target delay must be 25–100 ms/);
  assert.equal(shaper.rateBytesPerSecond(), 4 * MBIT);
});
