// Goal: the agent's package holder follows the agent's life: the swarm starts once a certificate
// exists, a renewed certificate goes to the running swarm, one for another site restarts it, the
// policy's WAN settings reach the shaper, package facts become one boot event each, and a swarm
// that cannot start (ports taken) leaves the agent fetching from the server, retrying each minute.
// Method: AgentPackages with a recording stand-in for startAgentPackageSwarm (the real swarm is
// covered by package-swarm.sim.test.ts and test/p2p) and, for the fallback, the real server-only
// PackageSync fetching through an ApiClient whose fetch serves chunks from memory; FakeClock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../contract/client.js';
import type { SignedManifest } from '../../contract/manifest.js';
import { Counters } from '../../platform/counters.js';
import { silentLogger } from '../../platform/logger.js';
import { FakeClock } from '../../testkit/fake-clock.js';
import { rawPublicKey } from '../../platform/crypto/ed25519-keys.js';
import { issueAgentCertificate } from '../peers/peer-crypto.js';
import type { WanPolicy } from '../wan/wan-shaper.js';
import type { AgentPackageSwarm, AgentPackageSwarmOptions } from './agent-package-swarm.js';
import { AgentPackages, type PackageEvent } from './agent-packages.js';

const server = generateKeyPairSync('ed25519');
const agentKey = generateKeyPairSync('ed25519');
const cert = (siteId: string, notAfterMs: number) => Buffer.from(issueAgentCertificate({ agentId: 'agent-1', siteId, publicKey: rawPublicKey(agentKey.publicKey), notAfterMs }, server.privateKey)).toString('base64url');

interface FakeSwarm { options: AgentPackageSwarmOptions; certificates: string[]; wan: WanPolicy[]; wanted: SignedManifest[][]; closed: boolean; ready: boolean }

function harness(o: { failStarts?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pb-agent-packages-'));
  const clock = new FakeClock();
  const started: FakeSwarm[] = [];
  const events: PackageEvent[] = [];
  let failures = o.failStarts ?? 0;
  const chunk = new TextEncoder().encode('the only chunk of the package');
  const sha = createHash('sha256').update(chunk).digest('hex');
  const served: string[] = [];
  const api = new ApiClient({
    baseUrl: 'http://server.invalid', token: 't',
    fetch: (async (url: string | URL) => {
      served.push(String(url));
      return new Response(String(url).endsWith(sha) ? chunk : 'no', { status: String(url).endsWith(sha) ? 200 : 404, headers: { 'content-type': 'application/octet-stream' } });
    }) as typeof fetch,
  });
  let changes = 0;
  const packages = new AgentPackages({
    dataDir: dir, bootRoot: join(dir, 'boot'), packageStateDir: join(dir, 'state'), agentId: 'agent-1',
    privateKeyPem: agentKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    serverPublicKey: server.publicKey.export({ format: 'jwk' }).x as string, server: api,
    lan: { address: '127.0.0.1', subnet: '127.0.0.0/8', havePort: 4016, chunkPort: 4017 }, peers: true, weight: 300,
    clock, logger: silentLogger, counters: new Counters(), onChange: () => { changes++; }, onEvent: (e) => events.push(e),
    startSwarm: async (options) => {
      if (failures > 0) {
        failures--;
        throw new Error('cannot bind UDP port 4016 for have messages (EADDRINUSE)');
      }
      const fake: FakeSwarm = { options, certificates: [], wan: [], wanted: [], closed: false, ready: false };
      started.push(fake);
      const progress = () => ({
        agentId: 'agent-1', rejected: [], neighbours: 1, bytesFromPeers: 10, bytesFromWan: 0, chunksFromPeers: 1, chunksFromWan: 0, badChunksFromPeers: 0,
        bannedPeers: [], diskFull: false, wan: { rateBytesPerSecond: null, ledbat: null },
        packages: [{ packageId: 'pkg-1', ready: fake.ready, chunksHeld: fake.ready ? 1 : 0, chunksTotal: 1, bytesHeld: 10, bytesTotal: 10, wanFetcher: false }],
      });
      return {
        setWanted: (m: readonly SignedManifest[]) => { fake.wanted.push([...m]); return { accepted: m.map((x) => x.manifest.id), rejected: [] }; },
        readiness: () => [{ packageId: 'pkg-1', ready: fake.ready, chunksHeld: fake.ready ? 1 : 0, chunksTotal: 1 }],
        readyIds: () => (fake.ready ? ['pkg-1'] : []),
        isReady: (id: string) => fake.ready && id === 'pkg-1',
        progress,
        setCertificate: (c: Uint8Array) => { fake.certificates.push(Buffer.from(c).toString('base64url')); },
        setWeight: () => {},
        setWanPolicy: (p: WanPolicy) => { fake.wan.push(p); },
        close: async () => { fake.closed = true; },
      } as unknown as AgentPackageSwarm;
    },
  });
  const manifest: SignedManifest = {
    manifest: {
      schemaVersion: 1, id: 'pkg-1', name: 'p', version: 1, createdAt: new Date(0).toISOString(), chunkSizeBytes: 1048576,
      files: [{ path: 'a.bin', sizeBytes: chunk.byteLength, sha256: sha, chunks: [sha] }],
    },
    signature: { alg: 'Ed25519', keyId: 'k', value: 'x' },
  };
  const settle = async () => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); };
  return { packages, clock, started, events, served, manifest, settle, dir, changes: () => changes, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('the swarm starts with the certificate, gets the wanted packages, renewals and the WAN settings', async () => {
  const h = harness();
  try {
    h.packages.setWanted([h.manifest]);
    h.packages.setWanPolicy({ capBytesPerSecond: 250_000, adaptive: true });
    assert.equal(h.packages.mode(), 'waiting', 'nothing starts without a certificate');
    h.packages.setCertificate(cert('site-a', Date.now() + 3_600_000));
    await h.settle();
    assert.equal(h.started.length, 1);
    const s = h.started[0]!;
    assert.equal(s.options.identity.siteId, 'site-a');
    assert.deepEqual(s.options.wan, { capBytesPerSecond: 250_000, adaptive: true });
    assert.deepEqual(s.wanted.at(-1)!.map((m) => m.manifest.id), ['pkg-1']);
    assert.equal(h.packages.mode(), 'peers');
    // A renewal for the same site goes to the running swarm.
    const renewed = cert('site-a', Date.now() + 7_200_000);
    h.packages.setCertificate(renewed);
    await h.settle();
    assert.equal(h.started.length, 1);
    assert.deepEqual(s.certificates, [renewed]);
    // New WAN settings from a new policy.
    h.packages.setWanPolicy({ capBytesPerSecond: null, adaptive: false });
    assert.deepEqual(s.wan.at(-1), { capBytesPerSecond: null, adaptive: false });
    // Another site: a fresh swarm (the chunk cache on disk is shared).
    h.packages.setCertificate(cert('site-b', Date.now() + 3_600_000));
    await h.settle();
    assert.equal(h.started.length, 2);
    assert.ok(s.closed, 'the old swarm closed');
    assert.equal(h.started[1]!.options.identity.siteId, 'site-b');
    await h.packages.stop();
    assert.ok(h.started[1]!.closed);
  } finally {
    h.cleanup();
  }
});

test('a package that becomes ready is one boot event, however often the swarm reports', async () => {
  const h = harness();
  try {
    h.packages.setWanted([h.manifest]);
    h.packages.setCertificate(cert('site-a', Date.now() + 3_600_000));
    await h.settle();
    const s = h.started[0]!;
    s.ready = true;
    s.options.onChange!();
    s.options.onChange!();
    assert.deepEqual(h.events.map((e) => e.kind), ['packageReady']);
    assert.match(h.events[0]!.reason, /pkg-1 ready: 1 chunks verified; .* from LAN peers/);
    assert.deepEqual(h.packages.readyIds(), ['pkg-1']);
    assert.ok(h.packages.isReady('pkg-1'));
    await h.packages.stop();
  } finally {
    h.cleanup();
  }
});

test('ports taken: the agent fetches from the server instead, and the swarm takes over when it can start', async () => {
  const h = harness({ failStarts: 1 });
  try {
    h.packages.setWanted([h.manifest]);
    h.packages.setCertificate(cert('site-a', Date.now() + 3_600_000));
    await h.settle();
    assert.equal(h.started.length, 0);
    assert.equal(h.packages.mode(), 'server');
    // The server-only sync fetched the chunk and assembled the file.
    for (let i = 0; i < 50 && !h.packages.isReady('pkg-1'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(h.packages.isReady('pkg-1'), 'ready from the server');
    assert.ok(h.served.some((u) => u.includes('/agent/chunks/')));
    assert.ok(existsSync(join(h.dir, 'boot', 'p', 'pkg-1', 'a.bin')));
    assert.equal(readFileSync(join(h.dir, 'boot', 'p', 'pkg-1', 'a.bin'), 'utf8'), 'the only chunk of the package');
    // A minute later the swarm starts and takes over.
    h.clock.advance(60_000);
    await h.settle();
    assert.equal(h.started.length, 1);
    assert.equal(h.packages.mode(), 'peers');
    await h.packages.stop();
  } finally {
    h.cleanup();
  }
});
