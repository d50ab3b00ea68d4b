// Goal: the pure election state machine does what docs/election.md says, step by step: listen, then
// claim; exact death timeout from the last message; graceful leave; incumbency against returning
// better-ranked agents; false claims and blind claims yield; indirect claims; the takeover grace;
// eligibility; bounded peer table.
// Method: agents are bare ElectionStates wired by a tiny in-test network that delivers each broadcast
// instantly (optionally filtered) and calls onTick exactly at nextWakeAtMs, in 1 ms steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Announcement } from '../../protocol/peer/announcement.js';
import {
  DEFAULT_ELECTION_CONFIG, electionView, initElection, leaveElection, nextWakeAtMs, onAnnouncement, onTick,
  type ElectionState, type ElectionEffect, type Role, type SelfInfo, type StepInput,
} from './election.js';

const config = DEFAULT_ELECTION_CONFIG;
const WALL = 1_750_000_000_000;

interface Agent {
  id: string;
  state: ElectionState;
  self: SelfInfo;
  required: string[];
  roles: Array<{ atMs: number; role: Role; reason: string }>;
  sent: Announcement[];
  down: boolean;
}

class Net {
  nowMs = 0;
  agents = new Map<string, Agent>();
  /** Return false to drop a delivery. */
  link: (from: string, to: string, a: Announcement) => boolean = () => true;

  input(agent: Agent): StepInput {
    return { nowMs: this.nowMs, wallMs: WALL + this.nowMs, self: agent.self, requiredPackages: agent.required };
  }

  add(id: string, weight = 300, options: { ready?: string[]; required?: string[]; incarnation?: string } = {}): Agent {
    const agent: Agent = {
      id, self: { weight, deviceClass: 'desktop', readyPackages: options.ready ?? ['p'] }, required: options.required ?? ['p'],
      roles: [], sent: [], down: false, state: undefined as unknown as ElectionState,
    };
    this.agents.set(id, agent);
    const incarnation = options.incarnation ?? (id.charCodeAt(0) * 1000 + id.length + this.nowMs).toString(16).padStart(16, '0').slice(-16);
    this.apply(agent, initElection({ agentId: id, siteId: 's', subnet: '10.0.0.0/24', incarnation }, this.input(agent), config));
    return agent;
  }

  apply(agent: Agent, step: { state: ElectionState; effects: ElectionEffect[] }): void {
    agent.state = step.state;
    for (const e of step.effects) {
      if (e.kind === 'roleChanged') agent.roles.push({ atMs: this.nowMs, role: e.to, reason: e.reason });
      else this.broadcast(agent, e.announcement);
    }
  }

  broadcast(from: Agent, a: Announcement): void {
    from.sent.push(a);
    for (const to of this.agents.values()) {
      if (to === from || to.down || !this.link(from.id, to.id, a)) continue;
      this.apply(to, onAnnouncement(to.state, a, this.input(to), config));
    }
  }

  crash(id: string): void {
    this.agents.get(id)!.down = true;
  }

  run(ms: number): void {
    const end = this.nowMs + ms;
    while (this.nowMs < end) {
      this.nowMs++;
      for (const agent of this.agents.values()) {
        if (!agent.down && nextWakeAtMs(agent.state, this.nowMs - 1, config) <= this.nowMs) this.apply(agent, onTick(agent.state, this.input(agent), config));
      }
    }
  }

  role(id: string): Role {
    return this.agents.get(id)!.state.role;
  }
}

test('a lone agent announces at once, listens 3 s, then claims active (blind, term 1)', () => {
  const net = new Net();
  const a = net.add('a');
  assert.equal(a.sent.length, 1, 'first announcement at start');
  assert.equal(a.sent[0]!.listening, true, 'listening agents say so');
  net.run(2999);
  assert.equal(net.role('a'), 'idle');
  net.run(1);
  assert.equal(net.role('a'), 'active');
  assert.equal(a.state.claimTerm, 1);
  assert.equal(a.state.claimBlind, true);
  const gaps = a.sent.slice(1).map((x, i) => x.seq - a.sent[i]!.seq);
  assert.ok(gaps.every((g) => g === 1), 'seq +1 per announcement');
  net.run(10_000);
  const times: number[] = [];
  // 10 s at 400–500 ms per announcement: 20–25 announcements.
  for (const x of a.sent) times.push(x.timestampMs);
  const recent = times.filter((t) => t > WALL + 3000);
  assert.ok(recent.length >= 20 && recent.length <= 26, `${recent.length} announcements in 10 s`);
});

test('three agents starting together: the best-ranked becomes active, the next standby, informed', () => {
  const net = new Net();
  net.add('low', 100);
  net.add('mid', 300);
  net.add('top', 400);
  net.run(3100);
  assert.deepEqual([net.role('top'), net.role('mid'), net.role('low')], ['active', 'standby', 'idle']);
  const top = net.agents.get('top')!;
  assert.equal(top.state.claimBlind, false);
  assert.equal(top.state.claimTerm, 1);
  // Followers say whom they follow.
  const lastOfMid = net.agents.get('mid')!.sent.at(-1)!;
  assert.equal(lastOfMid.following, true);
  assert.equal(lastOfMid.heard[0]!.agentId, 'top');
  assert.equal(lastOfMid.term, 1);
});

test('when the active goes silent the standby takes over 1.5 s after its last message, with term + 1', () => {
  const net = new Net();
  net.add('a', 400); net.add('b', 300); net.add('c', 200);
  net.run(5000);
  assert.equal(net.role('a'), 'active');
  net.crash('a');
  const lastMs = Math.max(...[...net.agents.values()].filter((x) => x.id !== 'a').map((x) => x.state.peers.get('a')!.lastDirectMs));
  net.run(3000);
  const took = net.agents.get('b')!.roles.find((r) => r.role === 'active')!;
  assert.ok(took, 'b became active');
  assert.equal(took.atMs - lastMs, config.announceIntervalMs * config.missedAnnouncementsForDeath + 1, 'exactly the death timeout after the last message');
  assert.equal(net.role('c'), 'standby');
  assert.equal(net.agents.get('b')!.state.claimTerm, 2);
  assert.equal(net.agents.get('c')!.roles.filter((r) => r.role === 'active').length, 0);
});

test('a graceful leave hands over at once', () => {
  const net = new Net();
  const a = net.add('a', 400); net.add('b', 300);
  net.run(5000);
  const t = net.nowMs;
  net.apply(a, leaveElection(a.state, net.input(a), config));
  a.down = true;
  assert.equal(net.role('b'), 'active');
  assert.equal(net.agents.get('b')!.roles.at(-1)!.atMs, t);
  assert.equal(a.sent.at(-1)!.leaving, true);
});

test('a returning better-ranked agent becomes standby, never active; the old standby releases first', () => {
  const net = new Net();
  net.add('a', 400); net.add('b', 300); net.add('c', 200);
  net.run(5000);
  net.crash('a');
  net.run(3000);
  assert.deepEqual([net.role('b'), net.role('c')], ['active', 'standby']);
  // Track standby claims at every step while `a` returns with a new incarnation.
  const a2 = net.add('a', 400, { incarnation: 'ffff000000000001' });
  net.agents.get('a')!.down = false;
  let maxStandbys = 0;
  for (let i = 0; i < 6000; i++) {
    net.run(1);
    maxStandbys = Math.max(maxStandbys, [...net.agents.values()].filter((x) => x.state.role === 'standby').length);
  }
  assert.equal(net.role('b'), 'active');
  assert.equal(net.role('a'), 'standby');
  assert.equal(net.role('c'), 'idle');
  assert.equal(maxStandbys, 1);
  assert.equal(a2.roles.filter((r) => r.role === 'active').length, 0);
});

test('a claim made on a false suspicion yields to the incumbent, which never loses the role', () => {
  const net = new Net();
  net.add('a', 400); net.add('b', 300);
  net.run(5000);
  // b stops hearing a for 2 s (a still hears b).
  net.link = (from, to) => !(from === 'a' && to === 'b');
  net.run(2000);
  assert.equal(net.role('b'), 'active', 'b suspected a and claimed');
  assert.equal(net.agents.get('b')!.state.claimTerm, 2);
  net.link = () => true;
  net.run(600);
  assert.equal(net.role('a'), 'active');
  assert.equal(net.role('b'), 'standby');
  assert.equal(net.agents.get('a')!.roles.filter((r) => r.role !== 'active').length, 0, 'a never left the role');
  assert.match(net.agents.get('b')!.roles.at(-1)!.reason, /earlier active claim by a/);
});

test('a blind claim loses to an informed one; an incumbent stops being blind once followed', () => {
  const net = new Net();
  // x and y cannot hear each other at first: both end up active; x blind, y blind.
  net.link = () => false;
  net.add('x', 100); net.add('y', 400);
  net.run(3500);
  assert.deepEqual([net.role('x'), net.role('y')], ['active', 'active']);
  assert.equal(net.agents.get('x')!.state.claimBlind, true);
  // z hears only x: follows it, so x's claim becomes informed.
  net.link = (from, to) => (from === 'x' && to === 'z') || (from === 'z' && to === 'x');
  net.add('z', 50);
  net.run(4000);
  assert.equal(net.agents.get('x')!.state.claimBlind, false);
  assert.equal(net.agents.get('y')!.state.claimBlind, true);
  // Heal: the informed claim (x) wins although y ranks better.
  net.link = () => true;
  net.run(1000);
  assert.equal(net.role('x'), 'active');
  assert.equal(net.role('y'), 'standby');
});

test('an agent that misses the claimant but hears its followers does not claim on top (indirect claim)', () => {
  const net = new Net();
  net.add('a', 400); net.add('b', 300); net.add('c', 200);
  net.run(5000);
  net.crash('a');
  // c never hears b (b still hears c); a follower d relays that b holds the role.
  net.link = (from, to) => !(from === 'b' && to === 'c');
  net.add('d', 100);
  net.run(15_000);
  assert.equal(net.role('b'), 'active');
  assert.notEqual(net.role('c'), 'active');
  assert.equal(net.agents.get('c')!.roles.filter((r) => r.role === 'active').length, 0);
});

test('takeover grace: if the expected active never claims, the next-ranked claims after the grace period', () => {
  const net = new Net();
  // x holds the role; `low` cannot hear x, but hears `top`, which follows x and ranks best.
  net.link = (from, to) => !(from === 'x' && to === 'low');
  net.add('x', 100);
  net.run(5000);
  net.add('top', 900);
  net.add('low', 200);
  net.run(10_000);
  assert.equal(net.role('x'), 'active');
  assert.equal(net.role('top'), 'standby');
  const claim = net.agents.get('low')!.roles.find((r) => r.role === 'active');
  assert.ok(claim, 'low claimed after the grace period');
  assert.match(claim.reason, /top has not claimed/);
  // Listen ends at 8 s; low is second in its ranking: one grace period later.
  assert.equal(claim.atMs, 5000 + config.listenMs + config.takeoverGraceMs);
});

test('site start-up: an agent done listening waits for a better-ranked one still listening', () => {
  const net = new Net();
  net.add('low', 100);
  net.run(1000);
  net.add('top', 400);
  net.run(2900);
  // low finished listening at 3 s but waits: top listens until 4 s.
  const low = net.agents.get('low')!;
  assert.equal(net.role('low'), 'idle');
  assert.match(electionView(low.state, net.input(low), config).pickReason, /best-ranked/);
  assert.equal(low.roles.length, 0);
  net.run(200);
  assert.equal(net.role('top'), 'active');
  assert.equal(net.role('low'), 'standby');
  assert.equal(net.agents.get('low')!.roles.filter((r) => r.role === 'active').length, 0);
});

test('ineligible agents never claim; an active that loses a required package steps down', () => {
  const net = new Net();
  net.add('zero', 0);
  net.add('nopkg', 500, { ready: [] });
  const ok = net.add('ok', 100);
  net.run(5000);
  assert.deepEqual([net.role('zero'), net.role('nopkg'), net.role('ok')], ['idle', 'idle', 'active']);
  ok.required = ['p', 'q'];
  net.run(600);
  assert.equal(net.role('ok'), 'idle');
  assert.match(ok.roles.at(-1)!.reason, /missing packages: q/);
});

test('the peer table is bounded; silent peers are forgotten after a minute', () => {
  const net = new Net();
  const a = net.add('a');
  const small = { ...config, maxPeers: 2 };
  const fake = (id: string): Announcement => ({
    ...a.sent[0]!, agentId: id, incarnation: '00000000000000aa', role: 'idle', eligible: false, listening: false, heard: [], following: false,
  });
  let state = a.state;
  for (const id of ['p1', 'p2', 'p3']) {
    const step = onAnnouncement(state, fake(id), net.input(a), small);
    state = step.state;
    if (id === 'p3') assert.equal(step.ignored, 'peer-table-full');
  }
  assert.equal(state.peers.size, 2);
  assert.equal(onAnnouncement(state, fake('a'), net.input(a), small).ignored, 'own-agent-id');
  const later = onTick(state, { ...net.input(a), nowMs: net.nowMs + config.forgetAfterMs + 1 }, small);
  assert.equal(later.state.peers.size, 0);
});
