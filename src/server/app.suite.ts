/**
 * The HTTP API contract, run through app.inject() against each database engine: authentication's
 * negative space, validation errors that name the field, transactional writes, enrollment, the
 * signed policy an agent receives after Enable, package import, events and coverage.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, test } from 'node:test';
import { api, type RouteDef } from '../contract/api.js';
import { chunkSizeBytes } from '../contract/manifest.js';
import type { SignedPolicy } from '../contract/policy.js';
import { decidePolicyUpdate, verifyManifest, verifyPolicy } from '../platform/crypto/signed-documents.js';
import type { DatabaseFixture } from '../testkit/test-databases.js';
import { startTestApp, type TestApp } from '../testkit/test-app.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function appSuite(fx: DatabaseFixture): void {
  let t: TestApp;
  beforeEach(async () => { t = await startTestApp(await fx.openStore()); });
  afterEach(async () => { await t.close(); });

  async function enroll(hostname = 'pc-17', address = '10.1.0.17/24', labels: Record<string, string> = {}) {
    const tok = await t.call('POST', '/api/v1/enrollment-tokens', { name: 'lab' });
    assert.equal(tok.status, 201, tok.body);
    const res = await t.call('POST', '/api/v1/agent/enroll', {
      token: tok.json.token, hostname, version: '0.1.0', labels,
      interfaces: [{ name: 'eth0', mac: '52:54:00:00:00:17', addresses: [address] }],
    }, null);
    assert.equal(res.status, 201, res.body);
    return res.json as { agentId: string; agentToken: string; policyPublicKey: string; siteId: string | null };
  }

  async function upload(bytes: Uint8Array): Promise<string[]> {
    const chunks: string[] = [];
    for (let off = 0; off < bytes.length || (off === 0 && bytes.length === 0 && false); off += chunkSizeBytes) {
      const part = bytes.subarray(off, off + chunkSizeBytes);
      const h = sha(part);
      const r = await t.call('PUT', `/api/v1/chunks/${h}`, Buffer.from(part));
      assert.equal(r.status, 200, r.body);
      chunks.push(h);
    }
    return chunks;
  }

  async function fileEntry(path: string, bytes: Uint8Array) {
    return { path, sizeBytes: bytes.length, sha256: sha(bytes), chunks: await upload(bytes) };
  }

  // ---- authentication ------------------------------------------------------------------------

  // Goal: nothing but /healthz (and the credential exchanges) answers without a credential.
  // Method: call every route of the contract table without a token; expect 401 with a stable code.
  test('every route but /healthz, login and enroll refuses an anonymous caller', async () => {
    const health = await t.call('GET', '/healthz', undefined, null);
    assert.equal(health.status, 200);
    assert.equal(health.json.status, 'ok');
    for (const [op, route] of Object.entries(api) as Array<[string, RouteDef]>) {
      if (route.auth === 'none' || route.auth === 'enrollment') continue;
      const url = route.path.replace(':sha256', 'a'.repeat(64)).replace(/:[a-z]+/gi, 'x1');
      const res = await t.call(route.method, url, route.body && route.bodyKind !== 'binary' ? {} : undefined, null);
      assert.equal(res.status, 401, `${op} ${route.method} ${url} answered ${res.status}`);
      assert.equal(res.json.code, 'SERVER_ERR_UNAUTHENTICATED', op);
    }
    assert.ok(t.logger.lines.some((l) => l.msg === 'request refused' && l.reason === 'missingToken'), 'refusals are logged');
  });

  test('an expired session is refused with TOKEN_EXPIRED and logged; a wrong secret with 401', async () => {
    assert.equal((await t.call('GET', '/api/v1/auth/me')).status, 200);
    const [kind, id] = t.adminToken.split('.');
    const forged = `${kind}.${id}.${'A'.repeat(43)}`;
    const bad = await t.call('GET', '/api/v1/auth/me', undefined, forged);
    assert.equal(bad.status, 401);
    assert.ok(t.logger.lines.some((l) => l.msg === 'request refused' && l.reason === 'badSecret'));
    // A wrong secret and an unknown id answer alike (security review L2: the reason told which ids exist).
    const unknownId = await t.call('GET', '/api/v1/auth/me', undefined, `${kind}.nosuchid.${'A'.repeat(43)}`);
    assert.equal(unknownId.status, 401);
    assert.equal(unknownId.json.message, bad.json.message);
    assert.doesNotMatch(bad.json.message, /badSecret|unknownToken/);
    t.clock.nowMs += 13 * 3600 * 1000; // sessions last 12 h
    const res = await t.call('GET', '/api/v1/auth/me');
    assert.equal(res.status, 401);
    assert.equal(res.json.code, 'SERVER_ERR_TOKEN_EXPIRED');
    assert.ok(t.logger.lines.some((l) => l.msg === 'request refused' && l.reason === 'expired'));
    assert.equal((await t.call('GET', '/api/v1/auth/me', undefined, 'garbage')).status, 401);
  });

  test('login: wrong password refused; API tokens work until revoked', async () => {
    const wrong = await t.call('POST', '/api/v1/auth/login', { username: 'admin', password: 'not-the-password' }, null);
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.code, 'SERVER_ERR_BAD_CREDENTIALS');
    const created = await t.call('POST', '/api/v1/tokens', { name: 'ci', expiresInDays: 1 });
    assert.equal(created.status, 201);
    assert.match(created.json.token, /^pbt\./);
    assert.equal((await t.call('GET', '/api/v1/sites', undefined, created.json.token)).status, 200);
    const listed = await t.call('GET', '/api/v1/tokens');
    assert.equal(listed.json.length, 1);
    assert.equal(listed.json[0].token, undefined, 'the secret is never listed');
    assert.notEqual(listed.json[0].lastUsedAt, null);
    assert.equal((await t.call('DELETE', `/api/v1/tokens/${created.json.id}`)).status, 200);
    assert.equal((await t.call('GET', '/api/v1/sites', undefined, created.json.token)).status, 401);
  });

  test('repeated wrong passwords are slowed down (429), a later success resets', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await t.call('POST', '/api/v1/auth/login', { username: 'admin', password: `wrong-${i}` }, null)).status, 401);
    const limited = await t.call('POST', '/api/v1/auth/login', { username: 'admin', password: t.adminPassword }, null);
    assert.equal(limited.status, 429);
    assert.equal(limited.json.code, 'SERVER_ERR_RATE_LIMITED');
    assert.match(limited.json.message, /^too many failed logins from 127\.0\.0\.1; retry in 1 s$/);
    // Counted per source, not per account: the guesser cannot lock the admin out (security review M1).
    assert.equal((await t.call('POST', '/api/v1/auth/login', { username: 'admin', password: t.adminPassword }, null, '10.20.30.40')).status, 200);
    t.clock.nowMs += 1500;
    assert.equal((await t.call('POST', '/api/v1/auth/login', { username: 'admin', password: t.adminPassword }, null)).status, 200);
    assert.equal((await t.call('POST', '/api/v1/auth/login', { username: 'admin', password: 'wrong-again' }, null)).status, 401, 'count restarted');
  });

  test('agent and admin credentials cannot cross over (403)', async () => {
    const a = await enroll();
    const asAdmin = await t.call('GET', '/api/v1/sites', undefined, a.agentToken);
    assert.equal(asAdmin.status, 403);
    assert.equal(asAdmin.json.code, 'SERVER_ERR_FORBIDDEN');
    const asAgent = await t.call('GET', '/api/v1/agent/policy');
    assert.equal(asAgent.status, 403);
  });

  test('enrollment tokens: bad, expired and used-up tokens are refused and logged', async () => {
    const body = (token: string) => ({ token, hostname: 'x', version: '1', interfaces: [] });
    assert.equal((await t.call('POST', '/api/v1/agent/enroll', body('pbe.nope.' + 'a'.repeat(43)), null)).status, 401);
    const once = await t.call('POST', '/api/v1/enrollment-tokens', { name: 'one', usesMax: 1, expiresInHours: 1 });
    assert.equal((await t.call('POST', '/api/v1/agent/enroll', body(once.json.token), null)).status, 201);
    const again = await t.call('POST', '/api/v1/agent/enroll', body(once.json.token), null);
    assert.equal(again.status, 401);
    assert.match(again.json.message, /usedUp/, 'the holder of the real secret learns why');
    // An unknown id and a wrong secret answer alike, so token ids cannot be probed (security review L2).
    const [, id] = once.json.token.split('.');
    const unknown = await t.call('POST', '/api/v1/agent/enroll', body('pbe.nope.' + 'a'.repeat(43)), null);
    const wrongSecret = await t.call('POST', '/api/v1/agent/enroll', body(`pbe.${id}.${'b'.repeat(43)}`), null);
    assert.equal(unknown.json.message, wrongSecret.json.message);
    assert.match(unknown.json.message, /^enrollment token refused \(not a valid enrollment token\)/);
    assert.ok(t.logger.lines.some((l) => l.msg === 'enrollment refused' && l.reason === 'badSecret'), 'the log keeps the reason');
    const later = await t.call('POST', '/api/v1/enrollment-tokens', { name: 'later', expiresInHours: 1 });
    t.clock.nowMs += 2 * 3600 * 1000;
    const expired = await t.call('POST', '/api/v1/agent/enroll', body(later.json.token), null);
    assert.equal(expired.status, 401);
    assert.equal(expired.json.code, 'SERVER_ERR_TOKEN_EXPIRED');
    assert.equal(expired.json.field, 'body.token');
    assert.ok(t.logger.lines.some((l) => l.msg === 'enrollment refused' && l.reason === 'expired'));
  });

  test('a deleted agent loses its credential', async () => {
    const a = await enroll();
    assert.equal((await t.call('GET', '/api/v1/agent/policy', undefined, a.agentToken)).status, 200);
    assert.equal((await t.call('DELETE', `/api/v1/agents/${a.agentId}`)).status, 200);
    assert.equal((await t.call('GET', '/api/v1/agent/policy', undefined, a.agentToken)).status, 401);
  });

  // ---- validation ----------------------------------------------------------------------------

  test('validation errors are 400 and name the field', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/api/v1/sites', { name: 5, subnets: [] }, 'body.name'],
      ['POST', '/api/v1/sites', { subnets: [] }, 'body.name'],
      ['POST', '/api/v1/sites', { name: 'x', subnets: ['10.0.0.0/24', '300.1.1.0/24'] }, 'body.subnets[1]'],
      ['POST', '/api/v1/sites', { name: 'x', subnets: [], colour: 'red' }, 'body.colour'],
      ['POST', '/api/v1/machines', { mac: 'zz:00:00:00:00:00' }, 'body.mac'],
      ['POST', '/api/v1/machines', { name: 'no identity' }, 'body.mac'],
      ['POST', '/api/v1/collections', { name: 'c', memberKind: 'agent', rules: [{ kind: 'subnet' }] }, 'body.rules[0].cidr'],
      ['GET', '/api/v1/events?limit=abc', undefined, 'query.limit'],
      // An offset beyond any table was a 500 (it reached SQL as 1e+23; security review L2).
      ['GET', '/api/v1/agents?offset=99999999999999999999999', undefined, 'query.offset'],
      ['PUT', '/api/v1/pxe-settings', { enabled: true, targetCollectionIds: [], unknownComputers: { enabled: true, profileId: null } }, 'body.unknownComputers.profileId'],
      ['PUT', '/api/v1/pxe-settings', { enabled: true, targetCollectionIds: ['missing'], unknownComputers: { enabled: false, profileId: null } }, 'body.targetCollectionIds[0]'],
      ['PUT', '/api/v1/pxe-settings', { enabled: true, targetCollectionIds: [], unknownComputers: { enabled: false, profileId: null }, toolkitProfileId: 'missing' }, 'body.toolkitProfileId'],
      ['POST', '/api/v1/sites', { name: 'x', subnets: ['10.0.0.0/24', '10.0.0.7/24'] }, 'body.subnets[1]'],
      ['POST', '/api/v1/deployments', { name: 'd', profileId: 'missing', collectionId: 'missing', intent: 'required' }, 'body.profileId'],
      ['POST', '/api/v1/collections', { name: 'm', memberKind: 'machine', members: ['missing'] }, 'body.members[0]'],
    ];
    for (const [method, url, body, field] of cases) {
      const res = await t.call(method as 'POST', url, body);
      assert.equal(res.status, 400, `${method} ${url} ${JSON.stringify(body)} → ${res.status} ${res.body}`);
      assert.equal(res.json.code, 'SERVER_ERR_VALIDATION');
      assert.equal(res.json.field, field, res.body);
      // One form: the message names the field exactly as `field` does, never as a path with slashes.
      assert.ok(res.json.message.startsWith(`${field} `), `message names the field as ${field}: ${res.json.message}`);
      assert.doesNotMatch(res.json.message, /\b(body|query|params)\//, res.json.message);
    }
    const notJson = await t.app.inject({ method: 'POST', url: '/api/v1/sites', headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' }, payload: '{"name":' });
    assert.equal(notJson.statusCode, 400);
  });

  // Goal: a write touching several rows is all or nothing. Method: create a site whose second
  // subnet belongs to another site; expect 409 naming subnets[1], and no trace of the new site.
  test('a conflicting multi-row write is refused whole (409 naming the field)', async () => {
    assert.equal((await t.call('POST', '/api/v1/sites', { name: 'HQ', subnets: ['10.0.0.0/24'] })).status, 201);
    const rev = (await t.call('GET', '/api/v1/pxe-settings')).json.revision;
    const res = await t.call('POST', '/api/v1/sites', { name: 'Branch', subnets: ['10.9.0.0/24', '10.0.0.5/24'] });
    assert.equal(res.status, 409);
    assert.equal(res.json.field, 'body.subnets[1]');
    const sites = (await t.call('GET', '/api/v1/sites')).json as Array<{ name: string; subnets: string[] }>;
    assert.deepEqual(sites.map((s) => s.name), ['HQ']);
    assert.equal((await t.call('GET', '/api/v1/pxe-settings')).json.revision, rev, 'no revision was spent');
    const dup = await t.call('POST', '/api/v1/sites', { name: 'HQ', subnets: [] });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.field, 'body.name');
  });

  // ---- enrollment, status, policy ------------------------------------------------------------

  test('enroll → site from the subnet → signed idle policy; ETag polling answers 304', async () => {
    const a = await enroll();
    assert.ok(a.siteId, 'a site was created from 10.1.0.0/24');
    const site = (await t.call('GET', `/api/v1/sites/${a.siteId}`)).json;
    assert.deepEqual(site.subnets, ['10.1.0.0/24']);
    assert.equal(site.isAutoCreated, true);
    const res = await t.call('GET', '/api/v1/agent/policy', undefined, a.agentToken);
    assert.equal(res.status, 200);
    const v = verifyPolicy(res.json, a.policyPublicKey);
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.policy.role, 'idle');
    assert.equal(v.policy.roleReason, 'disabled');
    assert.equal(res.headers.etag, `"${v.etag}"`);
    const again = await t.app.inject({ method: 'GET', url: '/api/v1/agent/policy', headers: { authorization: `Bearer ${a.agentToken}`, 'if-none-match': `"${v.etag}"` } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
  });

  // Goal: a site's WAN settings are validated naming the field, and a change reaches the site's
  // agents: their next policy carries the new wan with a higher serial (the hub re-publishes it).
  // Method: enroll an agent (auto-created site → default wan), patch bad and good values, fetch.
  test('site WAN settings: bad values refused naming the field; the agent\'s next policy carries the change', async () => {
    const a = await enroll();
    const site = (await t.call('GET', `/api/v1/sites/${a.siteId}`)).json;
    assert.deepEqual(site.wan, { capBytesPerSecond: null, adaptive: true }, 'auto-created sites get the default');
    const before = verifyPolicy((await t.call('GET', '/api/v1/agent/policy', undefined, a.agentToken)).json, a.policyPublicKey);
    assert.ok(before.ok);
    assert.deepEqual(before.policy.site.wan, { capBytesPerSecond: null, adaptive: true });

    for (const bad of [{ capBytesPerSecond: 100 }, { capBytesPerSecond: 1.5e6 + 0.5 }, { capBytesPerSecond: '1000000' }]) {
      const res = await t.call('PATCH', `/api/v1/sites/${a.siteId}`, { wan: bad });
      assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${res.body}`);
      assert.equal(res.json.field, 'body.wan.capBytesPerSecond');
      assert.match(res.json.message, /^body\.wan\.capBytesPerSecond must be .*8000/);
    }
    const notBool = await t.call('PATCH', `/api/v1/sites/${a.siteId}`, { wan: { adaptive: 'yes' } });
    assert.deepEqual([notBool.status, notBool.json.field], [400, 'body.wan.adaptive']);
    assert.match(notBool.json.message, /^body\.wan\.adaptive must be a boolean/);
    const typo = await t.call('PATCH', `/api/v1/sites/${a.siteId}`, { wan: { adaptiv: false } });
    assert.equal(typo.status, 400);
    assert.equal(typo.json.field, 'body.wan.adaptiv');
    const badCreate = await t.call('POST', '/api/v1/sites', { name: 'Lyon', subnets: [], wan: { capBytesPerSecond: 7999 } });
    assert.equal(badCreate.status, 400);
    assert.equal(badCreate.json.field, 'body.wan.capBytesPerSecond');
    const created = await t.call('POST', '/api/v1/sites', { name: 'Lyon', subnets: ['10.9.0.0/24'], wan: { adaptive: false } });
    assert.equal(created.status, 201, created.body);
    assert.deepEqual(created.json.wan, { capBytesPerSecond: null, adaptive: false }, 'an omitted field takes the default');

    const patched = await t.call('PATCH', `/api/v1/sites/${a.siteId}`, { wan: { capBytesPerSecond: 2_500_000 } });
    assert.equal(patched.status, 200, patched.body);
    assert.deepEqual(patched.json.wan, { capBytesPerSecond: 2_500_000, adaptive: true }, 'adaptive kept');
    const res = await t.call('GET', '/api/v1/agent/policy', undefined, a.agentToken);
    const d = decidePolicyUpdate(before.policy, res.json, a.policyPublicKey);
    assert.equal(d.kind, 'accept', JSON.stringify(d));
    const p = (d as { policy: SignedPolicy['policy'] }).policy;
    assert.deepEqual(p.site.wan, { capBytesPerSecond: 2_500_000, adaptive: true });
    assert.ok(p.serial > before.policy.serial, `serial ${p.serial} > ${before.policy.serial}`);

    const off = await t.call('PATCH', `/api/v1/sites/${a.siteId}`, { wan: { capBytesPerSecond: null, adaptive: false } });
    assert.deepEqual(off.json.wan, { capBytesPerSecond: null, adaptive: false });
    const last = verifyPolicy((await t.call('GET', '/api/v1/agent/policy', undefined, a.agentToken)).json, a.policyPublicKey);
    assert.ok(last.ok);
    assert.deepEqual(last.policy.site.wan, { capBytesPerSecond: null, adaptive: false });
    assert.ok(last.policy.serial > p.serial);
  });

  // Goal: the seed's admin flow works end to end: toolkit package, unknown-computer profile,
  // target collection, Enable → the agent's policy makes it a responder with the machines,
  // profiles and signed manifests of its site. Method: drive the API, verify the policy.
  test('Enable: targeted agents become responders with machines, profiles and packages', async () => {
    const inside = await enroll('branch-pc-1', '10.1.0.17/24', { ring: 'pilot' });
    const outside = await enroll('other-pc', '10.2.0.5/24');
    const profile = (await t.call('POST', '/api/v1/profiles', { name: 'debian-live', kind: 'linux' })).json;
    assert.deepEqual(profile.files, { bios: 'undionly.kpxe', uefiX64: 'ipxe.efi', arm64: null });
    const files = [
      await fileEntry('undionly.kpxe', new Uint8Array(70_000).fill(1)),
      await fileEntry('ipxe.efi', new Uint8Array(1_100_000).fill(2)),
      await fileEntry('vmlinuz', new Uint8Array(2 * chunkSizeBytes + 5).fill(3)),
    ];
    const incomplete = await t.call('POST', '/api/v1/packages', { name: 'debian-live', profileId: profile.id, files });
    assert.equal(incomplete.status, 422);
    assert.equal(incomplete.json.code, 'SERVER_ERR_PACKAGE_INCOMPLETE');
    assert.match(incomplete.json.message, /initrd\.img/);
    files.push(await fileEntry('initrd.img', new Uint8Array(10).fill(4)));
    const pkg = await t.call('POST', '/api/v1/packages', { name: 'debian-live', profileId: profile.id, files });
    assert.equal(pkg.status, 201, pkg.body);
    assert.equal(pkg.json.manifest.version, 1);
    assert.equal(pkg.json.manifest.files[2].chunks.length, 3);
    assert.ok(verifyManifest(pkg.json, inside.policyPublicKey).ok);
    assert.equal((await t.call('GET', `/api/v1/profiles/${profile.id}`)).json.packageId, pkg.json.manifest.id);

    const responders = (await t.call('POST', '/api/v1/collections', { name: 'Pilot responders', memberKind: 'agent', rules: [{ kind: 'label', key: 'ring', value: 'pilot' }] })).json;
    const machine = (await t.call('POST', '/api/v1/machines', { name: 'new-laptop', mac: '52:54:00:AA:BB:01' })).json;
    const noDeploy = (await t.call('POST', '/api/v1/machines', { smbiosUuid: '4C4C4544-0000-1010-8000-B2C04F000001' })).json;
    const targets = (await t.call('POST', '/api/v1/collections', { name: 'Reimage', memberKind: 'machine', members: [machine.id] })).json;
    const dep = await t.call('POST', '/api/v1/deployments', { name: 'Debian', profileId: profile.id, collectionId: targets.id, intent: 'required' });
    assert.equal(dep.status, 201, dep.body);
    const wrongKind = await t.call('POST', '/api/v1/deployments', { name: 'x', profileId: profile.id, collectionId: responders.id, intent: 'required' });
    assert.equal(wrongKind.status, 400);
    assert.equal(wrongKind.json.field, 'body.collectionId');

    const before = (await t.call('GET', '/api/v1/agent/policy', undefined, inside.agentToken)).json as SignedPolicy;
    const put = await t.call('PUT', '/api/v1/pxe-settings', { enabled: true, targetCollectionIds: [responders.id], unknownComputers: { enabled: true, profileId: profile.id }, toolkitProfileId: profile.id });
    assert.equal(put.status, 200, put.body);

    const res = await t.call('GET', '/api/v1/agent/policy', undefined, inside.agentToken);
    const d = decidePolicyUpdate(before.policy, res.json, inside.policyPublicKey);
    assert.equal(d.kind, 'accept', JSON.stringify(d));
    const p = (d as { policy: SignedPolicy['policy'] }).policy;
    assert.equal(p.role, 'responder');
    assert.ok(p.serial > before.policy.serial);
    assert.deepEqual(p.settings, { enabled: true, unknownComputers: { enabled: true, profileId: profile.id }, toolkitProfileId: profile.id });
    assert.deepEqual(p.site.subnets, ['10.1.0.0/24']);
    const m = p.machines.find((x) => x.id === machine.id)!;
    assert.deepEqual([m.mac, m.profileId, m.intent, m.deploymentId], ['52:54:00:aa:bb:01', profile.id, 'required', dep.json.id]);
    const known = p.machines.find((x) => x.id === noDeploy.id)!;
    assert.equal(known.profileId, null, 'a known machine without deployment gets no profile');
    assert.equal(known.smbiosUuid, '4c4c4544-0000-1010-8000-b2c04f000001');
    assert.deepEqual(p.profiles.map((x) => x.name), ['debian-live']);
    assert.deepEqual(p.packages.map((x) => x.manifest.id), [pkg.json.manifest.id]);

    const other = verifyPolicy((await t.call('GET', '/api/v1/agent/policy', undefined, outside.agentToken)).json, outside.policyPublicKey);
    assert.ok(other.ok);
    assert.equal(other.policy.role, 'idle');
    assert.equal(other.policy.roleReason, 'notTargeted');
    assert.deepEqual(other.policy.machines, []);

    // Tampering: a flipped role or a forged manifest is refused.
    const tampered = structuredClone(res.json) as SignedPolicy;
    tampered.policy.machines = [];
    assert.deepEqual(verifyPolicy(tampered, inside.policyPublicKey), { ok: false, reason: 'badSignature' });
    // Replay: the older document is refused once the newer is held.
    assert.equal(decidePolicyUpdate(p, before, inside.policyPublicKey).kind, 'reject');

    const agentView = (await t.call('GET', `/api/v1/agents/${inside.agentId}`)).json;
    assert.equal(agentView.role, 'responder');
    assert.match(agentView.roleReason, /Pilot responders/);
    assert.equal(agentView.packagesReady, false);

    // Delete guards: a profile or collection in use is refused.
    assert.equal((await t.call('DELETE', `/api/v1/profiles/${profile.id}`)).status, 409);
    assert.equal((await t.call('DELETE', `/api/v1/collections/${responders.id}`)).status, 409);
    const members = await t.call('GET', `/api/v1/collections/${responders.id}/members`);
    assert.deepEqual(members.json, { memberKind: 'agent', ids: [inside.agentId] });
  });

  test('packages: chunk digest is checked; only missing chunks need uploading; a Windows profile names what is missing', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const wrong = await t.call('PUT', `/api/v1/chunks/${'0'.repeat(64)}`, Buffer.from(bytes));
    assert.equal(wrong.status, 422);
    assert.equal(wrong.json.code, 'SERVER_ERR_DIGEST_MISMATCH');
    const h = sha(bytes);
    const first = await t.call('PUT', `/api/v1/chunks/${h}`, Buffer.from(bytes));
    assert.equal(first.json.isNew, true);
    const missing = await t.call('POST', '/api/v1/chunks/missing', { sha256s: [h, 'f'.repeat(64)] });
    assert.deepEqual(missing.json.missing, ['f'.repeat(64)]);
    const notUploaded = await t.call('POST', '/api/v1/packages', { name: 'x', files: [{ path: 'a', sizeBytes: 3, sha256: 'f'.repeat(64), chunks: ['f'.repeat(64)] }] });
    assert.equal(notUploaded.status, 409);
    assert.equal(notUploaded.json.code, 'SERVER_ERR_MISSING_CHUNKS');
    const badDigest = await t.call('POST', '/api/v1/packages', { name: 'x', files: [{ path: 'a', sizeBytes: 3, sha256: 'e'.repeat(64), chunks: [h] }] });
    assert.equal(badDigest.status, 422);
    assert.equal(badDigest.json.field, 'body.files[0].sha256');
    const win = (await t.call('POST', '/api/v1/profiles', { name: 'winpe', kind: 'windows' })).json;
    const lacking = await t.call('POST', '/api/v1/packages', { name: 'winpe', profileId: win.id, files: [{ path: 'pxeboot.n12', sizeBytes: 3, sha256: h, chunks: [h] }] });
    assert.equal(lacking.status, 422);
    assert.match(lacking.json.message, /bootmgfw\.efi, bootmgr\.exe, boot\.sdi, boot\.wim/);
    const v1 = await t.call('POST', '/api/v1/packages', { name: 'tools', files: [{ path: 'a', sizeBytes: 3, sha256: h, chunks: [h] }] });
    const v2 = await t.call('POST', '/api/v1/packages', { name: 'tools', files: [{ path: 'b', sizeBytes: 3, sha256: h, chunks: [h] }] });
    assert.deepEqual([v1.json.manifest.version, v2.json.manifest.version], [1, 2]);
    const list = (await t.call('GET', '/api/v1/packages')).json;
    assert.deepEqual(list.map((p: { name: string; version: number }) => `${p.name}@${p.version}`), ['tools@1', 'tools@2']);
  });

  // ---- ingestion and queries -----------------------------------------------------------------

  test('status and boot events in; timeline and coverage out', async () => {
    const a = await enroll('r1', '10.5.0.2/24', { ring: 'r' });
    const coll = (await t.call('POST', '/api/v1/collections', { name: 'All', memberKind: 'agent', rules: [{ kind: 'subnet', cidr: '10.0.0.0/8' }] })).json;
    await t.call('PUT', '/api/v1/pxe-settings', { enabled: true, targetCollectionIds: [coll.id], unknownComputers: { enabled: false, profileId: null } });
    let cov = (await t.call('GET', '/api/v1/coverage')).json;
    assert.equal(cov.enabled, true);
    assert.deepEqual(cov.sites[0].subnets[0], { cidr: '10.5.0.0/24', agents: 1, agentsOnline: 1, responders: 1, respondersReady: 0, isCovered: false });
    const status = await t.call('POST', '/api/v1/agent/status', {
      hostname: 'r1', version: '0.1.0', interfaces: [{ name: 'eth0', mac: '52:54:00:00:00:17', addresses: ['10.5.0.2/24'] }], labels: { ring: 'r' }, serving: true, packages: [],
    }, a.agentToken);
    assert.equal(status.status, 200, status.body);
    assert.equal(status.json.role, 'responder');
    cov = (await t.call('GET', '/api/v1/coverage')).json;
    assert.equal(cov.sites[0].isCovered, true);
    assert.equal(cov.sites[0].respondersReady, 1);
    t.clock.nowMs += 10 * 60_000;
    cov = (await t.call('GET', '/api/v1/coverage')).json;
    assert.equal(cov.sites[0].isCovered, false, 'a silent agent stops counting');

    const at = new Date(t.clock.nowMs).toISOString();
    const ev = await t.call('POST', '/api/v1/agent/events', { events: [
      { at, kind: 'dhcpOffer', mac: '52:54:00:12:34:56', arch: 7 },
      { at, kind: 'transferCompleted', mac: '52:54:00:12:34:56', file: 'ipxe.efi', bytes: 1_000_000, durationMs: 800 },
    ] }, a.agentToken);
    assert.equal(ev.status, 200, ev.body);
    assert.equal(ev.json.accepted, 2);
    const bad = await t.call('POST', '/api/v1/agent/events', { events: [{ at: 'yesterday', kind: 'dhcpOffer' }] }, a.agentToken);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.field, 'body.events[0].at');
    // An event dated more than a day ahead is dropped; the rest of its batch, old dates included, is kept (review M4).
    const future = await t.call('POST', '/api/v1/agent/events', { events: [
      { at: '2999-01-01T00:00:00.000Z', kind: 'rogueResponder', reason: 'WDS at 10.1.0.1 (fake)' },
      { at: new Date(t.clock.nowMs - 3 * 86_400_000).toISOString(), kind: 'dhcpOffer', mac: '52:54:00:12:34:56' },
      { at, kind: 'dhcpAck', mac: '52:54:00:12:34:56' },
    ] }, a.agentToken);
    assert.equal(future.status, 200, future.body);
    assert.equal(future.json.accepted, 2);
    assert.equal(t.ctx.counters.get('boot_events_dropped_total', { reason: 'timestamp' }), 1);
    const timeline = (await t.call('GET', `/api/v1/events?siteId=${a.siteId}&mac=52:54:00:12:34:56`)).json;
    assert.equal(timeline.length, 4);
    assert.ok(!timeline.some((e: { kind: string }) => e.kind === 'rogueResponder'));
    assert.equal(timeline[0].agentId, a.agentId);
    assert.equal((await t.call('GET', '/api/v1/events?kind=dhcpOffer')).json.length, 2);
  });

  test('/metrics and /openapi.json need a token and describe the server', async () => {
    const metrics = await t.call('GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /# TYPE peerboot_http_requests_total counter/);
    assert.match(metrics.body, /peerboot_process_resident_memory_bytes \d+/);
    const doc = (await t.call('GET', '/openapi.json')).json;
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/api/v1/agent/policy/stream'].get);
    assert.equal(Object.values(doc.paths).reduce((n: number, p) => n + Object.keys(p as object).length, 0), Object.keys(api).length);
  });
}
