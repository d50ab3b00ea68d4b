// Goal: the swarm as a whole, under faults: every agent of every site ends with every chunk
// verified; each site's WAN link carries each chunk once (≤ 1.02 × the package); a neighbour that
// serves wrong bytes is caught, banned, and its bytes never stored; the site's WAN fetcher may crash
// mid-package and another agent takes over; an agent restarted mid-download resumes from what it
// holds; a manifest with a bad signature is rejected and its chunks never fetched or served.
// Method: real PackageSwarm shells (real Ed25519 certificates, signed have messages, memory chunk
// stores) on one FakeClock; have datagrams over SimulatedLan (seeded loss), chunk transfers over
// SimTransferNetwork (seeded jitter; WAN 160 KiB/s per site, LAN 2 MB/s per port). Several seeds
// per scenario; a failure names its seed (replay with SEED=n).
import { sign } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SigningKey } from '../../contract/signature.js';
import { generateSigningKey } from '../../platform/crypto/document-signature.js';
import type { SignedManifest } from '../../contract/manifest.js';
import { SimulatedLan } from '../../testkit/simulated-lan.js';
import { seededRandom } from '../../testkit/seeded-random.js';
import { privateKeyFromSeed, rawPublicKey } from '../../platform/crypto/ed25519-keys.js';
import { issueAgentCertificate } from '../peers/peer-crypto.js';
import { memoryChunkStore, type MemoryChunkStore } from '../../testkit/memory-chunk-store.js';
import { buildFixturePackage, fixtureBytes } from '../content/manifest-fixture.js';
import { PackageSwarm, type HaveTransport } from './package-swarm.js';
import { decodeChunkHave, encodeChunkHaveToSign, encodeSignedChunkHave } from '../../protocol/peer/chunk-have.js';
import { SimTransferNetwork } from '../../testkit/sim-transfer-network.js';

const HAVE_PORT = 4016;
const WALL_START_MS = 1_760_000_000_000;
const seeds = process.env.SEED ? [Number(process.env.SEED)] : [1, 2, 3];

/** A deterministic Ed25519 seed per agent id. */
function seedOf(agentId: string): Uint8Array {
  const seedBytes = new Uint8Array(32);
  for (let i = 0; i < agentId.length; i++) seedBytes[i % 32] = seedBytes[i % 32]! ^ agentId.charCodeAt(i);
  seedBytes[31] = 0x42;
  return seedBytes;
}

interface SimAgent {
  agentId: string;
  siteId: string;
  address: string;
  store: MemoryChunkStore;
  swarm: PackageSwarm;
}

interface World {
  lan: SimulatedLan;
  net: SimTransferNetwork;
  serverKey: SigningKey;
  agents: SimAgent[];
  pkg: { signed: SignedManifest; chunks: Map<string, Uint8Array>; bytes: number };
  start(spec: { agentId: string; siteId: string; address: string; weight?: number; corrupting?: boolean; store?: MemoryChunkStore; lanDomain?: string }): Promise<SimAgent>;
  runUntil(done: () => boolean, maxMs: number): Promise<number>;
}

function world(seed: number, options: { lossRatio?: number; chunks?: number; chunkBytes?: number } = {}): World {
  const lan = new SimulatedLan({ seed, lossRatio: options.lossRatio ?? 0, minDelayMs: 0.2, maxDelayMs: 2 });
  const random = seededRandom(seed ^ 0x5eed);
  const net = new SimTransferNetwork(lan.clock, random);
  const serverKey = generateSigningKey();
  const chunkBytes = options.chunkBytes ?? 16 * 1024;
  const size = (options.chunks ?? 48) * chunkBytes - 1000;
  const pkg = buildFixturePackage({
    id: 'winpe-1', key: serverKey, chunkSizeBytes: chunkBytes,
    files: [{ path: 'sources/boot.wim', bytes: fixtureBytes(size, seed) }, { path: 'boot/BCD', bytes: fixtureBytes(3000, seed + 1) }],
  });
  for (const [sha, bytes] of pkg.chunks) net.origin.set(sha, bytes);
  const agents: SimAgent[] = [];
  let n = 0;
  const w: World = {
    lan, net, serverKey, agents,
    pkg: { ...pkg, bytes: size + 3000 },
    async start(spec) {
      n++;
      const privateKey = privateKeyFromSeed(seedOf(spec.agentId));
      const certificate = issueAgentCertificate({ agentId: spec.agentId, siteId: spec.siteId, publicKey: rawPublicKey(privateKey), notAfterMs: WALL_START_MS + 86_400_000 }, serverKey.privateKeyPem);
      const socket = lan.socket(spec.lanDomain ?? spec.siteId, spec.address, HAVE_PORT);
      const have: HaveTransport = {
        send: (bytes) => socket.send(bytes, { address: '255.255.255.255', port: HAVE_PORT }),
        onMessage: (h) => socket.onMessage(h),
        close: () => socket.close(),
      };
      const store = spec.store ?? memoryChunkStore();
      let swarmRef: PackageSwarm | null = null;
      net.addAgent({ agentId: spec.agentId, siteId: spec.siteId, address: spec.address, store, corrupting: spec.corrupting, isInManifest: (sha) => swarmRef?.isInManifest(sha) ?? false });
      const swarm = await PackageSwarm.start({
        identity: { agentId: spec.agentId, siteId: spec.siteId, privateKey, certificate },
        address: spec.address, chunkPort: 4017, serverPublicKey: serverKey.publicKey, store,
        wan: net.wanFetcher(spec.address), peers: net.peerFetcher(spec.address), have,
        weight: spec.weight ?? 300, clock: lan.clock, wallClock: () => WALL_START_MS + lan.clock.nowMs(),
        incarnation: (seed * 1000 + n).toString(16).padStart(16, '0'),
      });
      swarmRef = swarm;
      const agent = { agentId: spec.agentId, siteId: spec.siteId, address: spec.address, store, swarm };
      agents.push(agent);
      return agent;
    },
    async runUntil(done, maxMs) {
      const startMs = lan.clock.nowMs();
      while (!done()) {
        if (lan.clock.nowMs() - startMs > maxMs) throw new Error(`seed ${seed}: not done after ${maxMs} simulated ms`);
        lan.runForMs(5);
        await new Promise((resolve) => setImmediate(resolve));
      }
      return lan.clock.nowMs() - startMs;
    },
  };
  return w;
}

async function assertHoldsEverything(w: World, agent: SimAgent): Promise<void> {
  const wanted = [...w.pkg.chunks.keys()].sort();
  const held = (await agent.store.list()).map((c) => c.sha256).sort();
  assert.deepEqual(held, wanted, `${agent.agentId} holds exactly the package's chunks`);
  for (const sha of held) assert.equal(await agent.store.verify(sha), 'ok', `${agent.agentId}: ${sha.slice(0, 8)} verifies`);
  assert.deepEqual(agent.swarm.readiness(), [{ packageId: 'winpe-1', ready: true, chunksHeld: w.pkg.signed.manifest.files.reduce((k, f) => k + f.chunks.length, 0), chunksTotal: w.pkg.signed.manifest.files.reduce((k, f) => k + f.chunks.length, 0) }]);
}

function assertWanOnce(w: World, siteId: string, extraChunks = 0): void {
  const bytes = w.net.wanBytes(siteId);
  const limit = w.pkg.bytes * 1.02 + extraChunks * 16 * 1024;
  assert.ok(bytes <= limit, `site ${siteId}: ${bytes} WAN bytes for a ${w.pkg.bytes}-byte package (limit ${Math.round(limit)})`);
  assert.ok(bytes >= w.pkg.bytes, `site ${siteId}: the package crossed the WAN at least once`);
}

async function closeAll(w: World): Promise<void> {
  for (const a of w.agents) await a.swarm.close();
}

describe('package swarm simulation', () => {
  for (const seed of seeds) {
    it(`two sites × 5 agents, 10 % datagram loss: all ready, each site's WAN carries the package once (seed ${seed})`, async () => {
      const w = world(seed, { lossRatio: 0.1 });
      for (const site of ['branch-a', 'branch-b']) {
        for (let i = 1; i <= 5; i++) {
          const a = await w.start({ agentId: `${site}-agent-${i}`, siteId: site, address: `10.${site === 'branch-a' ? 1 : 2}.0.${10 + i}`, weight: 300 });
          a.swarm.setWanted([w.pkg.signed]);
        }
      }
      const ms = await w.runUntil(() => w.agents.every((a) => a.swarm.isReady('winpe-1')), 120_000);
      for (const a of w.agents) await assertHoldsEverything(w, a);
      for (const site of ['branch-a', 'branch-b']) {
        assertWanOnce(w, site);
        assert.ok([...w.net.wanChunkCounts(site).values()].every((c) => c === 1), `site ${site}: no chunk crossed twice`);
        const fetchers = w.agents.filter((a) => a.siteId === site && a.swarm.progress().chunksFromWan > 0).map((a) => a.agentId);
        assert.deepEqual(fetchers, [`${site}-agent-1`], 'one WAN fetcher per site: the best-ranked (same weight, lowest id)');
      }
      const wanOnlyMs = (w.pkg.bytes / 160);
      assert.ok(ms < wanOnlyMs * 1.5 + 3000, `all ready in ${ms} ms; the WAN alone needs ${Math.round(wanOnlyMs)} ms`);
      await closeAll(w);
    });

    it(`a neighbour serving wrong bytes is banned, the chunk fetched elsewhere, no bad byte stored (seed ${seed})`, async () => {
      // The liar holds the whole package (it says so) but corrupts what it serves, like a rotten disk.
      const w = world(seed);
      const liarStore = memoryChunkStore();
      for (const [sha, bytes] of w.pkg.chunks) await liarStore.put(sha, bytes);
      const liar = await w.start({ agentId: 'a0-liar', siteId: 'site', address: '10.1.0.10', weight: 100, corrupting: true, store: liarStore });
      liar.swarm.setWanted([w.pkg.signed]);
      const honest: SimAgent[] = [];
      for (let i = 1; i <= 4; i++) {
        const a = await w.start({ agentId: `agent-${i}`, siteId: 'site', address: `10.1.0.${10 + i}` });
        a.swarm.setWanted([w.pkg.signed]);
        honest.push(a);
      }
      await w.runUntil(() => honest.every((a) => a.swarm.isReady('winpe-1')), 120_000);
      for (const a of honest) await assertHoldsEverything(w, a);
      const caught = honest.filter((a) => a.swarm.progress().badChunksFromPeers > 0);
      assert.ok(caught.length > 0, 'the liar was asked (it held every chunk first)');
      for (const a of caught) {
        assert.ok(a.swarm.counters.get('swarm_peers_banned_total') >= 1);
        assert.equal(a.swarm.progress().bannedPeers[0]?.agentId, 'a0-liar');
        // At most one bad answer per request in flight to it when the first came back; then the overall ban.
        assert.ok(a.swarm.progress().badChunksFromPeers <= 2, `${a.agentId} got ${a.swarm.progress().badChunksFromPeers} bad chunks`);
      }
      assertWanOnce(w, 'site');
      await closeAll(w);
    });

    it(`when the WAN fetcher itself serves wrong bytes, the others fetch their own good copy (seed ${seed})`, async () => {
      const w = world(seed);
      const liar = await w.start({ agentId: 'a0-liar', siteId: 'site', address: '10.1.0.10', weight: 500, corrupting: true });
      liar.swarm.setWanted([w.pkg.signed]);
      const honest: SimAgent[] = [];
      for (let i = 1; i <= 4; i++) {
        const a = await w.start({ agentId: `agent-${i}`, siteId: 'site', address: `10.1.0.${10 + i}` });
        a.swarm.setWanted([w.pkg.signed]);
        honest.push(a);
      }
      await w.runUntil(() => w.agents.every((a) => a.swarm.isReady('winpe-1')), 120_000);
      for (const a of honest) await assertHoldsEverything(w, a);
      assert.ok(honest.every((a) => a.swarm.progress().badChunksFromPeers <= 2));
      // The liar's copy and one honest copy: the only good source was the server.
      assert.equal(honest.filter((a) => a.swarm.progress().chunksFromWan > 0).length, 1, 'one honest WAN fetcher');
      assert.ok(w.net.wanBytes('site') <= 2 * w.pkg.bytes * 1.02 + 2 * 16 * 1024, `${w.net.wanBytes('site')} WAN bytes`);
      await closeAll(w);
    });

    it(`the site's WAN fetcher crashes mid-package; another takes over and the site completes (seed ${seed})`, async () => {
      const w = world(seed, { chunks: 120, chunkBytes: 4096 });
      for (let i = 1; i <= 4; i++) {
        const a = await w.start({ agentId: `agent-${i}`, siteId: 'site', address: `10.1.0.${10 + i}` });
        a.swarm.setWanted([w.pkg.signed]);
      }
      const first = w.agents[0]!;
      await w.runUntil(() => first.swarm.progress().packages[0]!.chunksHeld >= 40, 60_000);
      assert.ok(first.swarm.progress().chunksFromWan > 0, 'agent-1 was the WAN fetcher');
      w.net.crash(first.address);
      w.lan.crash(first.address);
      await first.swarm.close();
      const rest = w.agents.slice(1);
      await w.runUntil(() => rest.every((a) => a.swarm.isReady('winpe-1')), 120_000);
      for (const a of rest) await assertHoldsEverything(w, a);
      assert.equal(rest.filter((a) => a.swarm.progress().chunksFromWan > 0).length, 1, 'exactly one successor fetched over the WAN');
      // What was in flight at the crash (at most wanFetchesMax = 3 chunks) may cross twice.
      assertWanOnce(w, 'site', 3);
      await closeAll(w);
    });

    it(`an agent restarted mid-download resumes from the chunks it holds (seed ${seed})`, async () => {
      const w = world(seed);
      const a = await w.start({ agentId: 'agent-1', siteId: 'site', address: '10.1.0.11' });
      a.swarm.setWanted([w.pkg.signed]);
      await w.runUntil(() => a.swarm.progress().packages[0]!.chunksHeld >= 20, 60_000);
      await a.swarm.close();
      w.net.crash(a.address);
      const heldBefore = (await a.store.list()).length;
      const wanBefore = w.net.wanBytes('site');
      const again = await w.start({ agentId: 'agent-1', siteId: 'site', address: '10.1.0.12', store: a.store });
      assert.equal(again.swarm.progress().packages.length, 0);
      again.swarm.setWanted([w.pkg.signed]);
      assert.equal(again.swarm.readiness()[0]!.chunksHeld, heldBefore, 'held chunks counted at once');
      await w.runUntil(() => again.swarm.isReady('winpe-1'), 60_000);
      await assertHoldsEverything(w, again);
      const refetched = w.net.wanBytes('site') - wanBefore;
      assert.ok(refetched <= w.pkg.bytes - heldBefore * 16 * 1024 + 3 * 16 * 1024 + 16 * 1024, `after restart ${refetched} WAN bytes; ${heldBefore} chunks were already held`);
      await closeAll(w);
    });
  }

  it('a manifest with a bad signature is rejected, reported, never fetched or served', async () => {
    const w = world(7);
    const other = generateSigningKey();
    const forged = buildFixturePackage({ id: 'evil-1', key: other, chunkSizeBytes: 16 * 1024, files: [{ path: 'x', bytes: fixtureBytes(40_000, 9) }] });
    for (const [sha, bytes] of forged.chunks) w.net.origin.set(sha, bytes);
    const tampered = structuredClone(w.pkg.signed);
    tampered.manifest.id = 'winpe-2';
    const a = await w.start({ agentId: 'agent-1', siteId: 'site', address: '10.1.0.11' });
    const result = a.swarm.setWanted([w.pkg.signed, forged.signed, tampered]);
    assert.deepEqual(result.accepted, ['winpe-1']);
    assert.deepEqual(result.rejected.map((r) => [r.packageId, r.reason]), [['evil-1', 'unknownKey'], ['winpe-2', 'badSignature']]);
    assert.equal(a.swarm.counters.get('swarm_manifests_rejected_total', { reason: 'badSignature' }), 1);
    await w.runUntil(() => a.swarm.isReady('winpe-1'), 60_000);
    assert.equal(a.swarm.isReady('evil-1'), false);
    for (const sha of forged.chunks.keys()) {
      assert.equal(await a.store.has(sha), false, 'no chunk of the forged package fetched');
      assert.equal(a.swarm.isInManifest(sha), false, 'and the chunk server would refuse it');
    }
    assert.deepEqual(a.swarm.readyIds(), ['winpe-1']);
    await closeAll(w);
  });

  it('drops have messages that are forged, replayed from another address, or from another site', async () => {
    const w = world(11);
    const a = await w.start({ agentId: 'agent-1', siteId: 'site', address: '10.1.0.11' });
    const b = await w.start({ agentId: 'agent-2', siteId: 'site', address: '10.1.0.12' });
    const stranger = await w.start({ agentId: 'agent-x', siteId: 'other-site', address: '10.1.0.13', lanDomain: 'site' });
    const captured: Uint8Array[] = [];
    w.lan.tap((p) => { if (p.from.address === '10.1.0.12') captured.push(p.bytes); });
    for (const x of [a, b, stranger]) x.swarm.setWanted([w.pkg.signed]);
    await w.runUntil(() => captured.length >= 2, 5000);
    // Replayed from another address; with one flipped byte; a stranger's own (other site) messages arrive too.
    a.swarm.receiveHave(captured[0]!, { address: '10.1.0.66', port: HAVE_PORT });
    const flipped = Uint8Array.from(captured[1]!);
    flipped[40] = flipped[40]! ^ 1;
    a.swarm.receiveHave(flipped, { address: '10.1.0.12', port: HAVE_PORT });
    stranger.swarm.setWanted([w.pkg.signed]);
    await w.runUntil(() => a.swarm.counters.get('swarm_have_dropped_total', { reason: 'foreign-site' }) > 0, 5000);
    assert.equal(a.swarm.counters.get('swarm_have_dropped_total', { reason: 'address-mismatch' }), 1);
    assert.ok(a.swarm.counters.get('swarm_have_dropped_total', { reason: 'bad-signature' }) + a.swarm.counters.get('swarm_have_dropped_total', { reason: 'malformed' }) + a.swarm.counters.get('swarm_have_dropped_total', { reason: 'identity-mismatch' }) >= 1);
    assert.equal(a.swarm.progress().neighbours, 1, 'only agent-2 counts as a neighbour');
    await closeAll(w);
  });

  // Security review H4: one signed have with a made-up chunk count made every receiver allocate
  // 512 MiB and block its event loop for about a minute per entry.
  it('a have message is bounded by the signed manifests before any signature work', async () => {
    const w = world(17);
    const a = await w.start({ agentId: 'agent-1', siteId: 'site', address: '10.1.0.11' });
    const b = await w.start({ agentId: 'agent-2', siteId: 'site', address: '10.1.0.12' });
    const captured: Uint8Array[] = [];
    w.lan.tap((p) => { if (p.from.address === '10.1.0.12') captured.push(p.bytes); });
    for (const x of [a, b]) x.swarm.setWanted([w.pkg.signed]);
    await w.runUntil(() => captured.length >= 1, 5000);
    const d = decodeChunkHave(captured.at(-1)!);
    assert.ok(d.ok);
    const h = d.packet.have;
    const bKey = privateKeyFromSeed(seedOf('agent-2'));
    const signed = (next: typeof h, valid = true) => {
      const tbs = encodeChunkHaveToSign(next, d.packet.certificate);
      return encodeSignedChunkHave(tbs, valid ? new Uint8Array(sign(null, tbs, bKey)) : new Uint8Array(64));
    };
    const huge = (packageId: string) => ({ packageId, complete: true, wanFetcher: false, chunkCount: 0xffffffff, firstChunk: 0, bitmap: new Uint8Array(0), wanInFlight: [] });
    const from = { address: '10.1.0.12', port: HAVE_PORT };
    const dropped = (reason: string) => a.swarm.counters.get('swarm_have_dropped_total', { reason });
    // The wanted package with a made-up count and no valid signature: refused for the count, so before the signature check.
    a.swarm.receiveHave(signed({ ...h, seq: h.seq + 100, packages: [huge(w.pkg.signed.manifest.id)] }, false), from);
    assert.equal(dropped('chunk-count-mismatch'), 1);
    assert.equal(dropped('bad-signature'), 0);
    // A package nobody wants, with a made-up count and a good signature: taken, but that entry is never sized or read.
    const buffersBefore = process.memoryUsage().arrayBuffers;
    const accepted = a.swarm.counters.get('swarm_have_accepted_total');
    a.swarm.receiveHave(signed({ ...h, seq: h.seq + 200, packages: [huge('not-a-wanted-package'), ...h.packages] }), from);
    assert.equal(a.swarm.counters.get('swarm_have_accepted_total'), accepted + 1);
    assert.ok(process.memoryUsage().arrayBuffers - buffersBefore < 64 * 1048576, 'no bitmap of 2^32 bits was allocated');
    await closeAll(w);
  });

  it('a renewed certificate signs the have messages from then on', async () => {
    const w = world(13);
    const a = await w.start({ agentId: 'agent-1', siteId: 'site', address: '10.1.0.11' });
    const certs: string[] = [];
    w.lan.tap((p) => {
      const d = decodeChunkHave(p.bytes);
      if (d.ok) certs.push(Buffer.from(d.packet.certificate).toString('hex'));
    });
    await w.runUntil(() => certs.length >= 1, 5000);
    const renewed = issueAgentCertificate({ agentId: 'agent-1', siteId: 'site', publicKey: rawPublicKey(privateKeyFromSeed(seedOf('agent-1'))), notAfterMs: WALL_START_MS + 2 * 86_400_000 }, w.serverKey.privateKeyPem);
    a.swarm.setCertificate(renewed);
    const seen = certs.length;
    await w.runUntil(() => certs.length >= seen + 1, 5000);
    assert.notEqual(certs[0], Buffer.from(renewed).toString('hex'));
    assert.equal(certs.at(-1), Buffer.from(renewed).toString('hex'));
    await closeAll(w);
  });
});
