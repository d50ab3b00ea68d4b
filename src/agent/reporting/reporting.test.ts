// Goal: boot events are batched, survive a server outage (bounded, oldest dropped and counted) and
// are delivered when it returns; typed boot events become the right timeline entries; status reports go
// out at start, on change (debounced) and on the interval, and keep retrying through failures.
// Method: FakeClock-driven reporters with in-memory send functions; the boot-event stream with its log and report subscribers over memoryLogger.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentStatusReport, BootEventInput } from '../../contract/schemas.js';
import { Counters } from '../../platform/counters.js';
import { memoryLogger } from '../../platform/logger.js';
import { FakeClock } from '../../testkit/fake-clock.js';
import { logBootEvents } from '../events/boot-event-log.js';
import { BootEventStream } from '../events/boot-event.js';
import { bootEventInputOf, reportBootEvents } from './boot-event-report.js';
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

test('boot events become timeline entries; the log and the report are two subscribers of one stream', () => {
  const client = { mac: '52:54:00:77:00:01', arch: 'uefiX64', archCode: 7, ipxe: false };
  const offer = { kind: 'dhcpReply', client, reply: 'offer', xid: '0x1', port: 67, from: '0.0.0.0:68', to: '255.255.255.255:68', offered: 'p/x/ipxe.efi', shadow: false } as const;
  assert.deepEqual(bootEventInputOf(offer), { kind: 'dhcpOffer', file: 'p/x/ipxe.efi', mac: '52:54:00:77:00:01', arch: 7 });
  assert.equal(bootEventInputOf({ ...offer, reply: 'ack' })?.kind, 'dhcpAck');
  assert.deepEqual(bootEventInputOf({ kind: 'dhcpIgnored', client: { ...client, uuid: '8a1b0c4e-2d3f-4a5b-9c6d-7e8f90a1b2c3' }, reason: 'unknown computer' }),
    { kind: 'dhcpIgnored', mac: '52:54:00:77:00:01', arch: 7, smbiosUuid: '8a1b0c4e-2d3f-4a5b-9c6d-7e8f90a1b2c3', reason: 'unknown computer' });
  assert.equal(bootEventInputOf({ kind: 'tftpTransfer', client: 'c', file: 'a', outcome: 'probe', ms: 0 }), null);
  const transfer = { size: 10, bytes: 10, blksize: 1468, windowsize: 1, retransmitted: 0, timeouts: 0, srttMs: 1, finalBlockSent: true };
  assert.deepEqual(bootEventInputOf({ kind: 'tftpTransfer', client: '10.0.0.5:2000', file: 'p/x/vmlinuz', outcome: 'complete', ms: 5.4, transfer }),
    { kind: 'transferCompleted', file: 'p/x/vmlinuz', bytes: 10, durationMs: 5, reason: 'tftp from 10.0.0.5:2000' });
  assert.deepEqual(bootEventInputOf({ kind: 'tftpTransfer', client: 'c', file: 'f', outcome: 'busy', ms: 0, detail: 'per-client cap' }),
    { kind: 'transferFailed', file: 'f', durationMs: 0, reason: 'tftp busy: per-client cap (client c)' });
  assert.equal(bootEventInputOf({ kind: 'httpRequest', client: 'c', method: 'GET', file: '/x', status: 404, bytes: 0, ms: 1 })?.kind, 'transferFailed');

  // One stream: the log line and the timeline entry come from the same event; a failing subscriber breaks neither.
  const logger = memoryLogger();
  const reported: unknown[] = [];
  const stream = new BootEventStream();
  stream.subscribe(() => { throw new Error('a broken subscriber'); });
  stream.subscribe(logBootEvents(logger));
  stream.subscribe(reportBootEvents((e) => reported.push(e)));
  stream.emit(offer);
  assert.deepEqual(logger.lines.map((l) => [l.msg, l.component, l.offered]), [['proxyDHCP offer sent', 'pxe', 'p/x/ipxe.efi']]);
  assert.equal(reported.length, 1);
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
