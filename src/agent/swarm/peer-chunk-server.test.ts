// Goal: the chunk server serves a chunk only to an enrolled agent of our site, only if the chunk is
// in a signed manifest we hold and still verifies; every refusal is a distinct status the client
// classifies; replays, strangers, foreign sites and oversized answers are refused; the optional
// LAN cap paces uploads. Method: a real HTTP server on 127.0.0.1:0 and the real client, with
// certificates issued by a test server key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { generateSigningKey } from '../../platform/crypto/document-signature.js';
import { privateKeyFromSeed, rawPublicKey } from '../../platform/crypto/ed25519-keys.js';
import { issueAgentCertificate } from '../peers/peer-crypto.js';
import { memoryChunkStore } from '../../testkit/memory-chunk-store.js';
import { sha256Hex, type ChunkRead } from '../content/chunk-store.js';
import { ChunkRequestSigner, ChunkRequestVerifier, type PeerIdentity } from './peer-auth.js';
import { createPeerChunkClient } from './peer-chunk-client.js';
import { startPeerChunkServer, type PeerChunkServer } from './peer-chunk-server.js';
import { Counters } from '../../platform/counters.js';

const serverKey = generateSigningKey();
const foreignKey = generateSigningKey();
const identityOf = (agentId: string, siteId: string, key = serverKey): PeerIdentity => {
  const privateKey = privateKeyFromSeed(new Uint8Array(32).fill(agentId.length + siteId.length + (key === serverKey ? 0 : 7)));
  return { agentId, siteId, privateKey, certificate: issueAgentCertificate({ agentId, siteId, publicKey: rawPublicKey(privateKey), notAfterMs: Date.now() + 3_600_000 }, key.privateKeyPem) };
};

const held = new Uint8Array(200_000).map((_, i) => (i * 13) & 0xff);
const heldSha = sha256Hex(held);
const notHeld = Uint8Array.of(1, 2, 3);
const notHeldSha = sha256Hex(notHeld);
const stranger = Uint8Array.of(9, 9);
const strangerSha = sha256Hex(stranger);

describe('peer chunk server + client (loopback)', () => {
  const store = memoryChunkStore();
  const counters = new Counters();
  const corrupted: string[] = [];
  let server: PeerChunkServer;
  const peer = () => ({ address: '127.0.0.1', port: server.port });

  before(async () => {
    await store.put(heldSha, held);
    server = await startPeerChunkServer({
      host: '127.0.0.1', port: 0,
      verifier: new ChunkRequestVerifier({ serverPublicKey: serverKey.publicKey, siteId: 'site-1' }),
      isInManifest: (sha) => sha === heldSha || sha === notHeldSha,
      read: (sha) => store.read(sha),
      onCorrupt: (sha) => corrupted.push(sha),
      counters,
    });
  });
  after(() => server.close());

  it('serves a held chunk of a signed manifest to an enrolled agent of the site', async () => {
    const client = createPeerChunkClient({ signer: new ChunkRequestSigner(identityOf('agent-2', 'site-1')) });
    const r = await client.fetchChunk(peer(), heldSha, held.byteLength);
    assert.equal(r.outcome, 'ok');
    assert.equal(r.outcome === 'ok' && sha256Hex(r.bytes), heldSha);
    client.close();
  });

  it('refuses a chunk that is in no signed manifest (403), and says "not found" for one not held', async () => {
    const client = createPeerChunkClient({ signer: new ChunkRequestSigner(identityOf('agent-2', 'site-1')) });
    assert.deepEqual(await client.fetchChunk(peer(), strangerSha, 2), { outcome: 'notFound', detail: 'HTTP 403' });
    assert.deepEqual(await client.fetchChunk(peer(), notHeldSha, 3), { outcome: 'notFound', detail: 'HTTP 404' });
    assert.equal(counters.get('swarm_serve_refused_total', { reason: 'not-in-manifest' }), 1);
    client.close();
  });

  it('refuses strangers: no signature, a certificate from another server, another site', async () => {
    const plain = await new Promise<number>((resolve) => {
      request({ host: '127.0.0.1', port: server.port, path: `/peerboot/v1/chunks/${heldSha}` }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).end();
    });
    assert.equal(plain, 401);
    for (const [identity, reason] of [[identityOf('agent-9', 'site-1', foreignKey), 'foreign-certificate'], [identityOf('agent-3', 'site-2'), 'foreign-site']] as const) {
      const client = createPeerChunkClient({ signer: new ChunkRequestSigner(identity) });
      assert.deepEqual(await client.fetchChunk(peer(), heldSha, held.byteLength), { outcome: 'failed', detail: 'HTTP 401' });
      assert.equal(counters.get('swarm_serve_auth_refused_total', { reason }), 1, reason);
      client.close();
    }
  });

  it('refuses a replayed request and a request from a skewed clock', async () => {
    const signer = new ChunkRequestSigner(identityOf('agent-2', 'site-1'));
    const path = `/peerboot/v1/chunks/${heldSha}`;
    const headers = signer.headers('GET', path);
    const get = (h: Record<string, string>) => new Promise<number>((resolve) => {
      request({ host: '127.0.0.1', port: server.port, path, headers: h }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).end();
    });
    assert.equal(await get(headers), 200);
    assert.equal(await get(headers), 401);
    assert.equal(counters.get('swarm_serve_auth_refused_total', { reason: 'replayed' }), 1);
    const skewed = new ChunkRequestSigner(identityOf('agent-2', 'site-1'), () => Date.now() - 5 * 60_000);
    assert.equal(await get(skewed.headers('GET', path)), 401);
    assert.equal(counters.get('swarm_serve_auth_refused_total', { reason: 'stale-timestamp' }), 1);
    // The signature covers the path: headers for one chunk do not open another.
    const other = signer.headers('GET', `/peerboot/v1/chunks/${notHeldSha}`);
    assert.equal(await get(other), 401);
    assert.equal(counters.get('swarm_serve_auth_refused_total', { reason: 'bad-signature' }), 1);
  });

  it('a held chunk that rotted is not served; the swarm is told to fetch it again', async () => {
    const rotten = new Uint8Array(1000).fill(3);
    const rottenSha = sha256Hex(rotten);
    const s = memoryChunkStore();
    await s.put(rottenSha, rotten);
    s.damage(rottenSha);
    const lost: string[] = [];
    const srv = await startPeerChunkServer({
      host: '127.0.0.1', port: 0, verifier: new ChunkRequestVerifier({ serverPublicKey: serverKey.publicKey, siteId: 'site-1' }),
      isInManifest: () => true, read: (sha) => s.read(sha), onCorrupt: (sha) => lost.push(sha),
    });
    const client = createPeerChunkClient({ signer: new ChunkRequestSigner(identityOf('agent-2', 'site-1')) });
    assert.equal((await client.fetchChunk({ address: '127.0.0.1', port: srv.port }, rottenSha, 1000)).outcome, 'notFound');
    assert.deepEqual(lost, [rottenSha]);
    client.close();
    await srv.close();
  });

  it('answers busy beyond its upload slots; the client sees a wrong-size answer as bad bytes', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => { release = r; });
    const srv = await startPeerChunkServer({
      host: '127.0.0.1', port: 0, uploadsMax: 1, verifier: new ChunkRequestVerifier({ serverPublicKey: serverKey.publicKey, siteId: 'site-1' }),
      isInManifest: () => true,
      read: async (): Promise<ChunkRead> => { await gate; return { kind: 'ok', bytes: new Uint8Array(10) }; },
    });
    const client = createPeerChunkClient({ signer: new ChunkRequestSigner(identityOf('agent-2', 'site-1')) });
    const p = { address: '127.0.0.1', port: srv.port };
    const first = client.fetchChunk(p, heldSha, 12);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await client.fetchChunk(p, notHeldSha, 10), { outcome: 'busy', detail: 'HTTP 503' });
    release();
    assert.deepEqual(await first, { outcome: 'badBytes', detail: 'content-length 10, the manifest says 12' });
    client.close();
    await srv.close();
  });

  it('an upload cap paces LAN uploads (unthrottled when unset)', async () => {
    const big = new Uint8Array(768 * 1024).fill(7);
    const bigSha = sha256Hex(big);
    const s = memoryChunkStore();
    await s.put(bigSha, big);
    const srv = await startPeerChunkServer({
      host: '127.0.0.1', port: 0, lanCapBytesPerSecond: 1024 * 1024,
      verifier: new ChunkRequestVerifier({ serverPublicKey: serverKey.publicKey, siteId: 'site-1' }),
      isInManifest: () => true, read: (sha) => s.read(sha),
    });
    const client = createPeerChunkClient({ signer: new ChunkRequestSigner(identityOf('agent-2', 'site-1')) });
    const t0 = performance.now();
    const r = await client.fetchChunk({ address: '127.0.0.1', port: srv.port }, bigSha, big.byteLength);
    const ms = performance.now() - t0;
    assert.equal(r.outcome, 'ok');
    // 768 KiB at 1 MiB/s with a 256 KiB burst cannot take less than 500 ms.
    assert.ok(ms >= 480, `${ms.toFixed(0)} ms`);
    client.close();
    await srv.close();
  });
});
