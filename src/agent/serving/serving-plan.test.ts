// Goal: the rules of what an agent runs, on literal facts: boot servers for a responder, proxyDHCP
// only for the elected active, the shadow only for the standby, weight 0 while it cannot serve, and
// which certificate the election runs with (kept, renewed within a week of expiry, restarted on a
// site change, none when expired or missing). Method: planServing / electionCertificate, no I/O.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAgentCertificate } from '../../protocol/peer/agent-certificate.js';
import { electionCertificate, RENEW_WITHIN_MS } from '../identity/certificate-renewal.js';
import { planServing, type ServingFacts } from './serving-plan.js';

const NOW = Date.UTC(2026, 11, 8);
const DAY = 24 * 3600_000;
const cert = (siteId: string, notAfterMs: number, agentId = 'agent-1') =>
  Buffer.from(encodeAgentCertificate({ agentId, siteId, publicKey: new Uint8Array(32).fill(7), notAfterMs }, new Uint8Array(64).fill(9))).toString('base64url');
const good = cert('site-a', NOW + 30 * DAY);

const facts = (f: Partial<ServingFacts> = {}): ServingFacts => ({
  wallMs: NOW, responder: true, electionRole: 'idle', certificate: good, electionCertificate: good, configuredWeight: 300,
  bootServersFailed: false, pxeFailed: false, ...f,
});

test('a responder runs its boot servers; only the active answers PXE, only the standby shadows it', () => {
  assert.deepEqual([planServing(facts()).bootServers, planServing(facts()).pxe, planServing(facts()).shadow], [true, null, null]);
  assert.deepEqual([planServing(facts({ electionRole: 'active' })).pxe, planServing(facts({ electionRole: 'active' })).shadow], [true, null]);
  assert.deepEqual([planServing(facts({ electionRole: 'standby' })).pxe, planServing(facts({ electionRole: 'standby' })).shadow], [null, true]);
  const idle = planServing(facts({ responder: false, electionRole: 'active' }));
  assert.deepEqual([idle.bootServers, idle.pxe, idle.shadow, idle.weight], [null, null, null, 0], 'not a responder: nothing serves, weight 0');
  assert.equal(idle.election, good, 'a non-responder still takes part in its LAN election (announcing weight 0)');
});

test('the weight is the configured one while the agent can serve, 0 for a minute after a failed start', () => {
  assert.equal(planServing(facts()).weight, 300);
  assert.equal(planServing(facts({ bootServersFailed: true })).weight, 0);
  assert.equal(planServing(facts({ pxeFailed: true })).weight, 0);
});

test('the election certificate: kept, renewed near expiry, restarted on a site change, none when expired', () => {
  assert.deepEqual(electionCertificate(null, null, NOW), { certificate: null, change: 'none' });
  assert.deepEqual(electionCertificate(good, null, NOW), { certificate: good, change: 'start' });
  const later = cert('site-a', NOW + 60 * DAY);
  assert.deepEqual(electionCertificate(later, good, NOW), { certificate: good, change: 'keep' }, 'a renewal waits until the running one nears expiry');
  const nearEnd = cert('site-a', NOW + RENEW_WITHIN_MS - 1);
  assert.deepEqual(electionCertificate(later, nearEnd, NOW), { certificate: later, change: 'renewal' });
  assert.deepEqual(electionCertificate(cert('site-b', NOW + 30 * DAY), good, NOW).change, 'siteChanged');
  const expired = cert('site-a', NOW - 1);
  assert.deepEqual(electionCertificate(expired, null, NOW), { certificate: null, change: 'expired', notAfterMs: NOW - 1 });
  assert.deepEqual(electionCertificate('not-a-certificate', good, NOW), { certificate: good, change: 'unreadable' }, 'garbage keeps the running election');
  assert.equal(planServing(facts({ certificate: expired, electionCertificate: null })).election, null);
});
