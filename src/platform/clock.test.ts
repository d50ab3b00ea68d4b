// Goal: repeatEvery runs its work at once and then every interval, keeps going after a run that
// throws, and stops for good when cancelled. Method: FakeClock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../testkit/fake-clock.js';
import { repeatEvery } from './clock.js';

test('repeatEvery: now, then every interval; a throwing run does not stop it; cancel stops it', () => {
  const clock = new FakeClock();
  const runs: number[] = [];
  const handle = repeatEvery(clock, 1000, () => {
    runs.push(clock.nowMs());
    if (runs.length === 2) throw new Error('one bad run');
  });
  assert.deepEqual(runs, [0]);
  assert.throws(() => clock.advance(1000), /one bad run/);
  clock.advance(2000);
  assert.deepEqual(runs, [0, 1000, 2000, 3000]);
  handle.cancel();
  clock.advance(5000);
  assert.deepEqual(runs, [0, 1000, 2000, 3000]);
  assert.equal(clock.pendingTimers(), 0);
});
