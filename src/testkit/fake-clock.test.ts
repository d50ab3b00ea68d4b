// Goal: FakeClock fires timers in due order, never early, and honours cancel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './fake-clock.js';

test('fires due timers in order and skips cancelled ones', () => {
  const clock = new FakeClock(1000);
  const fired: string[] = [];
  clock.setTimer(50, () => fired.push('b'));
  clock.setTimer(10, () => fired.push('a'));
  const c = clock.setTimer(30, () => fired.push('cancelled'));
  c.cancel();
  clock.advance(9);
  assert.deepEqual(fired, []);
  clock.advance(100);
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(clock.nowMs(), 1109);
});

test('a timer set while firing runs in the same advance when due', () => {
  const clock = new FakeClock();
  const at: number[] = [];
  clock.setTimer(10, () => { at.push(clock.nowMs()); clock.setTimer(10, () => at.push(clock.nowMs())); });
  clock.advance(25);
  assert.deepEqual(at, [10, 20]);
  assert.equal(clock.pendingTimers(), 0);
});
