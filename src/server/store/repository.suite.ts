/**
 * The repository contract, run against every engine (forEachDatabase): same migrations, same
 * statements, same answers on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrate } from './migrations.js';
import { isUniqueViolation } from './sql-database.js';
import type { DatabaseFixture } from '../../testkit/test-databases.js';

export function repositorySuite(fx: DatabaseFixture): void {
  test('migrations are idempotent and the revision starts at 1', async () => {
    const store = await fx.openStore();
    try {
      assert.deepEqual(await migrate(store.db), []);
      assert.equal(await store.read.getRevision(), 1);
      assert.equal(await store.write((r) => r.bumpRevision()), 2);
      assert.equal(typeof (await store.read.getRevision()), 'number');
    } finally { await store.close(); }
  });

  // Goal: a multi-row write that fails leaves nothing behind. Method: insert a site and a subnet,
  // then throw inside the same transaction; neither row may remain.
  test('a failing transaction leaves no partial state', async () => {
    const store = await fx.openStore();
    try {
      await assert.rejects(store.write(async (r) => {
        await r.insertSite({ id: 's1', name: 'HQ', isAutoCreated: false, createdAtMs: 1 });
        await r.replaceSiteSubnets('s1', ['10.0.0.0/24']);
        await r.bumpRevision();
        throw new Error('boom');
      }), /boom/);
      assert.deepEqual(await store.read.listSites(), []);
      assert.equal(await store.read.siteOfSubnet('10.0.0.0/24'), null);
      assert.equal(await store.read.getRevision(), 1);
    } finally { await store.close(); }
  });

  test('a subnet can belong to one site only; the clash is recognized on this engine', async () => {
    const store = await fx.openStore();
    try {
      await store.write(async (r) => {
        await r.insertSite({ id: 'a', name: 'A', isAutoCreated: false, createdAtMs: 1 });
        await r.replaceSiteSubnets('a', ['10.0.0.0/24']);
        await r.insertSite({ id: 'b', name: 'B', isAutoCreated: true, createdAtMs: 2 });
      });
      const err = await store.write((r) => r.replaceSiteSubnets('b', ['10.1.0.0/24', '10.0.0.0/24'])).then(() => null, (e: unknown) => e);
      assert.ok(err && isUniqueViolation(err), `expected a unique violation, got ${String(err)}`);
      const sites = await store.read.listSites();
      assert.deepEqual(sites.map((s) => [s.name, s.subnets, s.isAutoCreated]), [['A', ['10.0.0.0/24'], false], ['B', [], true]]);
    } finally { await store.close(); }
  });

  // Goal: a site's WAN settings round-trip on this engine: the default for a new site, a cap above
  // 2^31 (BIGINT, returned as a string by PostgreSQL) and null, and an unknown site reports false.
  test('sites: WAN settings default, round-trip as 64-bit numbers, and can be cleared', async () => {
    const store = await fx.openStore();
    try {
      await store.write(async (r) => {
        await r.insertSite({ id: 'd', name: 'Default', isAutoCreated: true, createdAtMs: 1 });
        await r.insertSite({ id: 'c', name: 'Capped', isAutoCreated: false, createdAtMs: 2, wan: { capBytesPerSecond: 250_000, adaptive: false } });
      });
      assert.deepEqual((await store.read.getSite('d'))?.wan, { capBytesPerSecond: null, adaptive: true });
      assert.deepEqual((await store.read.getSite('c'))?.wan, { capBytesPerSecond: 250_000, adaptive: false });
      assert.equal(await store.write((r) => r.setSiteWan('d', { capBytesPerSecond: 12_500_000_000, adaptive: false })), true);
      assert.equal(await store.write((r) => r.setSiteWan('c', { capBytesPerSecond: null, adaptive: true })), true);
      assert.equal(await store.write((r) => r.setSiteWan('nope', { capBytesPerSecond: null, adaptive: true })), false);
      const wans = (await store.read.listSites()).map((s) => [s.id, s.wan]);
      assert.deepEqual(wans, [['c', { capBytesPerSecond: null, adaptive: true }], ['d', { capBytesPerSecond: 12_500_000_000, adaptive: false }]]);
      assert.equal(typeof (await store.read.getSite('d'))?.wan.capBytesPerSecond, 'number');
    } finally { await store.close(); }
  });

  // Goal: migration 2 upgrades a database whose sites predate WAN settings: existing sites get the
  // default (no cap, adaptive on). Method: drop the columns and the migration record, add a site the
  // old way, migrate again.
  test('migration 2 gives sites that existed before it the default WAN settings', async () => {
    const store = await fx.openStore();
    try {
      await store.db.transaction(async (tx) => {
        await tx.run('ALTER TABLE sites DROP COLUMN wan_cap_bytes_per_second');
        await tx.run('ALTER TABLE sites DROP COLUMN wan_adaptive');
        await tx.run('DELETE FROM schema_migrations WHERE version = 2');
        await tx.run('INSERT INTO sites (id, name, is_auto, created_at) VALUES (?, ?, ?, ?)', ['old', 'Old site', 0, 1]);
      });
      assert.deepEqual(await migrate(store.db), [2]);
      assert.deepEqual((await store.read.getSite('old'))?.wan, { capBytesPerSecond: null, adaptive: true });
    } finally { await store.close(); }
  });

  test('enrollment tokens: uses are counted atomically and expiry is enforced', async () => {
    const store = await fx.openStore();
    try {
      await store.write((r) => r.insertEnrollmentToken({ id: 't', name: 'lab', createdAt: '', expiresAt: '', usesMax: 2, uses: 0, secretHash: 'h', expiresAtMs: 1000 }, 0));
      assert.equal(await store.write((r) => r.consumeEnrollmentToken('t', 10)), true);
      assert.equal(await store.write((r) => r.consumeEnrollmentToken('t', 10)), true);
      assert.equal(await store.write((r) => r.consumeEnrollmentToken('t', 10)), false, 'third use of a two-use token');
      await store.write((r) => r.insertEnrollmentToken({ id: 'u', name: 'old', createdAt: '', expiresAt: '', usesMax: 5, uses: 0, secretHash: 'h', expiresAtMs: 1000 }, 0));
      assert.equal(await store.write((r) => r.consumeEnrollmentToken('u', 1000)), false, 'expired');
      assert.equal((await store.read.listEnrollmentTokens()).find((t) => t.id === 't')?.uses, 2);
    } finally { await store.close(); }
  });

  test('machines: MAC and SMBIOS UUID are unique but may both be absent on many rows', async () => {
    const store = await fx.openStore();
    try {
      const base = { name: null, siteId: null, labels: {}, createdAt: '' };
      await store.write(async (r) => {
        await r.insertMachine({ ...base, id: 'm1', mac: 'aa:bb:cc:dd:ee:01', smbiosUuid: null }, 1);
        await r.insertMachine({ ...base, id: 'm2', mac: null, smbiosUuid: '00000000-0000-0000-0000-000000000002' }, 2);
        await r.insertMachine({ ...base, id: 'm3', mac: 'aa:bb:cc:dd:ee:03', smbiosUuid: null }, 3);
      });
      const err = await store.write((r) => r.insertMachine({ ...base, id: 'm4', mac: 'aa:bb:cc:dd:ee:01', smbiosUuid: null }, 4)).then(() => null, (e: unknown) => e);
      assert.ok(isUniqueViolation(err));
      assert.deepEqual((await store.read.listMachines({ mac: 'aa:bb:cc:dd:ee:03' })).map((m) => m.id), ['m3']);
      assert.deepEqual((await store.read.listMachines({ limit: 2, offset: 1 })).map((m) => m.id), ['m2', 'm3']);
    } finally { await store.close(); }
  });

  test('collections keep static members and rules; deleting cascades members', async () => {
    const store = await fx.openStore();
    try {
      await store.write((r) => r.insertCollection({ id: 'c', name: 'Branch responders', memberKind: 'agent', members: ['a2', 'a1', 'a1'], rules: [{ kind: 'subnet', cidr: '10.0.0.0/8' }], createdAt: '' }, 5));
      const c = await store.read.getCollection('c');
      assert.deepEqual(c?.members, ['a1', 'a2']);
      assert.deepEqual(c?.rules, [{ kind: 'subnet', cidr: '10.0.0.0/8' }]);
      await store.write((r) => r.deleteCollection('c'));
      const left = await store.db.all('SELECT * FROM collection_members');
      assert.equal(left.length, 0);
    } finally { await store.close(); }
  });

  test('meta: the first writer wins (one signing key per database)', async () => {
    const store = await fx.openStore();
    try {
      assert.equal(await store.write((r) => r.putMetaIfAbsent('k', 'first')), 'first');
      assert.equal(await store.write((r) => r.putMetaIfAbsent('k', 'second')), 'first');
    } finally { await store.close(); }
  });

  test('boot events: filters, newest first, limit; times survive as 64-bit numbers', async () => {
    const store = await fx.openStore();
    try {
      const t0 = Date.UTC(2030, 0, 1); // beyond 2^31 seconds' worth of ms: needs BIGINT
      await store.write((r) => r.insertEvents('agent-1', 'site-1', [
        { at: '', atMs: t0, kind: 'dhcpOffer', mac: 'AA:BB:CC:DD:EE:01', arch: 7 },
        { at: '', atMs: t0 + 1000, kind: 'transferCompleted', mac: 'aa:bb:cc:dd:ee:01', bytes: 5_000_000_000, durationMs: 1234, file: 'boot.wim' },
        { at: '', atMs: t0 + 2000, kind: 'dhcpOffer', mac: 'aa:bb:cc:dd:ee:02' },
      ]));
      const all = await store.read.listEvents({ limit: 10 });
      assert.deepEqual(all.map((e) => e.kind), ['dhcpOffer', 'transferCompleted', 'dhcpOffer']);
      assert.equal(all[1]!.bytes, 5_000_000_000);
      assert.equal(all[2]!.at, new Date(t0).toISOString());
      assert.equal(all[2]!.mac, 'aa:bb:cc:dd:ee:01', 'MAC stored lower-case');
      const one = await store.read.listEvents({ mac: 'aa:bb:cc:dd:ee:01', kind: 'dhcpOffer', limit: 10 });
      assert.equal(one.length, 1);
      assert.equal(one[0]!.arch, 7);
      assert.equal((await store.read.listEvents({ sinceMs: t0 + 1000, untilMs: t0 + 2000, limit: 10 })).length, 1);
      assert.equal((await store.read.listEvents({ limit: 1 }))[0]!.mac, 'aa:bb:cc:dd:ee:02');
      assert.equal(await store.write((r) => r.deleteEventsBefore(t0 + 1000)), 1, 'retention removes only older events');
      assert.equal((await store.read.listEvents({ limit: 10 })).length, 2);
    } finally { await store.close(); }
  });

  test('concurrent transactions do not interleave partial writes', async () => {
    const store = await fx.openStore();
    try {
      const writes = Array.from({ length: 20 }, () => store.write((r) => r.bumpRevision()));
      const revisions = await Promise.all(writes);
      assert.equal(new Set(revisions).size, 20, 'every bump got its own revision');
      assert.equal(await store.read.getRevision(), 21);
    } finally { await store.close(); }
  });
}
