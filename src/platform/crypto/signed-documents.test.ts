// Goal: an agent accepts only documents the server signed, of a supported version, not older than
// the one it holds. Method: sign a policy with a fresh key and probe every refusal reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PackageManifest } from '../../contract/manifest.js';
import { policyWan, type AgentPolicy } from '../../contract/policy.js';
import { generateSigningKey, signCanonical } from './document-signature.js';
import { decidePolicyUpdate, policyEtag, signManifest, signPolicy, verifyPolicy } from './signed-documents.js';

const key = generateSigningKey();
const manifest: PackageManifest = {
  schemaVersion: 1, id: 'p1', name: 'ipxe', version: 1, createdAt: '2026-01-01T00:00:00.000Z', chunkSizeBytes: 1048576,
  files: [{ path: 'ipxe.efi', sizeBytes: 3, sha256: 'a'.repeat(64), chunks: ['b'.repeat(64)] }],
};
const policy: AgentPolicy = {
  schemaVersion: 1, serial: 7, issuedAt: '2026-01-01T00:00:00.000Z',
  site: { id: 's1', name: 'HQ', subnets: ['10.0.0.0/24'] }, role: 'responder', roleReason: 'targeted',
  settings: { enabled: true, unknownComputers: { enabled: true, profileId: 'pr1' }, toolkitProfileId: null },
  profiles: [{ id: 'pr1', name: 'ipxe', kind: 'ipxe', files: { bios: 'undionly.kpxe', uefiX64: 'ipxe.efi', arm64: null }, kernel: null, initrd: [], cmdline: '', ipxeScript: null, extraFiles: [], packageId: 'p1' }],
  machines: [{ id: 'm1', name: null, mac: '52:54:00:00:00:01', smbiosUuid: null, profileId: 'pr1', deploymentId: 'd1', intent: 'required' }],
  packages: [signManifest(manifest, key)],
};

test('a signed policy verifies; its etag ignores serial and issue time', () => {
  const doc = signPolicy(policy, key);
  const v = verifyPolicy(JSON.parse(JSON.stringify(doc)), key.publicKey);
  assert.ok(v.ok);
  assert.equal(v.etag, policyEtag({ ...policy, serial: 99, issuedAt: '2030-01-01T00:00:00.000Z' }));
  assert.notEqual(v.etag, policyEtag({ ...policy, role: 'idle' }));
});

test('refusals: malformed, other key, forged content, forged manifest, future version', () => {
  const doc = signPolicy(policy, key);
  assert.equal((verifyPolicy({ nope: 1 }, key.publicKey) as { reason: string }).reason, 'malformed');
  assert.equal((verifyPolicy(null, key.publicKey) as { reason: string }).reason, 'malformed');
  assert.equal((verifyPolicy(doc, generateSigningKey().publicKey) as { reason: string }).reason, 'unknownKey');
  assert.equal((verifyPolicy(doc, 'not-a-key') as { reason: string }).reason, 'badPublicKey');
  const forged = structuredClone(doc);
  forged.policy.role = 'idle';
  assert.equal((verifyPolicy(forged, key.publicKey) as { reason: string }).reason, 'badSignature');
  // A policy signed by the server whose embedded manifest signature is bad is still refused.
  const badManifest = structuredClone(policy);
  badManifest.packages[0]!.manifest.files[0]!.sha256 = 'c'.repeat(64);
  assert.equal((verifyPolicy(signPolicy(badManifest, key), key.publicKey) as { reason: string }).reason, 'manifestBadSignature');
  const future = { policy: { ...policy, schemaVersion: 2 }, signature: signCanonical({ ...policy, schemaVersion: 2 }, key) };
  assert.equal((verifyPolicy(future, key.publicKey) as { reason: string }).reason, 'unsupportedVersion');
});

test('updates: accept newer, report unchanged content, refuse an older serial (replay)', () => {
  const v7 = signPolicy(policy, key);
  const v8same = signPolicy({ ...policy, serial: 8 }, key);
  const v9 = signPolicy({ ...policy, serial: 9, machines: [] }, key);
  assert.equal(decidePolicyUpdate(null, v7, key.publicKey).kind, 'accept');
  assert.equal(decidePolicyUpdate(policy, v8same, key.publicKey).kind, 'unchanged');
  assert.equal(decidePolicyUpdate(policy, v9, key.publicKey).kind, 'accept');
  const replay = decidePolicyUpdate(v9.policy, v7, key.publicKey);
  assert.deepEqual([replay.kind, (replay as { reason: string }).reason], ['reject', 'olderSerial']);
});

// Goal: site.wan is optional on the wire (a policy cached by an older version still verifies and
// reads as the default), and a malformed wan is refused. Method: sign both shapes with the test key.
test('site.wan: absent means the default; a bad cap is malformed', () => {
  const old = verifyPolicy(JSON.parse(JSON.stringify(signPolicy(policy, key))), key.publicKey);
  assert.ok(old.ok);
  assert.deepEqual(policyWan(old.policy), { capBytesPerSecond: null, adaptive: true });
  const capped = { ...policy, site: { ...policy.site, wan: { capBytesPerSecond: 1_250_000, adaptive: false } } };
  const v = verifyPolicy(JSON.parse(JSON.stringify(signPolicy(capped, key))), key.publicKey);
  assert.ok(v.ok);
  assert.deepEqual(policyWan(v.policy), { capBytesPerSecond: 1_250_000, adaptive: false });
  const tooSmall = { ...policy, site: { ...policy.site, wan: { capBytesPerSecond: 100, adaptive: true } } };
  assert.equal((verifyPolicy(signPolicy(tooSmall, key), key.publicKey) as { reason: string }).reason, 'malformed');
});
