// Goal: the directory learns a peer's address only from an authentic, fresh announcement: signed
// by a key our server certified for our site, newer than what it has; a forged byte, a foreign
// certificate or a replay from another address changes nothing. Method: real announcements from
// startElectionNode over a capturing transport (no sockets), fed to PeerDirectory.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { startElectionNode, type ElectionTransport } from '../election/election-node.js';
import { rawPublicKey, toPublicKey } from '../../platform/crypto/ed25519-keys.js';
import { issueAgentCertificate } from './peer-crypto.js';
import { FakeClock } from '../../testkit/fake-clock.js';
import { PeerDirectory } from './peer-directory.js';
import { Counters } from '../../platform/counters.js';

async function announcementsOf(agentId: string, siteId: string, serverKey: ReturnType<typeof generateKeyPairSync>['privateKey'], count: number): Promise<Uint8Array[]> {
  const agent = generateKeyPairSync('ed25519');
  const certificate = issueAgentCertificate({ agentId, siteId, publicKey: rawPublicKey(agent.publicKey), notAfterMs: Date.now() + 3_600_000 }, serverKey);
  const sent: Uint8Array[] = [];
  const transport: ElectionTransport = { send: (b) => sent.push(new Uint8Array(b)), onMessage: () => {}, close: () => {} };
  const clock = new FakeClock();
  const node = await startElectionNode({
    address: '10.77.0.11', subnet: '10.77.0.0/24', identity: { agentId, privateKey: agent.privateKey, certificate },
    serverPublicKey: toPublicKey(serverKey), self: () => ({ weight: 100, deviceClass: 'server', readyPackages: ['pkg-1'] }),
    requiredPackages: () => [], clock, transport,
  });
  for (let i = 0; sent.length < count && i < 100; i++) clock.advance(500);
  await node.close({ leave: false });
  return sent.slice(0, count);
}

test('authentic announcements map agent → address; forged, foreign and replayed ones do not', async () => {
  const server = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const [first, second] = await announcementsOf('agent-b', 'site-1', server.privateKey, 2);
  const dir = new PeerDirectory({ serverKeys: [toPublicKey(server.publicKey)], siteId: 'site-1', selfAgentId: 'agent-a', clock: new FakeClock(), wallClock: Date.now });

  const forged = new Uint8Array(first!);
  forged[30] = forged[30]! ^ 1;
  dir.observe(forged, { address: '10.77.0.66' });
  assert.equal(dir.addressOf('agent-b'), null, 'a flipped bit fails the signature');

  dir.observe(first!, { address: '10.77.0.12' });
  assert.equal(dir.addressOf('agent-b'), '10.77.0.12');
  assert.equal(dir.agentAt('10.77.0.12'), 'agent-b');
  assert.deepEqual(dir.get('agent-b')?.readyPackages, ['pkg-1']);

  dir.observe(first!, { address: '10.77.0.66' });
  assert.equal(dir.addressOf('agent-b'), '10.77.0.12', 'a replay from elsewhere does not move it');
  dir.observe(second!, { address: '10.77.0.13' });
  assert.equal(dir.addressOf('agent-b'), '10.77.0.13', 'a newer announcement does');

  const [foreign] = await announcementsOf('agent-c', 'site-1', other.privateKey, 1);
  dir.observe(foreign!, { address: '10.77.0.14' });
  assert.equal(dir.addressOf('agent-c'), null, 'certificate from another server');
  const [otherSite] = await announcementsOf('agent-d', 'site-2', server.privateKey, 1);
  dir.observe(otherSite!, { address: '10.77.0.15' });
  assert.equal(dir.addressOf('agent-d'), null, 'another site');
});

// Cheap checks first (security review M3): a datagram from outside this LAN, or announcing
// another subnet, costs no certificate or signature verification.
test('with its LAN set, the directory refuses announcements from or about another subnet before any crypto', async () => {
  const server = generateKeyPairSync('ed25519');
  const [genuine] = await announcementsOf('agent-b', 'site-1', server.privateKey, 1);
  const counters = new Counters();
  const make = (subnet: string) => new PeerDirectory({ serverKeys: [toPublicKey(server.publicKey)], siteId: 'site-1', selfAgentId: 'agent-a', subnet, clock: new FakeClock(), wallClock: Date.now, counters });
  const dir = make('10.77.0.0/24');
  dir.observe(genuine!, { address: '10.99.0.12' });
  assert.equal(dir.addressOf('agent-b'), null, 'a genuine announcement from another subnet is not taken');
  assert.equal(counters.get('peers_refused_total'), 1);
  const elsewhere = make('10.88.0.0/24');
  elsewhere.observe(genuine!, { address: '10.88.0.12' });
  assert.equal(elsewhere.addressOf('agent-b'), null, 'an announcement of another subnet is not taken either');
  dir.observe(genuine!, { address: '10.77.0.12' });
  assert.equal(dir.addressOf('agent-b'), '10.77.0.12');
});
