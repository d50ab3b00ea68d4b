// Goal: the standby's shadow decision answers exactly the DISCOVERs the active left unanswered:
// an offer from another server keeps it silent, none within 300 ms makes it answer, and with a
// fast live active it never adds a second offer (also across the iPXE ROM's 1 s retransmission).
// Method: decideShadowReply on hand-built inputs, and ShadowGate driven by FakeClock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../testkit/fake-clock.js';
import { decideShadowReply, ShadowGate, type ShadowVerdict } from './shadow-gate.js';

const SELF = '10.77.0.12';
const ACTIVE = '10.77.0.11';

describe('decideShadowReply', () => {
  test('waits before the delay, answers after it when no offer was seen', () => {
    assert.equal(decideShadowReply({ discoverAtMs: 1000, nowMs: 1299, delayMs: 300, offers: [], selfAddress: SELF }).kind, 'wait');
    assert.equal(decideShadowReply({ discoverAtMs: 1000, nowMs: 1300, delayMs: 300, offers: [], selfAddress: SELF }).kind, 'answer');
  });
  test("another server's offer silences it; its own offer does not", () => {
    const v = decideShadowReply({ discoverAtMs: 1000, nowMs: 1300, delayMs: 300, offers: [{ from: ACTIVE, atMs: 1002 }], selfAddress: SELF });
    assert.equal(v.kind, 'skip');
    assert.equal(v.kind === 'skip' && v.answeredBy, ACTIVE);
    assert.equal(decideShadowReply({ discoverAtMs: 1000, nowMs: 1300, delayMs: 300, offers: [{ from: SELF, atMs: 1002 }], selfAddress: SELF }).kind, 'answer');
  });
  test('an offer read just before the DISCOVER counts; one to the previous DISCOVER (1 s earlier) does not', () => {
    assert.equal(decideShadowReply({ discoverAtMs: 1000, nowMs: 1300, delayMs: 300, offers: [{ from: ACTIVE, atMs: 995 }], selfAddress: SELF }).kind, 'skip');
    assert.equal(decideShadowReply({ discoverAtMs: 2000, nowMs: 2300, delayMs: 300, offers: [{ from: ACTIVE, atMs: 1002 }], selfAddress: SELF }).kind, 'answer');
  });
});

describe('ShadowGate', () => {
  const gate = (clock: FakeClock) => new ShadowGate({ clock, selfAddress: SELF, delayMs: 300 });

  test('offer seen → silent, settled at once and no timer left', () => {
    const clock = new FakeClock(0);
    const g = gate(clock);
    const verdicts: ShadowVerdict[] = [];
    g.discover(0x1234, (v) => verdicts.push(v));
    clock.advance(3);
    g.offerSeen(0x1234, ACTIVE);
    assert.deepEqual(verdicts.map((v) => v.kind), ['skip']);
    clock.advance(1000);
    assert.equal(verdicts.length, 1, 'no late answer');
    assert.equal(g.pendingCount(), 0);
  });

  test('none seen within 300 ms → answer at 300 ms, not before', () => {
    const clock = new FakeClock(0);
    const g = gate(clock);
    const verdicts: Array<{ kind: string; at: number }> = [];
    g.discover(0x1, (v) => verdicts.push({ kind: v.kind, at: clock.nowMs() }));
    clock.advance(299);
    assert.equal(verdicts.length, 0);
    clock.advance(1);
    assert.deepEqual(verdicts, [{ kind: 'answer', at: 300 }]);
  });

  test('an offer for another xid does not silence it', () => {
    const clock = new FakeClock(0);
    const g = gate(clock);
    const verdicts: string[] = [];
    g.discover(0x1, (v) => verdicts.push(v.kind));
    g.offerSeen(0x2, ACTIVE);
    clock.advance(300);
    assert.deepEqual(verdicts, ['answer']);
  });

  test('active alive and fast → never a duplicate offer, across many ROM boots (DISCOVER + retransmission at 1 s)', () => {
    const clock = new FakeClock(0);
    const g = gate(clock);
    let answers = 0;
    let skips = 0;
    for (let boot = 0; boot < 50; boot++) {
      const xid = 0x1000 + boot;
      for (const _attempt of [0, 1]) {
        g.discover(xid, (v) => { if (v.kind === 'answer') answers++; else skips++; });
        clock.advance(2 + (boot % 5)); // the active answers in a few ms
        g.offerSeen(xid, ACTIVE);
        clock.advance(998 - (boot % 5));
      }
    }
    clock.advance(5000);
    assert.equal(answers, 0);
    assert.equal(skips, 100);
  });

  test('active dead: the ROM\'s two DISCOVERs are both answered by the standby', () => {
    const clock = new FakeClock(0);
    const g = gate(clock);
    const at: number[] = [];
    g.discover(0x77, (v) => { if (v.kind === 'answer') at.push(clock.nowMs()); });
    clock.advance(1000);
    g.discover(0x77, (v) => { if (v.kind === 'answer') at.push(clock.nowMs()); });
    clock.advance(1000);
    assert.deepEqual(at, [300, 1300]);
  });

  test('bounded: a flood of DISCOVERs does not queue more than maxPending', () => {
    const clock = new FakeClock(0);
    const g = new ShadowGate({ clock, selfAddress: SELF, maxPending: 4 });
    const accepted = Array.from({ length: 10 }, (_, i) => g.discover(i, () => {})).filter(Boolean).length;
    assert.equal(accepted, 4);
    g.close();
    assert.equal(g.pendingCount(), 0);
    assert.equal(clock.pendingTimers(), 0);
  });
});
