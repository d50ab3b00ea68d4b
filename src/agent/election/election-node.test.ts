// Goal: the election shell refuses a broken identity at start with one line naming the fix, and on
// the wire drops (and counts, and logs at debug) every kind of bad packet — malformed, unsigned,
// other version, other subnet, foreign or expired certificate, other site, identity mismatch, bad
// signature, replayed, skewed, late, our own id from another process — without any role change;
// it hands over at once on a graceful close and trims ready packages to fit one frame.
// Method: election nodes on a SimulatedLan with FakeClock; crafted packets injected by the test,
// which owns all the keys (server, agents, a rogue server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, type KeyObject } from 'node:crypto';
import { Counters } from '../../platform/counters.js';
import { memoryLogger } from '../../platform/logger.js';
import { SimulatedLan, type SimSocket } from '../../testkit/simulated-lan.js';
import { decodeAnnouncement, encodeAnnouncementToSign, type Announcement } from '../../protocol/peer/announcement.js';
import { ElectionSetupError, startElectionNode, type ElectionNode, type ElectionNodeOptions } from './election-node.js';
import { privateKeyFromSeed, rawPublicKey } from '../../platform/crypto/ed25519-keys.js';
import { issueAgentCertificate, signAnnouncement } from '../peers/peer-crypto.js';

const PORT = 4015;
const WALL = 1_750_000_000_000;
const key = (name: string): KeyObject => privateKeyFromSeed(new Uint8Array(createHash('sha256').update(`node-test:${name}`).digest()));
const cert = (agentId: string, o: { site?: string; server?: string; notAfterMs?: number; keyOf?: string } = {}) =>
  issueAgentCertificate({ agentId, siteId: o.site ?? 'site', publicKey: rawPublicKey(key(o.keyOf ?? agentId)), notAfterMs: o.notAfterMs ?? WALL + 86_400_000 }, key(o.server ?? 'server'));

function world() {
  const lan = new SimulatedLan({ seed: 1, minDelayMs: 1, maxDelayMs: 2 });
  const counters = new Counters();
  const logger = memoryLogger();
  const start = (agentId: string, address: string, extra: Partial<ElectionNodeOptions> = {}, skewMs = 0): Promise<ElectionNode> => {
    const socket: SimSocket = lan.socket('lan', address, PORT);
    return startElectionNode({
      transport: { send: (b) => socket.send(b, { address: '255.255.255.255', port: PORT }), onMessage: (h) => socket.onMessage(h), close: () => socket.close() },
      address, subnet: '10.9.0.0/24',
      identity: { agentId, privateKey: key(agentId), certificate: cert(agentId) },
      serverPublicKey: key('server'),
      self: () => ({ weight: 300, deviceClass: 'desktop', readyPackages: ['p'] }),
      requiredPackages: () => ['p'],
      clock: lan.clock,
      wallClock: () => WALL + lan.clock.nowMs() + skewMs,
      counters, logger,
      ...extra,
    }).catch((error: unknown) => { socket.close(); throw error; });
  };
  return { lan, counters, logger, start };
}

const base = (over: Partial<Announcement> = {}): Announcement => ({
  agentId: 'b', siteId: 'site', subnet: '10.9.0.0/24', incarnation: '00000000000000bb', seq: 1, timestampMs: WALL,
  weight: 999, deviceClass: 'server', uptimeSeconds: 1, role: 'active', term: 1, activeForSeconds: 0,
  eligible: true, leaving: false, blind: false, following: false, listening: false, intervalMs: 500, readyPackages: ['p'], heard: [], ...over,
});

test('a broken identity stops the start with one line naming the fix', async () => {
  const { start } = world();
  const refuse = async (extra: Partial<ElectionNodeOptions>, pattern: RegExp) => {
    await assert.rejects(start('a', '10.9.0.1', extra), (e: unknown) => e instanceof ElectionSetupError && pattern.test(e.message) && !e.message.includes('\n'));
  };
  await refuse({ serverPublicKey: key('rogue') }, /not signed by our server; re-enroll/);
  await refuse({ identity: { agentId: 'a', privateKey: key('a'), certificate: cert('other') } }, /certificate is for other, this agent is a; re-enroll/);
  await refuse({ identity: { agentId: 'a', privateKey: key('a'), certificate: cert('a', { keyOf: 'x' }) } }, /another public key/);
  await refuse({ identity: { agentId: 'a', privateKey: key('a'), certificate: cert('a', { notAfterMs: WALL - 1 }) } }, /expired .*re-enroll/);
  await refuse({ identity: { agentId: 'a', privateKey: key('a'), certificate: new Uint8Array(10) } }, /unreadable/);
  await assert.rejects(startElectionNode({ ...({} as ElectionNodeOptions), identity: { agentId: 'a', privateKey: key('a'), certificate: cert('a') }, serverPublicKey: key('server'), self: () => ({ weight: 1, deviceClass: 'server', readyPackages: [] }), requiredPackages: () => [], wallClock: () => WALL }), /--interface/);
});

test('bad packets of every kind are dropped, counted and logged; roles do not move', async () => {
  const { lan, counters, logger, start } = world();
  const a = await start('a', '10.9.0.1');
  lan.runForMs(4000);
  assert.equal(a.role(), 'active');
  const from = { address: '10.9.0.66', port: PORT };
  const to = { address: '255.255.255.255', port: PORT };
  const inject = (bytes: Uint8Array, src = from) => { lan.inject('lan', src, to, bytes); lan.runForMs(5); };
  const signed = (a2: Announcement, c = cert(a2.agentId), k = key(a2.agentId)) => signAnnouncement(a2, c, k);

  const good = signed(base({ seq: 10, timestampMs: WALL + lan.clock.nowMs(), role: 'idle', eligible: false }));
  inject(good);
  assert.equal(counters.get('election_accepted_total'), 1);
  const cases: Array<[string, Uint8Array, typeof from?]> = [
    ['malformed', Uint8Array.of(1, 2, 3)],
    ['unsigned', encodeAnnouncementToSign(base(), cert('b')).slice(0, -2 - cert('b').length)],
    ['unsupported-version', Uint8Array.from([...good.slice(0, 4), 9, ...good.slice(5)])],
    ['other-subnet', good, { address: '192.168.1.5', port: PORT }],
    ['foreign-subnet', signed(base({ subnet: '10.8.0.0/24' }))],
    ['foreign-certificate', signed(base(), cert('b', { server: 'rogue' }))],
    ['foreign-site', signed(base({ siteId: 'elsewhere' }), cert('b', { site: 'elsewhere' }))],
    ['expired-certificate', signed(base(), cert('b', { notAfterMs: WALL - 10 }))],
    ['identity-mismatch', signed(base({ agentId: 'c' }), cert('b'), key('b'))],
    ['bad-signature', signed(base(), cert('b'), key('rogue'))],
    ['replayed', good],
    ['stale-timestamp', signed(base({ incarnation: '00000000000000cc', agentId: 'c', timestampMs: WALL - 400_000 }))],
    ['future-timestamp', signed(base({ incarnation: '00000000000000cd', agentId: 'd', timestampMs: WALL + 400_000 }))],
    ['late', signed(base({ seq: 11, timestampMs: WALL + lan.clock.nowMs() - 3000 }))],
    ['stale-incarnation', signed(base({ incarnation: '00000000000000b0', timestampMs: WALL + lan.clock.nowMs() - 60_000 }))],
    ['duplicate-agent-id', signed(base({ agentId: 'a', incarnation: '00000000000000aa', timestampMs: WALL + lan.clock.nowMs() }))],
  ];
  for (const [reason, bytes, src] of cases) {
    const before = counters.get('election_dropped_total', { reason });
    inject(bytes, src);
    assert.equal(counters.get('election_dropped_total', { reason }), before + 1, `${reason} counted`);
    assert.ok(logger.lines.some((l) => l.level === 'debug' && l.reason === reason), `${reason} logged at debug`);
  }
  assert.equal(counters.get('election_accepted_total'), 1, 'nothing else accepted');
  assert.equal(a.role(), 'active');
  assert.ok(logger.lines.some((l) => l.level === 'warn' && /fix time synchronisation \(NTP\)/.test(l.msg)), 'skew explained once at warn');
  assert.ok(logger.lines.some((l) => l.level === 'warn' && /announces with this agent's id and key/.test(l.msg)));
  await a.close();
});

test('a graceful close hands the role over at once; a crash after the death timeout', async () => {
  const { lan, start } = world();
  const a = await start('a', '10.9.0.1', { self: () => ({ weight: 400, deviceClass: 'server', readyPackages: ['p'] }) });
  const b = await start('b', '10.9.0.2');
  const c = await start('c', '10.9.0.3', { self: () => ({ weight: 100, deviceClass: 'laptop', readyPackages: ['p'] }) });
  lan.runForMs(5000);
  assert.deepEqual([a.role(), b.role(), c.role()], ['active', 'standby', 'idle']);
  await a.close();
  lan.runForMs(10);
  assert.equal(b.role(), 'active', 'leaving announcement: immediate takeover');
  const t0 = lan.lastSentAtMs('10.9.0.2')!;
  lan.crash('10.9.0.2');
  await b.close({ leave: false });
  let tookAt = -1;
  for (let i = 0; i < 300 && tookAt < 0; i++) { lan.runForMs(10); if (c.role() === 'active') tookAt = lan.clock.nowMs(); }
  assert.ok(tookAt - t0 >= 1500 && tookAt - t0 <= 1600, `crash takeover after ${tookAt - t0} ms`);
  assert.equal(c.view().active, 'c');
  await c.close();
});

test('two agents whose clocks differ by more than 5 minutes cannot hear each other, and say so', async () => {
  const { lan, logger, counters, start } = world();
  const a = await start('a', '10.9.0.1');
  const b = await start('b', '10.9.0.2', {}, 10 * 60_000);
  lan.runForMs(5000);
  assert.equal(a.role(), 'active');
  assert.equal(b.role(), 'active', 'isolated by skew: each elects itself (documented)');
  assert.ok(counters.get('election_dropped_total', { reason: 'future-timestamp' }) > 0 && counters.get('election_dropped_total', { reason: 'stale-timestamp' }) > 0);
  assert.equal(logger.lines.filter((l) => l.level === 'warn' && /NTP/.test(l.msg)).length, 2, 'one warning per peer');
  await a.close(); await b.close();
});

test('ready packages are trimmed to fit one frame; the eligible flag still carries the verdict', async () => {
  const { lan, counters, start } = world();
  const many = Array.from({ length: 16 }, (_, i) => `package-${i}-`.padEnd(64, 'x'));
  const seen: Announcement[] = [];
  const a = await start('a', '10.9.0.1', { self: () => ({ weight: 300, deviceClass: 'desktop', readyPackages: many }), requiredPackages: () => many, identity: { agentId: 'a'.padEnd(64, 'a'), privateKey: key('a'.padEnd(64, 'a')), certificate: cert('a'.padEnd(64, 'a'), { site: 's'.padEnd(64, 's') }) } });
  const spy = lan.socket('lan', '10.9.0.9', PORT);
  spy.onMessage((bytes) => {
    const d = decodeAnnouncement(bytes);
    if (d.ok) seen.push(d.packet.announcement);
  });
  lan.runForMs(4000);
  assert.equal(counters.get('election_send_errors_total'), 0);
  assert.ok(counters.get('election_ready_packages_trimmed_total') > 0);
  assert.ok(seen.length > 0 && seen.every((x) => x.readyPackages.length < 16 && x.readyPackages.length > 0));
  assert.equal(seen.at(-1)!.eligible, true);
  assert.equal(a.role(), 'active');
  await a.close();
});
