// Goal: per-site, per-package progress sums the agents' readiness correctly (ready agents count
// every chunk, chunk counts are capped, unknown sites and packages still show), and renders bars.
// Method: hand-made Agent records as GET /api/v1/agents returns them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent } from '../contract/schemas.js';
import { renderDistribution, summarizeDistribution } from './distribution-progress.js';

const agent = (id: string, siteId: string | null, packages: Agent['packages']): Agent => ({
  id, hostname: id, version: '1', siteId, role: 'responder', roleReason: '', labels: {}, interfaces: [], enrolledAt: '', lastSeenAt: null,
  policyEtag: null, serving: false, packages, packagesReady: packages.every((p) => p.ready),
});

test('sums chunks and ready agents per site and package', () => {
  const agents = [
    agent('a1', 's1', [{ packageId: 'p1', ready: true, chunksHeld: 300, chunksTotal: 300 }]),
    agent('a2', 's1', [{ packageId: 'p1', ready: false, chunksHeld: 150, chunksTotal: 300 }]),
    agent('a3', 's2', [{ packageId: 'p1', ready: false, chunksHeld: 999, chunksTotal: 300 }, { packageId: 'p2', ready: true }]),
    agent('a4', null, []),
  ];
  const sites = [{ id: 's1', name: 'branch-north', subnets: [], isAutoCreated: true, createdAt: '', wan: { capBytesPerSecond: null, adaptive: true } }];
  const packages = [{ id: 'p1', name: 'winpe', version: 3, fileCount: 2, totalBytes: 1, createdAt: '' }];
  const summary = summarizeDistribution(agents, sites, packages);
  assert.deepEqual(summary.map((s) => s.siteName), ['(no site)', 'branch-north', 's2']);
  const north = summary.find((s) => s.siteId === 's1')!;
  assert.deepEqual(north.packages, [{ packageId: 'p1', label: 'winpe v3', agents: 2, agentsReady: 1, chunksHeld: 450, chunksWanted: 600, fraction: 0.75 }]);
  const s2 = summary.find((s) => s.siteId === 's2')!;
  assert.equal(s2.packages.find((p) => p.packageId === 'p1')!.fraction, 1, 'held chunks capped at the total');
  assert.equal(s2.packages.find((p) => p.packageId === 'p2')!.fraction, 1, 'no chunk counts: readiness decides');
  assert.deepEqual(summarizeDistribution(agents, sites, packages, { packageId: 'p2' }).flatMap((s) => s.packages.map((p) => p.packageId)), ['p2']);
  const text = renderDistribution([north], 10);
  assert.equal(text, 'branch-north (2 agents)\n  winpe v3 [########..]  75.0%  ready 1/2');
});
