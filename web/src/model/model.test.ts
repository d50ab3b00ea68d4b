// Goal: the console's pure views say the right thing: an agent's state and why, which peer is
// active or standing by on each subnet and why a subnet is red, boots bucketed per hour by outcome,
// package progress per site, IPv4 containment, and toolkit files found in a picked folder.
// Method: table tests over fixture records; times relative to a fixed `now`.
import { describe, expect, test } from 'vitest';
import { agent, coverage } from '../testing/fixtures.js';
import { agentStateOf, formatAgo, formatBytes } from './agent-state.js';
import { bootHistogram } from './boot-histogram.js';
import { archLabel, outcomeOf } from './boot-outcome.js';
import { coverageView } from './coverage-view.js';
import { cidrContains, ipv4ToNumber } from './ipv4.js';
import { packageProgress } from './package-progress.js';
import { matchToolkitFiles, relativeToPicked } from './toolkit-files.js';

const now = Date.parse('2026-11-25T12:30:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();

describe('agentStateOf', () => {
  test.each([
    ['serving', agent({ lastSeenAt: ago(5000) }), 'serving', /answering PXE/],
    ['standby', agent({ lastSeenAt: ago(5000), serving: false }), 'standby', /another responder/],
    ['preparing', agent({ lastSeenAt: ago(5000), packagesReady: false, packages: [{ packageId: 'p', ready: false, chunksHeld: 3, chunksTotal: 10 }] }), 'preparing', /3 of 10 chunks/],
    ['idle (disabled)', agent({ lastSeenAt: ago(5000), role: 'idle', roleReason: 'disabled', serving: false }), 'idle', /P2P PXE is disabled/],
    ['idle (other reason kept)', agent({ lastSeenAt: ago(5000), role: 'idle', roleReason: 'weird', serving: false }), 'idle', /weird/],
    ['offline (stale)', agent({ lastSeenAt: ago(10 * 60_000) }), 'offline', /last report 10 min ago/],
    ['offline (never)', agent({ lastSeenAt: null }), 'offline', /not reported/],
  ])('%s', (_name, a, state, detail) => {
    const v = agentStateOf(a, now);
    expect(v.state).toBe(state);
    expect(v.detail).toMatch(detail);
  });

  test('the online window is the server’s', () => {
    expect(agentStateOf(agent({ lastSeenAt: ago(90_000) }), now, 60_000).state).toBe('offline');
    expect(agentStateOf(agent({ lastSeenAt: ago(90_000) }), now, 120_000).state).toBe('serving');
  });

  test('formatting', () => {
    expect(formatAgo(42_000)).toBe('42 s');
    expect(formatAgo(5 * 60_000)).toBe('5 min');
    expect(formatAgo(3 * 3_600_000)).toBe('3 h');
    expect(formatAgo(3 * 86_400_000)).toBe('3 d');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(300 * 1024 ** 2)).toBe('300 MiB');
  });
});

describe('coverageView', () => {
  test('names the active responder, the standby and the fetching peer per subnet; red subnets say why', () => {
    const agents = [
      agent({ id: 'a', hostname: 'pc-a', lastSeenAt: ago(1000) }),
      agent({ id: 'b', hostname: 'pc-b', lastSeenAt: ago(1000), serving: false }),
      agent({ id: 'c', hostname: 'pc-c', lastSeenAt: ago(1000), serving: false, packagesReady: false }),
      agent({ id: 'd', hostname: 'elsewhere', siteId: 'site-2', lastSeenAt: ago(1000) }),
    ];
    const [site] = coverageView(coverage(), agents, now);
    expect(site!.name).toBe('Lyon');
    const [covered, empty] = site!.subnets;
    expect(covered).toMatchObject({ cidr: '10.1.0.0/24', isCovered: true, serving: ['pc-a'], standby: ['pc-b'], preparing: ['pc-c'], problem: null });
    expect(empty).toMatchObject({ isCovered: false, serving: [], problem: 'no agent on this subnet' });
  });

  test.each([
    [{ enabled: false }, {}, 'P2P PXE is disabled'],
    [{}, { agents: 2, agentsOnline: 0 }, 'every agent here is offline'],
    [{}, { agents: 2, agentsOnline: 2, responders: 0 }, 'no agent here is in a target collection'],
    [{}, { agents: 2, agentsOnline: 2, responders: 2, respondersReady: 0 }, 'no responder is ready (packages missing or responder down)'],
  ])('problem %#', (top, subnet, problem) => {
    const cov = coverage(top);
    cov.sites[0]!.subnets = [{ cidr: '10.9.0.0/24', agents: 0, agentsOnline: 0, responders: 0, respondersReady: 0, isCovered: false, ...subnet }];
    expect(coverageView(cov, [], now)[0]!.subnets[0]!.problem).toBe(problem);
  });
});

describe('boot events', () => {
  test.each([
    ['transferCompleted', 'served'], ['transferFailed', 'failed'], ['tftpTimeout', 'failed'], ['dhcpOffer', 'offered'],
    ['transferStarted', 'offered'], ['dhcpIgnored', 'ignored'], ['rogueResponder', 'alert'], ['duplicateResponder', 'alert'], ['electionWon', 'other'],
  ])('%s is %s', (kind, outcome) => expect(outcomeOf(kind)).toBe(outcome));

  test('client architectures by name (RFC 4578 option 93)', () => {
    expect(archLabel(0)).toBe('BIOS (0)');
    expect(archLabel(7)).toBe('UEFI x64 (7)');
    expect(archLabel(11)).toBe('UEFI ARM64 (11)');
    expect(archLabel(4242)).toBe('4242');
  });

  test('histogram: 24 hourly buckets ending now, by outcome; older and future events left out', () => {
    const events = [
      { at: ago(0), kind: 'transferCompleted' },
      { at: ago(10 * 60_000), kind: 'transferFailed' },
      { at: ago(2 * 3_600_000), kind: 'dhcpOffer' },
      { at: ago(30 * 3_600_000), kind: 'transferCompleted' },
      { at: new Date(now + 2 * 3_600_000).toISOString(), kind: 'transferCompleted' },
      { at: 'not a time', kind: 'transferCompleted' },
    ];
    const h = bootHistogram(events, now);
    expect(h).toHaveLength(24);
    expect(h.at(-1)!.startMs).toBe(Math.floor(now / 3_600_000) * 3_600_000);
    expect(h.at(-1)!.counts).toMatchObject({ served: 1, failed: 1 });
    expect(h.at(-3)!.counts.offered).toBe(1);
    expect(h.reduce((n, b) => n + Object.values(b.counts).reduce((a, c) => a + c, 0), 0)).toBe(3);
  });
});

test('packageProgress: per site, responders only, chunks held over wanted', () => {
  const sites = [{ id: 'site-1', name: 'Lyon', subnets: [], isAutoCreated: false, createdAt: '' }, { id: 'site-2', name: 'Nantes', subnets: [], isAutoCreated: false, createdAt: '' }];
  const agents = [
    agent({ id: 'a', packages: [{ packageId: 'p1', ready: true, chunksHeld: 4, chunksTotal: 4 }] }),
    agent({ id: 'b', packages: [{ packageId: 'p1', ready: false, chunksHeld: 1, chunksTotal: 4 }] }),
    agent({ id: 'c', role: 'idle', packages: [{ packageId: 'p1', ready: false, chunksHeld: 0, chunksTotal: 4 }] }),
  ];
  const [lyon, nantes] = packageProgress(sites, agents, [{ id: 'p1', name: 'winpe', version: 2, fileCount: 5, totalBytes: 1, createdAt: '' }]);
  expect(lyon!.responders).toBe(2);
  expect(lyon!.packages).toEqual([{ packageId: 'p1', label: 'winpe@2', respondersReady: 1, responders: 2, chunksHeld: 5, chunksTotal: 8, fraction: 5 / 8 }]);
  expect(nantes!.packages).toEqual([]);
});

test('ipv4', () => {
  expect(ipv4ToNumber('10.0.0.1')).toBe(167772161);
  expect(ipv4ToNumber('10.0.0.256')).toBeNull();
  expect(ipv4ToNumber('10.0.0')).toBeNull();
  expect(cidrContains('10.1.0.0/24', '10.1.0.200/24')).toBe(true);
  expect(cidrContains('10.1.0.0/24', '10.1.1.1')).toBe(false);
  expect(cidrContains('10.0.0.0/8', '10.255.1.1')).toBe(true);
  expect(cidrContains('0.0.0.0/0', '192.0.2.1')).toBe(true);
  expect(cidrContains('10.1.0.0/33', '10.1.0.1')).toBe(false);
});

test('toolkit files: exact path first, else the shallowest file of that name, case-insensitively; misses named', () => {
  const files = ['Windows/Boot/PXE/pxeboot.n12', 'Windows/Boot/EFI/BOOTMGFW.EFI', 'deep/er/bootmgfw.efi', 'sources/boot.wim', 'boot.sdi']
    .map((relativePath) => ({ relativePath }));
  const ok = matchToolkitFiles(files, ['pxeboot.n12', 'bootmgfw.efi', 'boot.sdi', 'sources/boot.wim']);
  expect(ok).toEqual({ ok: true, found: [
    { packagePath: 'pxeboot.n12', file: { relativePath: 'Windows/Boot/PXE/pxeboot.n12' } },
    { packagePath: 'bootmgfw.efi', file: { relativePath: 'deep/er/bootmgfw.efi' } },
    { packagePath: 'boot.sdi', file: { relativePath: 'boot.sdi' } },
    { packagePath: 'sources/boot.wim', file: { relativePath: 'sources/boot.wim' } },
  ] });
  expect(matchToolkitFiles(files, ['bootmgr.exe', 'boot.sdi', 'wgl4_boot.ttf'])).toEqual({ ok: false, missing: ['bootmgr.exe', 'wgl4_boot.ttf'] });
  expect(relativeToPicked('toolkit/Boot/x.efi', 'x.efi')).toBe('Boot/x.efi');
  expect(relativeToPicked('', 'x.efi')).toBe('x.efi');
});
