// Goal: the supervisor's one set of rules — stops before starts, stops in reverse order, a service
// waits for what it requires, a changed configuration restarts it, a failed start keeps it out for
// the back-off and is then retried, bursts of applies coalesce. Method: fake services that record
// calls, a FakeClock for the back-off; no sockets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryLogger } from '../../platform/logger.js';
import { FakeClock } from '../../testkit/fake-clock.js';
import { Supervisor, type ServiceDefinition } from './supervisor.js';

function fakes(calls: string[], failing: Set<string> = new Set()) {
  const def = (name: string, requires: string[] = []): ServiceDefinition<string, string> => ({
    name, requires, configKey: (c) => c,
    async start(config) {
      if (failing.has(name)) throw new Error(`${name} port taken`);
      calls.push(`start ${name} ${config}`);
      return `${name}-handle`;
    },
    async stop(handle, why) { calls.push(`stop ${name} (${why}) ${handle}`); },
  });
  return [def('election'), def('servers'), def('pxe', ['servers']), def('shadow', ['servers'])] as ServiceDefinition<never, never>[];
}

test('starts in order, stops in reverse before any start, restarts on a new configuration', async () => {
  const calls: string[] = [];
  const s = new Supervisor({ services: fakes(calls), clock: new FakeClock(), logger: memoryLogger() });
  await s.apply(() => ({ election: 'cert1', servers: 'on', pxe: null, shadow: 'on' }));
  assert.deepEqual(calls, ['start election cert1', 'start servers on', 'start shadow on']);
  calls.length = 0;
  // The standby becomes active: the shadow goes before the responder binds the same ports.
  await s.apply(() => ({ election: 'cert2', servers: 'on', pxe: 'on', shadow: null }));
  assert.deepEqual(calls, ['stop shadow (unwanted) shadow-handle', 'stop election (reconfigure) election-handle', 'start election cert2', 'start pxe on']);
  assert.equal(s.runningConfig('election'), 'cert2');
  calls.length = 0;
  await s.stopAll();
  assert.deepEqual(calls, ['stop pxe (shutdown) pxe-handle', 'stop servers (shutdown) servers-handle', 'stop election (shutdown) election-handle']);
  await s.apply(() => ({ servers: 'on' }));
  assert.equal(s.isRunning('servers'), false, 'nothing starts after stopAll');
});

test('a service waits for what it requires; a failed start is out for the back-off, then retried', async () => {
  const calls: string[] = [];
  const failing = new Set(['servers']);
  const clock = new FakeClock();
  const logger = memoryLogger();
  const s = new Supervisor({ services: fakes(calls, failing), clock, logger, backoffMs: 60_000 });
  const plan = () => ({ servers: 'on', pxe: 'on' });
  await s.apply(plan);
  assert.deepEqual(calls, [], 'pxe does not start without the servers it requires');
  assert.equal(s.failedRecently('servers'), true);
  assert.match(String(logger.lines.find((l) => l.level === 'error')?.msg), /^servers cannot start: servers port taken; not running, retrying in 60 s/);
  failing.delete('servers');
  clock.advance(59_999);
  await s.apply(plan);
  assert.deepEqual(calls, [], 'still in back-off');
  clock.advance(1);
  await s.apply(plan);
  assert.deepEqual(calls, ['start servers on', 'start pxe on']);
  assert.equal(s.failedRecently('servers'), false);
});

test('applies that arrive while one runs coalesce into one more, with the newest facts', async () => {
  const calls: string[] = [];
  const s = new Supervisor({ services: fakes(calls), clock: new FakeClock(), logger: memoryLogger() });
  let facts = 'a';
  const planned: string[] = [];
  const plan = () => { planned.push(facts); return { election: facts }; };
  const first = s.apply(plan);
  facts = 'b';
  void s.apply(plan);
  facts = 'c';
  await Promise.all([first, s.apply(plan)]);
  // All three arrived before the first turn: one plan, made with the facts of that turn.
  assert.deepEqual(planned, ['c']);
  assert.equal(s.runningConfig('election'), 'c');
  assert.deepEqual(calls, ['start election c']);
});
