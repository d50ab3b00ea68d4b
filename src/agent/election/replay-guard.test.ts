// Goal: the replay guard accepts each fresh message once and refuses, with the documented reason,
// anything outside the clock-skew window, at or below the high-water mark, from an older
// incarnation, or late compared with the sender's usual lead; it tolerates skew and drift within
// the documented bounds, stays bounded in memory, and shows its one documented limit.
// Method: direct calls with explicit wall/monotonic times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REPLAY_GUARD_CONFIG, ReplayGuard } from './replay-guard.js';

const W = 1_750_000_000_000;
const msg = (seq: number, timestampMs: number, incarnation = 'i1', agentId = 'a') => ({ agentId, incarnation, seq, timestampMs });

test('window: up to ±5 min of skew is accepted, beyond is refused as stale or future', () => {
  const g = new ReplayGuard();
  const skew = DEFAULT_REPLAY_GUARD_CONFIG.maxClockSkewMs;
  assert.equal(skew, 300_000);
  assert.deepEqual(g.check(msg(1, W - skew, 'i1', 'behind'), W, 0), { accept: true });
  assert.deepEqual(g.check(msg(1, W + skew, 'i1', 'ahead'), W, 0), { accept: true });
  const stale = g.check(msg(1, W - skew - 1, 'i1', 'x'), W, 0);
  assert.ok(!stale.accept && stale.reason === 'stale-timestamp' && /behind ours \(tolerance 300 s\)/.test(stale.detail));
  const future = g.check(msg(1, W + skew + 1, 'i1', 'y'), W, 0);
  assert.ok(!future.accept && future.reason === 'future-timestamp');
});

test('high-water mark: duplicates and older seqs of a known incarnation are replays', () => {
  const g = new ReplayGuard();
  assert.ok(g.check(msg(5, W), W, 0).accept);
  assert.ok(g.check(msg(6, W + 500), W + 500, 500).accept);
  for (const seq of [6, 5, 1, 0]) {
    const v = g.check(msg(seq, W + 500), W + 600, 600);
    assert.ok(!v.accept && v.reason === 'replayed', `seq ${seq}`);
  }
  // Gaps (lost packets) are fine.
  assert.ok(g.check(msg(40, W + 1000), W + 1000, 1000).accept);
});

test('incarnations: a restart (later timestamp) is accepted; a recording of an earlier run is not, even after the agent died', () => {
  const g = new ReplayGuard();
  assert.ok(g.check(msg(1, W, 'old'), W, 0).accept);
  assert.ok(g.check(msg(2, W + 500, 'old'), W + 500, 500).accept);
  assert.ok(g.check(msg(0, W + 2000, 'new'), W + 2000, 2000).accept);
  // A never-seen message of the earlier run (seq 3 was lost at the time) is refused...
  const replay = g.check(msg(3, W + 900, 'old'), W + 2100, 2100);
  assert.ok(!replay.accept);
  // ...and so is a third, unknown incarnation claiming an older time, long after `new` went silent.
  const ghost = g.check(msg(9, W + 1500, 'ghost'), W + 60_000, 60_000);
  assert.ok(!ghost.accept && ghost.reason === 'stale-incarnation');
});

test('freshness: a message more than 1 s later than the sender usually arrives is late; transit jitter below that is fine', () => {
  const g = new ReplayGuard();
  // Sender clock 42 s ahead of ours; messages every 500 ms with 0–200 ms transit.
  for (let i = 0; i < 20; i++) {
    const sent = W + 42_000 + i * 500;
    const v = g.check(msg(i, sent), W + i * 500 + (i % 3) * 100, i * 500);
    assert.ok(v.accept, `message ${i}`);
  }
  // A message the receiver never got (seq 100 > high-water mark) but recorded 2 s ago: late.
  const late = g.check(msg(100, W + 42_000 + 9500 - 2000), W + 9500, 9500);
  assert.ok(!late.accept && late.reason === 'late' && /later than this agent's messages usually arrive/.test(late.detail));
});

test('freshness tolerates drift (best lead decays 1 %) and a clock stepped back recovers', () => {
  const g = new ReplayGuard();
  // The sender's clock runs 100 ppm slow: after 10 hours it is 3.6 s behind its initial lead.
  let t = 0;
  for (let i = 0; i < 72_000; i++, t += 500) {
    const drift = t * 0.0001;
    assert.ok(g.check(msg(i, W + t - drift), W + t, t).accept, `drifting message ${i}`);
  }
  // A 5 s backward step: refused as late until the decay catches up ((5 s − 1 s) / 1 % = 400 s).
  const stepped = (dt: number) => g.check(msg(100_000 + dt, W + t + dt - 3_600 - 5000), W + t + dt, t + dt);
  assert.equal(stepped(500).accept, false);
  assert.equal(stepped(450_000).accept, true);
});

test('the documented limit: an agent with no state for a peer accepts its recorded messages inside the window', () => {
  const fresh = new ReplayGuard();
  // A 2-minute-old recording of a peer this receiver never heard: accepted (first contact).
  assert.ok(fresh.check(msg(7, W - 120_000, 'i1', 'dead-peer'), W, 0).accept);
  // But only once per seq, and not once it is older than the window.
  assert.ok(!fresh.check(msg(7, W - 120_000, 'i1', 'dead-peer'), W, 1).accept);
  assert.ok(!new ReplayGuard().check(msg(7, W - 301_000, 'i1', 'dead-peer'), W, 0).accept);
});

test('memory is bounded by maxAgents and maxIncarnationsPerAgent; expired records are dropped', () => {
  const g = new ReplayGuard({ maxAgents: 8, maxIncarnationsPerAgent: 2 });
  for (let i = 0; i < 100; i++) g.check(msg(1, W + i, 'i1', `agent-${i}`), W + i, i);
  assert.equal(g.size, 8);
  // The most recent agents are kept: a replay to one of them is still caught.
  assert.equal(g.check(msg(1, W + 99, 'i1', 'agent-99'), W + 100, 100).accept, false);
  // Incarnations per agent are capped (oldest forgotten), later ones still ordered by timestamp.
  const h = new ReplayGuard({ maxIncarnationsPerAgent: 2 });
  for (let i = 0; i < 5; i++) assert.ok(h.check(msg(0, W + i * 1000, `inc${i}`), W + i * 1000, i * 1000).accept);
  assert.equal(h.check(msg(5, W + 100, 'inc0'), W + 5000, 5000).accept, false, 'forgotten incarnation still refused by timestamp order');
});
