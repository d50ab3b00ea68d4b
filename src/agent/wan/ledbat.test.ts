// Goal: the LEDBAT controller fills an idle WAN link with little queueing, and yields to a
// competing TCP flow so that flow keeps at least 80 % of the link; it honours a cap and its floor.
// Method: a fluid model of one bottleneck (20 Mbit/s, 40 ms RTT, 150 ms of buffer) stepped every
// 5 ms: our rate comes from the controller, the competitor is Reno-style AIMD (cwnd +1 MSS per RTT,
// halved when the buffer overflows), and each 50 ms the controller gets a delay sample (RTT plus
// queue). Seeded jitter of ±1 ms on samples; several seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LedbatController } from './ledbat.js';
import { seededRandom } from '../../testkit/seeded-random.js';

interface Run { ourBytes: number; competitorBytes: number; maxQueueMs: number; meanQueueMs: number; durationMs: number; finalRate: number }

function simulate(options: { seconds: number; competitorFromMs?: number; competitorUntilMs?: number; cap?: number; seed: number; ourFromMs?: number }): Run {
  const capacity = 20e6 / 8; // bytes/s
  const rttMs = 40;
  const bufferMs = 150;
  const mss = 1448;
  const random = seededRandom(options.seed);
  const ledbat = new LedbatController({ maxRateBytesPerSecond: options.cap ?? Infinity });
  let queueBytes = 0;
  let cwnd = 10 * mss;
  let ourBytes = 0;
  let competitorBytes = 0;
  let maxQueueMs = 0;
  let queueSum = 0;
  let steps = 0;
  let lastCwndUpdate = 0;
  const stepMs = 5;
  for (let t = 0; t < options.seconds * 1000; t += stepMs) {
    const queueMs = (queueBytes / capacity) * 1000;
    const competing = t >= (options.competitorFromMs ?? Infinity) && t < (options.competitorUntilMs ?? Infinity);
    const ours = t >= (options.ourFromMs ?? 0);
    const ourRate = ours ? ledbat.rateBytesPerSecond : 0;
    const competitorRate = competing ? cwnd / ((rttMs + queueMs) / 1000) : 0;
    const offered = (ourRate + competitorRate) * (stepMs / 1000);
    const drained = capacity * (stepMs / 1000);
    const served = Math.min(offered + queueBytes, drained);
    const share = offered > 0 ? (ourRate * (stepMs / 1000)) / offered : 0;
    queueBytes = Math.max(0, queueBytes + offered - drained);
    const overflow = queueBytes > (bufferMs / 1000) * capacity;
    if (overflow) queueBytes = (bufferMs / 1000) * capacity;
    if (t >= 10_000) {
      ourBytes += served * share;
      competitorBytes += served * (1 - share);
    }
    if (ours) ledbat.onBytes(served * share, t);
    if (competing && t - lastCwndUpdate >= rttMs + queueMs) {
      cwnd = overflow ? Math.max(2 * mss, cwnd / 2) : cwnd + mss;
      lastCwndUpdate = t;
    } else if (competing && overflow) {
      cwnd = Math.max(2 * mss, cwnd / 2);
      lastCwndUpdate = t;
    }
    if (ours && t % 50 === 0) ledbat.onDelaySample(rttMs + queueMs + (random() * 2 - 1), t);
    maxQueueMs = Math.max(maxQueueMs, queueMs);
    if (t >= 10_000) { queueSum += queueMs; steps++; }
  }
  return { ourBytes, competitorBytes, maxQueueMs, meanQueueMs: queueSum / steps, durationMs: options.seconds * 1000 - 10_000, finalRate: ledbat.rateBytesPerSecond };
}

const linkBytesPerSecond = 20e6 / 8;

for (const seed of [1, 2, 3]) {
  test(`alone on the link: uses most of it with queueing near the target (seed ${seed})`, () => {
    const run = simulate({ seconds: 60, seed });
    const utilisation = run.ourBytes / ((run.durationMs / 1000) * linkBytesPerSecond);
    assert.ok(utilisation >= 0.85, `utilisation ${utilisation.toFixed(3)}`);
    assert.ok(run.meanQueueMs <= 60, `mean queue ${run.meanQueueMs.toFixed(1)} ms`);
  });

  test(`a competing TCP flow keeps at least 80 % of the link (seed ${seed})`, () => {
    const run = simulate({ seconds: 70, competitorFromMs: 5_000, seed });
    const competitorShare = run.competitorBytes / ((run.durationMs / 1000) * linkBytesPerSecond);
    assert.ok(competitorShare >= 0.8, `competitor got ${(competitorShare * 100).toFixed(1)} % of the link`);
    assert.ok(run.ourBytes > 0, 'we still make progress');
  });
}

test('after the competitor leaves, the link is used again', () => {
  const run = simulate({ seconds: 80, competitorFromMs: 5_000, competitorUntilMs: 40_000, seed: 9 });
  assert.ok(run.finalRate >= 0.7 * linkBytesPerSecond, `final rate ${(run.finalRate * 8 / 1e6).toFixed(1)} Mbit/s`);
});

test('a cap bounds the rate', () => {
  const cap = 500_000;
  const run = simulate({ seconds: 40, seed: 4, cap });
  assert.ok(run.ourBytes <= (run.durationMs / 1000) * cap * 1.001, `${run.ourBytes} bytes in ${run.durationMs} ms over a ${cap} B/s cap`);
  assert.ok(run.ourBytes >= (run.durationMs / 1000) * cap * 0.95);
});

test('the rate never drops below 2 MSS per RTT, and bad samples are ignored', () => {
  const c = new LedbatController();
  for (let t = 0; t < 5000; t += 100) c.onDelaySample(t < 1000 ? 40 : 400, t);
  assert.ok(Math.abs(c.rateBytesPerSecond - (2 * 1448) / 0.04) < 1, `rate ${c.rateBytesPerSecond}`);
  const before = c.reading();
  c.onDelaySample(Number.NaN, 6000);
  c.onDelaySample(-5, 6100);
  assert.deepEqual(c.reading(), before);
  assert.throws(() => new LedbatController({ targetDelayMs: 150 }), /at most|\(0, 100\]/);
});

test('a saved base-delay history lets a latecomer see the standing queue another flow keeps', () => {
  // Goal: started on a link whose queue another flow keeps at ~100 ms, a controller with the
  // history of an earlier quiet minute (40 ms) reads ~60 ms of queueing and backs off; without it,
  // it takes the standing queue for propagation delay. Method: the same samples, with and without seeding.
  const quiet = new LedbatController();
  for (let t = 0; t < 5000; t += 50) quiet.onDelaySample(40, t);
  const saved = quiet.baseHistory(5000);
  const later = 5000 + 3 * 60_000;
  const seeded = new LedbatController();
  seeded.seedBaseHistory(saved.map((e) => ({ ...e, ageMs: e.ageMs + 3 * 60_000 })), later);
  const naive = new LedbatController();
  for (let t = later; t < later + 5000; t += 50) { seeded.onDelaySample(140, t); naive.onDelaySample(140, t); }
  assert.equal(seeded.reading().baseDelayMs, 40);
  assert.equal(Math.round(seeded.reading().queuingDelayMs!), 100);
  assert.equal(naive.reading().queuingDelayMs, 0);
  assert.ok(seeded.rateBytesPerSecond < naive.rateBytesPerSecond);
  const stale = new LedbatController();
  stale.seedBaseHistory([{ ageMs: 11 * 60_000, minMs: 1 }, { ageMs: -5, minMs: 1 }, { ageMs: 1000, minMs: Number.NaN }], later);
  assert.deepEqual(stale.baseHistory(later), [], 'older than BASE_HISTORY or garbage: ignored');
});

test('idle probes teach the base delay without moving the rate, so a later transfer sees the standing queue', () => {
  // Goal: an agent that probed the quiet WAN while idle (observeIdleDelay) starts a transfer on a link
  // another flow keeps at ~100 ms of queue and backs off; the idle samples themselves change nothing
  // but the history. Method: idle samples of 40 ms for two minutes, then transfer samples of 140 ms.
  const learned = new LedbatController();
  const initial = learned.rateBytesPerSecond;
  for (let t = 0; t < 120_000; t += 60_000) learned.observeIdleDelay(40, t);
  learned.observeIdleDelay(Number.NaN, 1);
  assert.equal(learned.rateBytesPerSecond, initial, 'idle samples leave the rate alone');
  assert.equal(learned.reading().samples, 0);
  assert.deepEqual(learned.baseHistory(120_000).map((e) => e.minMs), [40, 40]);
  const naive = new LedbatController();
  for (let t = 180_000; t < 185_000; t += 50) { learned.onDelaySample(140, t); naive.onDelaySample(140, t); }
  assert.equal(learned.reading().baseDelayMs, 40);
  assert.ok(learned.rateBytesPerSecond < initial, 'backs off from the start');
  assert.equal(naive.reading().queuingDelayMs, 0, 'without the idle history it takes the queue for path delay');
  assert.ok(naive.rateBytesPerSecond >= initial, 'and does not back off');
});
