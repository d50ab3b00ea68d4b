// Goal: `peerboot admin site set-wan` turns Mbit/s flags into the API's bytes/s (1 Mbit/s = 125000),
// refuses contradictory or missing flags and out-of-range caps with one line naming the fix, finds a
// site by name or id, and `site list` prints name, subnets, cap and adaptive mode; end to end, the
// command changes the site on a real control plane. Method: the pure helpers directly, then the
// command against the test app listening on 127.0.0.1:0 with stdout captured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Site } from '../contract/schemas.js';
import { startTestApp } from '../testkit/test-app.js';
import { openStore } from '../server/store/store.js';
import { UsageError } from './command.js';
import { adminCommand } from './commands/admin.js';
import { findSite, formatWanCap, renderSiteTable, wanPatchOfFlags } from './site-wan.js';

const site = (id: string, name: string, wan: Site['wan'], subnets: string[] = []): Site => ({ id, name, subnets, isAutoCreated: false, createdAt: '', wan });

test('set-wan flags: Mbit/s to bytes/s, either field alone, contradictions and ranges refused', () => {
  assert.deepEqual(wanPatchOfFlags({ capMbit: '20' }), { capBytesPerSecond: 2_500_000 });
  assert.deepEqual(wanPatchOfFlags({ capMbit: '0.5', noAdaptive: true }), { capBytesPerSecond: 62_500, adaptive: false });
  assert.deepEqual(wanPatchOfFlags({ capMbit: '0.064' }), { capBytesPerSecond: 8000 }, 'the smallest cap the API takes');
  assert.deepEqual(wanPatchOfFlags({ noCap: true }), { capBytesPerSecond: null });
  assert.deepEqual(wanPatchOfFlags({ adaptive: true }), { adaptive: true });
  for (const bad of ['0', '0.05', '-1', '1e3', '20M', '', '2000000']) {
    assert.throws(() => wanPatchOfFlags({ capMbit: bad }), (e: Error) => e instanceof UsageError && /--cap-mbit must be a rate in Mbit\/s from 0\.064 to \d+ \(or --no-cap\), got '/.test(e.message), bad);
  }
  assert.throws(() => wanPatchOfFlags({ capMbit: '10', noCap: true }), /--cap-mbit and --no-cap contradict/);
  assert.throws(() => wanPatchOfFlags({ adaptive: true, noAdaptive: true }), /--adaptive and --no-adaptive contradict/);
  assert.throws(() => wanPatchOfFlags({}), /set-wan needs --cap-mbit N, --no-cap, --adaptive or --no-adaptive/);
});

test('sites by name or id; the table', () => {
  const sites = [site('s-1', 'Lyon', { capBytesPerSecond: 2_500_000, adaptive: true }, ['10.1.0.0/24', '10.2.0.0/24']), site('s-2', 'Subnet 10.3.0.0/24', { capBytesPerSecond: null, adaptive: false })];
  assert.equal(findSite(sites, 'Lyon').id, 's-1');
  assert.equal(findSite(sites, 's-2').name, 'Subnet 10.3.0.0/24');
  assert.throws(() => findSite(sites, 'Paris'), /no site named or with id 'Paris' \(sites: Lyon, Subnet 10\.3\.0\.0\/24; see peerboot admin site list\)/);
  assert.equal(formatWanCap(62_500), '0.5 Mbit/s');
  assert.equal(formatWanCap(8000), '0.064 Mbit/s');
  assert.equal(renderSiteTable(sites), [
    'NAME                SUBNETS                  WAN CAP    ADAPTIVE',
    'Lyon                10.1.0.0/24,10.2.0.0/24  20 Mbit/s  yes',
    'Subnet 10.3.0.0/24  -                        no cap     no',
  ].join('\n'));
});

test('admin site set-wan and list against a control plane', async () => {
  const t = await startTestApp(await openStore({ databaseUrl: 'sqlite::memory:' }));
  const out: string[] = [];
  const write = process.stdout.write;
  try {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const created = await t.call('POST', '/api/v1/sites', { name: 'Branch Lyon', subnets: ['10.20.0.0/24'] });
    assert.equal(created.status, 201, created.body);
    const common = ['--server', url, '--token', t.adminToken, '--config', '/nonexistent/peerboot-cli.json'];
    process.stdout.write = ((chunk: string) => { out.push(String(chunk)); return true; }) as typeof process.stdout.write;
    assert.equal(await adminCommand.run(['site', 'set-wan', 'Branch Lyon', '--cap-mbit', '8', '--no-adaptive', ...common]), 0);
    assert.equal(await adminCommand.run(['site', 'list', ...common]), 0);
    await assert.rejects(adminCommand.run(['site', 'set-wan', 'Nowhere', '--no-cap', ...common]), /no site named or with id 'Nowhere'/);
    await assert.rejects(adminCommand.run(['site', 'set-wan', 'Branch Lyon', ...common]), /set-wan needs/);
    process.stdout.write = write;
    assert.equal(out[0], 'site Branch Lyon: WAN cap 8 Mbit/s, adaptive off\n');
    assert.match(out[1]!, /^Branch Lyon +10\.20\.0\.0\/24 +8 Mbit\/s +no$/m);
    const stored = (await t.call('GET', `/api/v1/sites/${created.json.id}`)).json;
    assert.deepEqual(stored.wan, { capBytesPerSecond: 1_000_000, adaptive: false });
  } finally {
    process.stdout.write = write;
    await t.close();
  }
});
