// Goal: password hashing cannot be queued without end by anonymous logins (security review M1):
// at most `running` hashes at once, at most `queued` waiting, the rest refused at once; a finished
// hash hands its slot to the next in line. Method: the gate over work the test releases by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PasswordHashBusyError, PasswordHashGate } from './auth.js';

test('two run, two wait, the fifth is refused; slots pass on in order', async () => {
  const gate = new PasswordHashGate(2, 2);
  const started: number[] = [];
  const release: Array<() => void> = [];
  const job = (n: number) => gate.run(() => new Promise<number>((resolve) => { started.push(n); release.push(() => resolve(n)); }));
  const jobs = [job(1), job(2), job(3), job(4)];
  await assert.rejects(job(5), PasswordHashBusyError);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [1, 2], 'two at a time');
  release.shift()!();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [1, 2, 3], 'a finished one hands its slot to the first waiting');
  while (release.length) { release.shift()!(); await new Promise((r) => setImmediate(r)); }
  assert.deepEqual(await Promise.all(jobs), [1, 2, 3, 4]);
  assert.equal(await gate.run(async () => 'free again'), 'free again');
});

test('a failing hash frees its slot too', async () => {
  const gate = new PasswordHashGate(1, 0);
  await assert.rejects(gate.run(async () => { throw new Error('bad parameters'); }), /bad parameters/);
  assert.equal(await gate.run(async () => 7), 7);
});
