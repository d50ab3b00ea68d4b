// Goal: the transfer state machine negotiates options the way strict clients (EDK2) accept, sends
// RFC 7440 windows over an absolute counter that wraps correctly, retransmits only on timeout with
// an adaptive RTO (RFC 6298 + Karn), treats the EDK2 tsize probe as a normal close, and completes
// under loss.
// Method: FakeClock-driven unit tests on hand-fed ACKs, plus a seeded simulation of an RFC 7440
// receiver over a lossy, delayed link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../testkit/fake-clock.js';
import {
  TftpTransfer,
  negotiateTftpOptions,
  wireBlockNumber,
  type NegotiationLimits,
  type TransferEffect,
  type TransferTiming,
  defaultTransferTiming,
} from './transfer.js';
import { seededRandom as mulberry32 } from '../../testkit/seeded-random.js';

const opts = (o: Record<string, string>) => new Map(Object.entries(o));

test('negotiation: the EDK2 probe gets tsize, blksize and windowsize back, in request order', () => {
  const n = negotiateTftpOptions({ mode: 'octet', options: opts({ tsize: '0', blksize: '1468', windowsize: '4' }) }, 123456);
  assert.deepEqual(n.optionAck, opts({ tsize: '123456', blksize: '1468', windowsize: '4' }));
  assert.equal(n.blockSize, 1468);
  assert.equal(n.windowSize, 4);
});

test('negotiation: never grants more than asked; clamps to the configured limits', () => {
  const limits: NegotiationLimits = { blockSizeMax: 1468, windowSizeMax: 64 };
  let n = negotiateTftpOptions({ mode: 'octet', options: opts({ blksize: '65464', windowsize: '1000' }) }, 1, limits);
  assert.deepEqual(n.optionAck, opts({ blksize: '1468', windowsize: '64' }));
  n = negotiateTftpOptions({ mode: 'octet', options: opts({ blksize: '512', windowsize: '8' }) }, 1, limits);
  assert.deepEqual(n.optionAck, opts({ blksize: '512', windowsize: '8' }));
  n = negotiateTftpOptions({ mode: 'octet', options: opts({ blksize: '1456', windowsize: '16' }) }, 1, { blockSizeMax: 1024, windowSizeMax: 4 });
  assert.deepEqual(n.optionAck, opts({ blksize: '1024', windowsize: '4' }));
  assert.equal(n.blockSize, 1024);
});

test('negotiation: invalid values and unknown options are ignored; no accepted option means no OACK', () => {
  const n = negotiateTftpOptions({ mode: 'octet', options: opts({ blksize: '7', windowsize: '0', timeout: '256', foo: 'bar', tsize: 'x', rollover: '2' }) }, 10);
  assert.equal(n.optionAck, null);
  assert.equal(n.blockSize, 512);
  assert.equal(n.windowSize, 1);
  assert.deepEqual(n.ignored.map((i) => i.name), ['blksize', 'windowsize', 'timeout', 'foo', 'tsize', 'rollover']);
  assert.equal(negotiateTftpOptions({ mode: 'octet', options: new Map() }, 10).optionAck, null);
});

test('negotiation: timeout is echoed exactly, rollover honoured, msftwindow never echoed', () => {
  const n = negotiateTftpOptions({ mode: 'octet', options: opts({ timeout: '5', rollover: '1', msftwindow: '31416', tsize: '0' }) }, 42);
  assert.deepEqual(n.optionAck, opts({ timeout: '5', rollover: '1', tsize: '42' }));
  assert.equal(n.timeoutS, 5);
  assert.equal(n.rollover, 1);
  assert.ok(n.ignored.some((i) => i.name === 'msftwindow'));
  // Ignored correctly: asked alone it draws no OACK at all (DATA 1 goes out, RFC 2347), and the
  // window stays the RFC 7440 one (or lock-step), never a variable window we do not implement.
  const alone = negotiateTftpOptions({ mode: 'octet', options: opts({ msftwindow: '31416' }) }, 42);
  assert.equal(alone.optionAck, null);
  assert.equal(alone.windowSize, 1);
  const withWindow = negotiateTftpOptions({ mode: 'octet', options: opts({ windowsize: '8', msftwindow: '31416' }) }, 42);
  assert.deepEqual(withWindow.optionAck, opts({ windowsize: '8' }));
});

test('negotiation: an empty file gets no tsize (curl refuses tsize=0), so tsize alone means no OACK', () => {
  assert.equal(negotiateTftpOptions({ mode: 'octet', options: opts({ tsize: '0' }) }, 0).optionAck, null);
  assert.deepEqual(negotiateTftpOptions({ mode: 'octet', options: opts({ tsize: '0', blksize: '1468' }) }, 0).optionAck, opts({ blksize: '1468' }));
});

test('negotiation: no tsize in netascii mode (the size is unknown)', () => {
  const n = negotiateTftpOptions({ mode: 'netascii', options: opts({ tsize: '0', blksize: '1024' }) }, 42);
  assert.deepEqual(n.optionAck, opts({ blksize: '1024' }));
});

test('wire block numbers wrap to 0, or to 1 with rollover=1', () => {
  assert.deepEqual([65534, 65535, 65536, 65537, 131071, 131072].map((i) => wireBlockNumber(i, 0)), [65534, 65535, 0, 1, 65535, 0]);
  assert.deepEqual([65534, 65535, 65536, 65537, 131070, 131071].map((i) => wireBlockNumber(i, 1)), [65534, 65535, 1, 2, 65535, 1]);
  assert.equal(wireBlockNumber(0, 1), 0);
});

function setup(fileSize: number, options: Record<string, string>, timing: Partial<TransferTiming> = {}) {
  const clock = new FakeClock();
  const timerEffects: TransferEffect[] = [];
  const transfer = new TftpTransfer({
    clock, fileSize, timing,
    negotiated: negotiateTftpOptions({ mode: 'octet', options: opts(options) }, fileSize),
    onTimerEffects: (e) => timerEffects.push(...e),
  });
  return { clock, transfer, timerEffects };
}

test('no options: DATA 1 goes out directly; lock-step to the end, with a zero-length final block', () => {
  const { transfer } = setup(1024, {});
  assert.deepEqual(transfer.start(), [{ kind: 'sendBlocks', first: 1, count: 1, retransmit: false }]);
  assert.equal(transfer.totalBlocks, 3);
  assert.deepEqual([1, 2, 3].map((b) => transfer.blockLength(b)), [512, 512, 0]);
  assert.deepEqual(transfer.receiveAck(1), [{ kind: 'sendBlocks', first: 2, count: 1, retransmit: false }]);
  assert.deepEqual(transfer.receiveAck(2), [{ kind: 'sendBlocks', first: 3, count: 1, retransmit: false }]);
  assert.deepEqual(transfer.receiveAck(3), [{ kind: 'done', outcome: 'complete' }]);
  assert.equal(transfer.bytesAcked, 1024);
});

test('OACK, ACK 0, then windows that slide on the acknowledged block', () => {
  const { transfer } = setup(10 * 1000, { blksize: '1000', windowsize: '4', tsize: '0' });
  assert.deepEqual(transfer.start(), [{ kind: 'sendOptionAck', options: opts({ blksize: '1000', windowsize: '4', tsize: '10000' }), retransmit: false }]);
  assert.deepEqual(transfer.receiveAck(1), [], 'an ACK other than 0 does not accept the OACK');
  assert.deepEqual(transfer.receiveAck(0), [{ kind: 'sendBlocks', first: 1, count: 4, retransmit: false }]);
  assert.deepEqual(transfer.receiveAck(4), [{ kind: 'sendBlocks', first: 5, count: 4, retransmit: false }]);
  // The client saw a gap after 5 (6 lost): the next window starts at 6, resending 6…8.
  assert.deepEqual(transfer.receiveAck(5), [{ kind: 'sendBlocks', first: 6, count: 4, retransmit: true }]);
  assert.deepEqual(transfer.receiveAck(9), [{ kind: 'sendBlocks', first: 10, count: 2, retransmit: false }], 'a short final block ends the window');
  assert.equal(transfer.blockLength(11), 0);
  assert.deepEqual(transfer.receiveAck(11), [{ kind: 'done', outcome: 'complete' }]);
});

test('after a resend, mid-window ACKs only slide the window until the resent blocks are acknowledged', () => {
  const { transfer } = setup(100_000, { blksize: '1000', windowsize: '4' });
  transfer.start();
  transfer.receiveAck(0);
  transfer.receiveAck(4);
  assert.deepEqual(transfer.receiveAck(5), [{ kind: 'sendBlocks', first: 6, count: 4, retransmit: true }], 'gap after 5: resend from 6');
  // The client re-ACKs 7 on seeing a duplicate: that must not resend 8…9 again.
  assert.deepEqual(transfer.receiveAck(7), [{ kind: 'sendBlocks', first: 10, count: 2, retransmit: false }]);
  assert.deepEqual(transfer.receiveAck(9), [{ kind: 'sendBlocks', first: 12, count: 2, retransmit: false }]);
  // Recovery is over (9 acknowledged): a mid-window ACK is a gap again and resends from the next block.
  assert.deepEqual(transfer.receiveAck(11), [{ kind: 'sendBlocks', first: 12, count: 4, retransmit: true }]);
  assert.equal(transfer.stats.retransmitted, 3 + 2);
});

test('duplicate, stale and future ACKs cause no sends (Sorcerer’s Apprentice)', () => {
  const { transfer, clock, timerEffects } = setup(100_000, { blksize: '1000', windowsize: '4' });
  transfer.start();
  transfer.receiveAck(0);
  assert.equal(transfer.receiveAck(4).length, 1);
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(transfer.receiveAck(4), []);
    assert.deepEqual(transfer.receiveAck(2), []);
    assert.deepEqual(transfer.receiveAck(60), []);
  }
  assert.equal(transfer.stats.ignoredAcks, 30);
  assert.equal(transfer.stats.blocksSent, 8);
  assert.equal(transfer.stats.retransmitted, 0);
  clock.advance(10);
  assert.deepEqual(timerEffects, [], 'nothing is resent before the RTO');
});

test('EDK2 tsize probe: OACK then ERROR 8 (or 0) is a normal close; other errors are client failures', () => {
  for (const code of [8, 0]) {
    const { transfer, clock, timerEffects } = setup(5000, { tsize: '0', blksize: '1468', windowsize: '4' });
    transfer.start();
    assert.deepEqual(transfer.receiveError(code, 'User aborted the transfer'), [{ kind: 'done', outcome: 'probe' }]);
    clock.advance(60_000);
    assert.deepEqual(timerEffects, [], 'no retransmission after the probe closed');
  }
  const { transfer } = setup(5000, { tsize: '0' });
  transfer.start();
  assert.deepEqual(transfer.receiveError(4, 'Malformatted OACK packet'), [{ kind: 'failed', reason: 'clientError', detail: 'client sent ERROR 4: Malformatted OACK packet' }]);
  const mid = setup(5000, { blksize: '1000' });
  mid.transfer.start();
  mid.transfer.receiveAck(0);
  assert.deepEqual(mid.transfer.receiveError(8, ''), [{ kind: 'failed', reason: 'clientError', detail: 'client sent ERROR 8' }]);
});

test('the first packet is retransmitted at most 3 times, with backoff, then dropped silently', () => {
  const { transfer, clock, timerEffects } = setup(5000, { tsize: '0' });
  transfer.start();
  const times: number[] = [];
  for (let t = 0; t < 60_000; t += 10) {
    const before = timerEffects.length;
    clock.advance(10);
    if (timerEffects.length > before) times.push(clock.nowMs());
  }
  assert.deepEqual(timerEffects.map((e) => e.kind), ['sendOptionAck', 'sendOptionAck', 'sendOptionAck', 'failed']);
  assert.deepEqual(times, [1000, 3000, 6000, 9000], 'RTO 1 s, doubling, capped at 3 s');
  assert.equal(transfer.phase, 'failed');
  assert.equal(clock.pendingTimers(), 0);
});

test('data loss: the window is resent only when the RTO expires; the RTO adapts to the RTT and backs off', () => {
  const { transfer, clock, timerEffects } = setup(100_000, { blksize: '1000', windowsize: '2' }, { minRtoMs: 50 });
  transfer.start();
  clock.advance(20);
  transfer.receiveAck(0); // sample 20 ms: SRTT 20, RTTVAR 10, RTO max(50, 20 + 40) = 60
  assert.equal(transfer.srttMs, 20);
  assert.equal(transfer.rtoMs, 60);
  clock.advance(59);
  assert.deepEqual(timerEffects, []);
  clock.advance(1);
  assert.deepEqual(timerEffects, [{ kind: 'sendBlocks', first: 1, count: 2, retransmit: true }]);
  assert.equal(transfer.rtoMs, 120, 'backed off');
  clock.advance(30);
  const samples = transfer.stats.rttSamples;
  assert.deepEqual(transfer.receiveAck(2), [{ kind: 'sendBlocks', first: 3, count: 2, retransmit: false }]);
  assert.equal(transfer.stats.rttSamples, samples, "Karn: no sample from a retransmitted block");
  assert.equal(transfer.rtoMs, 120, 'the backed-off RTO stays until a valid sample');
  clock.advance(20);
  transfer.receiveAck(4);
  assert.equal(transfer.stats.rttSamples, samples + 1);
  assert.ok(transfer.rtoMs < 120 && transfer.rtoMs >= 50, `RTO recomputed from SRTT: ${transfer.rtoMs}`);
});

test('a lost window tail on a 2 ms RTT LAN is resent after the 20 ms floor, not 100 ms', () => {
  // Default timing. The client receives blocks 1…6 of the window 1…8 but 7 and 8 are lost, so an
  // RFC 7440 receiver waits for them and sends no ACK: only the server's timeout recovers.
  const { transfer, clock, timerEffects } = setup(1_000_000, { blksize: '1000', windowsize: '8' });
  assert.equal(defaultTransferTiming.minRtoMs, 20);
  transfer.start();
  clock.advance(2);
  let effects = transfer.receiveAck(0);
  for (let window = 1; window <= 10; window++) {
    // Every window is acknowledged 2 ms after it left: SRTT → 2 ms, RTTVAR → small.
    const sent = effects[0];
    assert.equal(sent?.kind, 'sendBlocks');
    if (sent?.kind !== 'sendBlocks') return;
    clock.advance(2);
    effects = transfer.receiveAck(transfer.wireBlock(sent.first + sent.count - 1));
  }
  assert.ok(Math.abs((transfer.srttMs ?? 0) - 2) < 0.01, `SRTT ${transfer.srttMs}`);
  assert.equal(transfer.rtoMs, 20, 'RTO = max(floor, SRTT + 4·RTTVAR) = the floor');
  const lostWindow = effects[0];
  assert.deepEqual(lostWindow, { kind: 'sendBlocks', first: 81, count: 8, retransmit: false });
  const sentAt = clock.nowMs();
  const resentAfter: number[] = [];
  for (let ms = 1; ms <= 100; ms++) {
    const before = timerEffects.length;
    clock.advance(1);
    if (timerEffects.length > before) resentAfter.push(clock.nowMs() - sentAt);
  }
  assert.deepEqual(timerEffects[0], { kind: 'sendBlocks', first: 81, count: 8, retransmit: true });
  assert.deepEqual(resentAfter, [20, 60], 'resent 20 ms after the window left (≤ 4 × the floor), then backed off to 40 ms');
  // Recovered by a resend: once it is acknowledged, the transfer goes on with the next window.
  assert.deepEqual(transfer.receiveAck(transfer.wireBlock(88)), [{ kind: 'sendBlocks', first: 89, count: 8, retransmit: false }]);
  assert.equal(transfer.stats.timeouts, 2);
});

test('a stalled data transfer is abandoned only after retriesMax timeouts and idleGiveUpMs of silence', () => {
  const { transfer, clock, timerEffects } = setup(100_000, { blksize: '1000' }, { minRtoMs: 100, maxRtoMs: 1000, retriesMax: 3, idleGiveUpMs: 8000 });
  transfer.start();
  transfer.receiveAck(0);
  clock.advance(7999);
  assert.equal(transfer.phase, 'data');
  clock.advance(2000);
  assert.equal(transfer.phase, 'failed');
  const last = timerEffects.at(-1);
  assert.equal(last?.kind, 'failed');
  if (last?.kind === 'failed') assert.match(last.detail, /no ACK for block 1/);
  assert.ok(timerEffects.filter((e) => e.kind === 'sendBlocks').length > 3, 'kept retransmitting while idle was short');
});

test('a negotiated timeout lowers the initial RTO but never raises it; it lifts the backoff ceiling', () => {
  // timeout=6 (what curl asks): the OACK is still resent after the RFC 6298 1 s, not after 6 s.
  const { transfer, clock, timerEffects } = setup(100, { timeout: '6' });
  assert.deepEqual(transfer.optionAck, opts({ timeout: '6' }), 'echoed exactly');
  transfer.start();
  const times: number[] = [];
  for (let t = 0; t < 20_000; t += 10) {
    const before = timerEffects.length;
    clock.advance(10);
    if (timerEffects.length > before) times.push(clock.nowMs());
  }
  assert.deepEqual(times, [1000, 3000, 7000, 13_000], '1 s, then doubling up to the 6 s ceiling, then give up');
  // A negotiated timeout below the configured initial RTO wins (1 s against 3 s here).
  const short = setup(100, { timeout: '1' }, { initialRtoMs: 3000 });
  short.transfer.start();
  short.clock.advance(999);
  assert.equal(short.timerEffects.length, 0);
  short.clock.advance(1);
  assert.equal(short.timerEffects[0]?.kind, 'sendOptionAck');
});

test('ACK numbers map to the right absolute block across the 16-bit wrap', () => {
  for (const rollover of ['0', '1']) {
    const fileSize = 8 * 70_000 + 3;
    const { transfer } = setup(fileSize, { blksize: '8', windowsize: '16', rollover });
    transfer.start();
    let effects = transfer.receiveAck(0);
    let acked = 0;
    const wires: number[] = [];
    while (effects[0]?.kind === 'sendBlocks') {
      const { first, count } = effects[0];
      for (let i = first; i < first + count; i++) if (i >= 65530 && i <= 65540) wires.push(transfer.wireBlock(i));
      acked = first + count - 1;
      effects = transfer.receiveAck(transfer.wireBlock(acked));
    }
    assert.deepEqual(effects, [{ kind: 'done', outcome: 'complete' }], `rollover=${rollover}`);
    assert.equal(acked, 70_001);
    assert.equal(transfer.totalBlocks, 70_001);
    assert.equal(transfer.blockLength(70_001), 3);
    assert.equal(transfer.stats.retransmitted, 0);
    assert.deepEqual(wires, rollover === '0'
      ? [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4]
      : [65530, 65531, 65532, 65533, 65534, 65535, 1, 2, 3, 4, 5]);
  }
});


/**
 * Runs one transfer against a simulated RFC 7440 receiver (EDK2-like: ACK every `window` in-order
 * blocks or the last one; on an out-of-order or already-held block ACK the last in-order block;
 * resend that ACK after 1 s of silence) over a link with `delayMs` each way and `loss` probability per datagram.
 */
function simulate(seed: number, loss: number, fileSize: number, options: Record<string, string>) {
  const random = mulberry32(seed);
  const clock = new FakeClock();
  const window = Number(options.windowsize ?? '1');
  const delayMs = 2;
  let received = 0; // highest in-order absolute block the client holds
  let bytes = 0;
  let sinceAck = 0;
  const clientTimer: { current: { cancel(): void } | null } = { current: null };
  let outcome: TransferEffect | null = null;
  let datagramsToClient = 0;
  let lost = 0;

  const deliverLater = (fn: () => void) => {
    if (random() < loss) { lost++; return; }
    clock.setTimer(delayMs, fn);
  };
  const clientAck = (wire: number) => {
    sinceAck = 0;
    clientTimer.current?.cancel();
    clientTimer.current = clock.setTimer(1000, () => clientAck(transfer.wireBlock(received)));
    deliverLater(() => apply(transfer.receiveAck(wire)));
  };
  const clientData = (index: number, wire: number, length: number) => {
    datagramsToClient++;
    if (outcome) return;
    const expected = received + 1;
    if (wire !== transfer.wireBlock(expected) || index !== expected) {
      // Out of order: ACK the last in-order block (RFC 7440 §4). A block we already hold: re-ACK it (RFC 1350).
      clientAck(transfer.wireBlock(received));
      return;
    }
    received = expected;
    bytes += length;
    sinceAck++;
    if (sinceAck >= window || length < transfer.blockSize) clientAck(wire);
  };
  const apply = (effects: TransferEffect[]) => {
    for (const e of effects) {
      if (e.kind === 'sendOptionAck') deliverLater(() => clientAck(0));
      else if (e.kind === 'sendBlocks') {
        for (let i = e.first; i < e.first + e.count; i++) {
          const wire = transfer.wireBlock(i);
          const length = transfer.blockLength(i);
          deliverLater(() => clientData(i, wire, length));
        }
      } else outcome = e;
    }
  };
  const transfer: TftpTransfer = new TftpTransfer({
    clock, fileSize,
    negotiated: negotiateTftpOptions({ mode: 'octet', options: opts(options) }, fileSize),
    timing: { minRtoMs: 20 },
    onTimerEffects: apply,
  });
  apply(transfer.start());
  for (let step = 0; step < 100_000 && !outcome; step++) clock.advance(5);
  clientTimer.current?.cancel();
  return { outcome, bytes, received, transfer, datagramsToClient, lost, window };
}

test('simulation: lossless transfers send every block exactly once, whatever the duplicate ACKs', () => {
  for (const options of [{}, { blksize: '1000', windowsize: '8' }, { blksize: '1468', windowsize: '64', tsize: '0' }] as Array<Record<string, string>>) {
    const r = simulate(1, 0, 300_000, options);
    assert.deepEqual(r.outcome, { kind: 'done', outcome: 'complete' }, JSON.stringify(options));
    assert.equal(r.bytes, 300_000);
    assert.equal(r.transfer.stats.retransmitted, 0);
    assert.equal(r.datagramsToClient, r.transfer.totalBlocks);
  }
});

test('simulation: transfers complete under 5 % loss in both directions (seeded)', () => {
  for (let seed = 1; seed <= 20; seed++) {
    for (const options of [{}, { blksize: '512', windowsize: '4' }, { blksize: '1000', windowsize: '16', tsize: '0' }] as Array<Record<string, string>>) {
      const r = simulate(seed, 0.05, 200_000, options);
      assert.deepEqual(r.outcome, { kind: 'done', outcome: 'complete' }, `seed ${seed} ${JSON.stringify(options)}`);
      assert.equal(r.bytes, 200_000, `seed ${seed}`);
      // Every retransmitted window is caused by a lost datagram: no Sorcerer's Apprentice blow-up.
      assert.ok(r.transfer.stats.retransmitted <= r.lost * r.window, `seed ${seed}: ${r.transfer.stats.retransmitted} retransmissions for ${r.lost} losses`);
    }
  }
});
