// Goal: only manifests signed by our server and coherent in structure become chunk lists; every
// refusal carries a reason the agent can report. Method: sign fixtures with one key, then tamper
// (content, signature, key, structure) and check the verdicts; check eviction plans on tables.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateSigningKey } from '../../platform/crypto/document-signature.js';
import { signManifest as resign } from '../../platform/crypto/signed-documents.js';
import { buildFixturePackage, fixtureBytes } from './manifest-fixture.js';
import { checkSignedManifest } from './package-chunks.js';
import { planEviction } from './eviction.js';

const key = generateSigningKey();
const other = generateSigningKey();
const pkg = () => buildFixturePackage({
  id: 'winpe-7', key, chunkSizeBytes: 1000,
  files: [{ path: 'boot.wim', bytes: fixtureBytes(2500, 1) }, { path: 'BCD', bytes: fixtureBytes(10, 2) }, { path: 'empty', bytes: new Uint8Array(0) }],
});

describe('checkSignedManifest', () => {
  it('accepts a signed manifest and numbers its chunks across files', () => {
    const r = checkSignedManifest(pkg().signed, key.publicKey);
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.deepEqual(r.pkg.chunks.map((c) => c.sizeBytes), [1000, 1000, 500, 10]);
    assert.equal(r.pkg.totalBytes, 2510);
    assert.equal(r.pkg.chunks[3]!.sha256, r.pkg.manifest.files[1]!.chunks[0]);
  });

  it('rejects a manifest changed after signing', () => {
    const doc = pkg().signed;
    doc.manifest.files[0]!.chunks[1] = 'f'.repeat(64);
    assert.deepEqual(checkSignedManifest(doc, key.publicKey), { ok: false, packageId: 'winpe-7', reason: 'badSignature', detail: 'manifest signature refused (badSignature)' });
  });

  it('rejects a manifest signed by another key, and a garbled signature', () => {
    const foreign = buildFixturePackage({ id: 'x', key: other, files: [{ path: 'a', bytes: fixtureBytes(10, 3) }] }).signed;
    const r = checkSignedManifest(foreign, key.publicKey);
    assert.equal(r.ok === false && r.reason, 'unknownKey');
    const doc = pkg().signed;
    doc.signature = { ...doc.signature, value: 'AAAA' };
    assert.equal((checkSignedManifest(doc, key.publicKey) as { reason: string }).reason, 'badSignature');
    doc.signature = { ...doc.signature, alg: 'RSA' as never };
    assert.equal((checkSignedManifest(doc, key.publicKey) as { reason: string }).reason, 'badAlgorithm');
  });

  it('rejects a signed but incoherent manifest (chunk count, names, chunk size)', () => {
    const bad = buildFixturePackage({ id: 'x', key, chunkSizeBytes: 1000, files: [{ path: 'a', bytes: fixtureBytes(2500, 3) }] });
    const m = structuredClone(bad.signed.manifest);
    m.files[0]!.chunks.pop();
    const signManifest = (mm: typeof m) => resign(mm, key);
    let r = checkSignedManifest(signManifest(m), key.publicKey);
    assert.equal(r.ok === false && r.reason, 'malformed');
    assert.match((r as { detail: string }).detail, /2 chunks listed, 3 expected/);
    const m2 = structuredClone(bad.signed.manifest);
    m2.files[0]!.chunks[0] = '../etc/passwd';
    r = checkSignedManifest(signManifest(m2), key.publicKey);
    assert.match((r as { detail: string }).detail, /not a SHA-256 name/);
    const m3 = structuredClone(bad.signed.manifest);
    m3.chunkSizeBytes = 2 * 1024 * 1024;
    r = checkSignedManifest(signManifest(m3), key.publicKey);
    assert.match((r as { detail: string }).detail, /chunkSizeBytes/);
  });

  it('never throws on garbage', () => {
    const r = checkSignedManifest({} as never, key.publicKey);
    assert.equal(r.ok, false);
  });
});

describe('planEviction', () => {
  const stored = [{ sha256: 'a', sizeBytes: 10 }, { sha256: 'b', sizeBytes: 20 }, { sha256: 'c', sizeBytes: 30 }];
  it('keeps old versions while an update is in progress', () => {
    const plan = planEviction({ stored, referenced: new Set(['a']), allWantedReady: false });
    assert.deepEqual(plan, { evict: [], evictBytes: 0, reason: 'update-in-progress', keptBytes: 60 });
  });
  it('drops every unreferenced chunk once the wanted packages are ready', () => {
    const plan = planEviction({ stored, referenced: new Set(['a']), allWantedReady: true });
    assert.deepEqual(plan, { evict: ['b', 'c'], evictBytes: 50, reason: 'old-versions', keptBytes: 10 });
  });
  it('over budget, drops unreferenced chunks only until under it, never referenced ones', () => {
    assert.deepEqual(planEviction({ stored, referenced: new Set(['c']), allWantedReady: false, maxCacheBytes: 50 }).evict, ['a']);
    assert.deepEqual(planEviction({ stored, referenced: new Set(['c']), allWantedReady: false, maxCacheBytes: 45 }).evict, ['a', 'b']);
    assert.deepEqual(planEviction({ stored, referenced: new Set(['a', 'b', 'c']), allWantedReady: false, maxCacheBytes: 1 }).evict, []);
  });
});
