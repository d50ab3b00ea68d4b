// Goal: boot events are batched, survive a server outage (bounded, oldest dropped and counted) and
// are delivered when it returns; boot-server log lines become the right events; status reports go
// out at start, on change (debounced) and on the interval, and keep retrying through failures.
// Method: FakeClock-driven reporters with in-memory send functions; the log tap over memoryLogger.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentStatusReport, BootEventInput } from '../../contract/schemas.js';
import { Counters } from '../../platform/counters.js';
import { memoryLogger } from '../../platform/logger.js';
import { FakeClock } from '../../testkit/fake-clock.js';
import { bootEventOfLogLine, bootEventTap } from './boot-event-tap.js';
import { EventReporter } from './event-reporter.js';
import { StatusReporter } from './status-reporter.js';

const settle = () => new Promise((r) => setTimeout(r, 0));

test('events: batched on a timer, kept through an outage (bounded), delivered after', async () => {
  const clock = new FakeClock();
  const counters = new Counters();
  const delivered: BootEventInput[] = [];
  let up = false;
  const r = new EventReporter({
    clock, wallClock: () => Date.UTC(2026, 10, 25), counters, flushIntervalMs: 1000, queueMax: 3,
    send: async (batch) => { if (!up) throw new Error('ECONNREFUSED'); delivered.push(...batch); },
  });
  for (let i = 0; i < 5; i++) r.report({ kind: 'dhcpOffer', mac: `52:54:00:00:00:0${i}` });
  assert.equal(r.pending, 3);
  assert.equal(counters.get('events_dropped_total'), 2);
  clock.advance(1000);
  await settle();
  assert.equal(delivered.length, 0);
  up = true;
  clock.advance(10_000);
  await settle();
  assert.deepEqual(delivered.map((e) => e.mac), ['52:54:00:00:00:02', '52:54:00:00:00:03', '52:54:00:00:00:04']);
  assert.equal(delivered[0]!.at, '2026-11-25T00:00:00.000Z');
});

test('log lines of the boot servers become boot events; other lines do not', () => {
  assert.deepEqual(bootEventOfLogLine('proxyDHCP offer sent', { mac: '52:54:00:77:00:01', archCode: 7, offered: 'p/x/ipxe.efi' }),
    { kind: 'dhcpOffer', file: 'p/x/ipxe.efi', mac: '52:54:00:77:00:01', arch: 7 });
  assert.equal(bootEventOfLogLine('tftp transfer', { outcome: 'probe', file: 'a' }), null);
  assert.deepEqual(bootEventOfLogLine('tftp transfer', { outcome: 'complete', file: 'p/x/vmlinuz', bytes: 10, ms: 5.4, client: '10.0.0.5:2000' }),
    { kind: 'transferCompleted', file: 'p/x/vmlinuz', bytes: 10, durationMs: 5, reason: 'tftp from 10.0.0.5:2000' });
  assert.equal(bootEventOfLogLine('tftp transfer', { outcome: 'timeout', file: 'f' })?.kind, 'transferFailed');
  assert.equal(bootEventOfLogLine('http request', { status: 404, file: '/x', client: 'c' })?.kind, 'transferFailed');
  assert.equal(bootEventOfLogLine('pxe responder listening', {}), null);
  const logger = memoryLogger();
  const events: unknown[] = [];
  bootEventTap(logger, (e) => events.push(e)).child({ component: 'pxe' }).info('proxyDHCP offer sent', { mac: '52:54:00:77:00:01' });
  assert.equal(logger.lines.length, 1, 'the line still reaches the log');
  assert.equal(events.length, 1);
});

test('status: at start, debounced on change, on the interval, and retried after a failure', async () => {
  const clock = new FakeClock();
  const sent: number[] = [];
  let fail = false;
  let n = 0;
  const r = new StatusReporter({
    clock, intervalMs: 60_000, debounceMs: 500, retryMs: 5000,
    build: () => ({ hostname: 'h', version: 'v', interfaces: [] }) as AgentStatusReport,
    send: async () => { if (fail) throw new Error('down'); sent.push(clock.nowMs()); return { siteId: 's', role: 'idle' }; },
    onResult: () => { n++; },
  });
  r.start();
  await settle();
  assert.deepEqual(sent, [0]);
  r.nudge(); r.nudge(); r.nudge();
  clock.advance(500);
  await settle();
  assert.deepEqual(sent, [0, 500], 'three nudges, one report');
  clock.advance(60_000);
  await settle();
  assert.equal(sent.length, 3);
  fail = true;
  clock.advance(60_000);
  await settle();
  fail = false;
  clock.advance(5000);
  await settle();
  assert.equal(sent.length, 4, 'retried 5 s after the failure, not a minute later');
  assert.equal(n, 4);
});
