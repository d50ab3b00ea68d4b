// Goal: roles and per-machine deployments are decided as documented (pure decisions with reasons).
// Method: small hand-built snapshots; one assertion per rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { policyWan } from '../../contract/policy.js';
import { policyEtag } from '../../platform/crypto/signed-documents.js';
import type { BootProfile, Deployment, Machine } from '../../contract/schemas.js';
import { globMatches, ruleMatches } from './collection-membership.js';
import { buildSitePolicy, decideAgentRole } from './policy-builder.js';
import { resolveMachineDeployment, type IndexedCollection, type PolicySnapshot } from './policy-snapshot.js';

const profile = (id: string, packageId: string | null = null): BootProfile => ({
  id, name: id, kind: 'ipxe', files: { bios: 'undionly.kpxe', uefiX64: 'ipxe.efi', arm64: null }, kernel: null, initrd: [], cmdline: '',
  ipxeScript: null, extraFiles: [], packageId, createdAt: '2026-01-01T00:00:00.000Z',
});
const coll = (id: string, memberKind: 'agent' | 'machine', members: string[], rules: IndexedCollection['rules'] = []): IndexedCollection =>
  ({ id, name: id, memberKind, members, rules, createdAt: '', memberSet: new Set(members) });
const machine = (id: string, extra: Partial<Machine> = {}): Machine => ({ id, name: null, mac: null, smbiosUuid: null, siteId: null, labels: {}, createdAt: '', ...extra });
const dep = (id: string, collectionId: string, profileId: string, intent: Deployment['intent'], createdAt: string): Deployment => ({ id, name: id, collectionId, profileId, intent, createdAt });

function snapshot(over: Partial<PolicySnapshot> = {}): PolicySnapshot {
  return {
    revision: 5,
    settings: { enabled: true, targetCollectionIds: ['resp'], unknownComputers: { enabled: true, profileId: 'unk' }, toolkitProfileId: null, updatedAtMs: 0 },
    sites: new Map([['s1', { id: 's1', name: 'HQ', subnets: ['10.0.0.0/24'], isAutoCreated: false, createdAt: '', wan: { capBytesPerSecond: 250_000, adaptive: false } }]]),
    collections: new Map([['resp', coll('resp', 'agent', [], [{ kind: 'namePattern', pattern: 'branch-*' }])]]),
    profiles: new Map([['unk', profile('unk', 'pkg-unk')], ['win', profile('win')]]),
    deployments: [], machines: [], machineDeployments: new Map(), packages: new Map(),
    ...over,
  };
}
const agent = (hostname: string, siteId: string | null = 's1') => ({ id: 'a', hostname, siteId, labels: {}, interfaces: [{ name: 'e', mac: 'x', addresses: ['10.0.0.5/24'] }] });

test('roles: disabled, no site, not targeted, targeted', () => {
  assert.equal(decideAgentRole(agent('branch-1'), snapshot({ settings: { ...snapshot().settings, enabled: false } })).reason, 'disabled');
  assert.equal(decideAgentRole(agent('branch-1', null), snapshot()).reason, 'noSite');
  assert.equal(decideAgentRole(agent('hq-1'), snapshot()).reason, 'notTargeted');
  const d = decideAgentRole(agent('BRANCH-7'), snapshot());
  assert.deepEqual([d.role, d.reason], ['responder', 'targeted']);
  assert.match(d.detail, /rule:0:namePattern/);
});

test('deployment choice: required beats available, then the newest wins', () => {
  const colls = new Map([['c1', coll('c1', 'machine', ['m'])], ['c2', coll('c2', 'machine', [], [{ kind: 'label', key: 'dept', value: 'lab' }])]]);
  const m = machine('m', { labels: { dept: 'lab' } });
  const older = dep('d1', 'c1', 'p1', 'available', '2026-01-01');
  const newer = dep('d2', 'c2', 'p2', 'available', '2026-02-01');
  const req = dep('d3', 'c1', 'p3', 'required', '2025-01-01');
  assert.equal(resolveMachineDeployment(m, [older, newer], colls)?.deployment.id, 'd2');
  assert.equal(resolveMachineDeployment(m, [older, newer, req], colls)?.deployment.id, 'd3');
  assert.equal(resolveMachineDeployment(machine('other'), [older, newer, req], colls), null);
});

test('site policy: responders get their site\'s machines and the profiles and packages they need; idle gets none', () => {
  const machines = [machine('here', { siteId: 's1', mac: 'aa:00:00:00:00:01' }), machine('anywhere', { smbiosUuid: 'u' }), machine('elsewhere', { siteId: 's2', mac: 'aa:00:00:00:00:02' })];
  const snap = snapshot({
    machines,
    machineDeployments: new Map([['here', { deployment: dep('d', 'c', 'win', 'required', ''), reason: '' }]]),
    packages: new Map([['pkg-unk', { manifest: { schemaVersion: 1, id: 'pkg-unk', name: 'unk', version: 1, createdAt: '', chunkSizeBytes: 1, files: [] }, signature: { alg: 'Ed25519', keyId: 'k', value: 'v' } }]]),
  });
  const p = buildSitePolicy(snap, 's1', { role: 'responder', reason: 'targeted' }, 'now');
  assert.deepEqual(p.machines.map((m) => [m.id, m.profileId]), [['here', 'win'], ['anywhere', null]]);
  assert.deepEqual(p.profiles.map((x) => x.id), ['unk', 'win']);
  assert.deepEqual(p.packages.map((x) => x.manifest.id), ['pkg-unk']);
  assert.equal(p.serial, 5);
  const idle = buildSitePolicy(snap, 's1', { role: 'idle', reason: 'notTargeted' }, 'now');
  assert.deepEqual([idle.machines, idle.profiles, idle.packages], [[], [], []]);
  assert.equal(idle.settings.enabled, true);
});

// Goal: the site's WAN settings reach every agent of the site whatever its role, a siteless agent
// gets the default (no cap, adaptive on), and a WAN change changes the etag (so the hub re-pushes).
test('site policy carries the site\'s WAN settings; no site means the default', () => {
  const snap = snapshot();
  const idle = buildSitePolicy(snap, 's1', { role: 'idle', reason: 'notTargeted' }, 'now');
  const responder = buildSitePolicy(snap, 's1', { role: 'responder', reason: 'targeted' }, 'now');
  assert.deepEqual(idle.site.wan, { capBytesPerSecond: 250_000, adaptive: false });
  assert.deepEqual(responder.site.wan, { capBytesPerSecond: 250_000, adaptive: false });
  const siteless = buildSitePolicy(snap, null, { role: 'idle', reason: 'noSite' }, 'now');
  assert.deepEqual(siteless.site.wan, { capBytesPerSecond: null, adaptive: true });
  assert.deepEqual(policyWan(siteless), { capBytesPerSecond: null, adaptive: true });

  const faster = snapshot({ sites: new Map([['s1', { ...snap.sites.get('s1')!, wan: { capBytesPerSecond: 1_250_000, adaptive: false } }]]) });
  assert.notEqual(policyEtag(buildSitePolicy(faster, 's1', { role: 'idle', reason: 'notTargeted' }, 'now')), policyEtag(idle));
  // An older server's policy without `wan` still reads as the default.
  const { wan: _wan, ...oldSite } = idle.site;
  assert.deepEqual(policyWan({ ...idle, site: oldSite }), { capBytesPerSecond: null, adaptive: true });
});

test('rules and prefixes', () => {
  assert.ok(globMatches('pc-??.corp*', 'PC-12.corp.example'));
  assert.ok(!globMatches('pc-?', 'pc-12'));
  // Regex metacharacters are plain characters; a star matches any run, including none.
  assert.ok(globMatches('a.b+(c)', 'A.B+(C)'));
  assert.ok(!globMatches('a.b', 'axb'));
  assert.ok(globMatches('*', '') && globMatches('lab-*', 'lab-') && !globMatches('lab-?*', 'lab-'));
  assert.ok(globMatches('*-*-*-*-x', 'a-b-c-d-x') && !globMatches('*-*-*-*-x', `${'-'.repeat(252)}y`));
  const facts = { id: 'a', name: 'x', labels: { ring: 'pilot', empty: '' }, addresses: ['192.168.5.9/24'] };
  assert.ok(ruleMatches({ kind: 'subnet', cidr: '192.168.0.0/16' }, facts));
  assert.ok(ruleMatches({ kind: 'label', key: 'empty' }, facts));
  assert.ok(!ruleMatches({ kind: 'label', key: 'ring', value: 'broad' }, facts));
  assert.ok(!ruleMatches({ kind: 'label', key: 'constructor' }, facts), 'prototype keys are not labels');
});
