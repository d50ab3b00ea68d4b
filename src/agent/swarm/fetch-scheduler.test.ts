// Goal: the scheduler's decisions: peer first; the WAN only by one agent per site (listen first,
// best rank, incumbency, no duplicates of a neighbour's WAN fetch); bans after bad bytes; refetch
// of lost chunks; bounds on requests in flight; a full disk pauses fetching.
// Method: drive FetchScheduler with hand-made have messages and fetch outcomes on a virtual clock;
// assert the effects.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PackageChunks } from '../content/package-chunks.js';
import type { ChunkHave } from '../../protocol/peer/chunk-have.js';
import { FetchScheduler, type SchedulerConfig, type SchedulerEffect } from './fetch-scheduler.js';

const sha = (label: string, i: number) => `${label}${i}`.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a').slice(0, 64);

function pkgOf(id: string, count: number, label = id[0]!): PackageChunks {
  const chunks = Array.from({ length: count }, (_, i) => ({ sha256: sha(label + 'c', i), sizeBytes: 100 }));
  return { packageId: id, manifest: {} as never, chunks, totalBytes: count * 100 };
}

function bitmapOf(count: number, held: Iterable<number>): Uint8Array {
  const b = new Uint8Array(Math.ceil(count / 8));
  for (const i of held) b[i >> 3]! |= 0x80 >> (i & 7);
  return b;
}

let seq = 1;
function haveOf(agentId: string, packages: Array<{ id: string; count: number; held: number[]; wanFetcher?: boolean; wanInFlight?: number[] }>, weight = 300): ChunkHave {
  return {
    agentId, siteId: 'site', chunkPort: 4017, intervalMs: 500, weight, incarnation: '00000000000000aa', seq: seq++, timestampMs: 0, address: '10.0.0.2',
    packages: packages.map((p) => ({
      packageId: p.id, complete: p.held.length === p.count, wanFetcher: p.wanFetcher ?? false, chunkCount: p.count,
      firstChunk: 0, bitmap: p.held.length === p.count ? new Uint8Array(0) : bitmapOf(p.count, p.held), wanInFlight: p.wanInFlight ?? [],
    })),
  };
}

/** The scheduler with a 1.6 s listening period (the tests' timelines are written for it). */
const newScheduler = (self: { agentId: string; weight: number }, nowMs: number, config: Partial<SchedulerConfig> = {}) =>
  new FetchScheduler(self, nowMs, { config: { listenBeforeWanMs: 1600, ...config } });

const fetches = (effects: SchedulerEffect[]) => effects.filter((e): e is Extract<SchedulerEffect, { kind: 'fetch' }> => e.kind === 'fetch');
const sources = (effects: SchedulerEffect[]) => fetches(effects).map((f) => `${f.index}:${f.source.kind === 'wan' ? 'wan' : f.source.agentId}`);

describe('FetchScheduler', () => {
  it('listens before deciding, then the lone agent fetches over the WAN in chunk order, bounded', () => {
    const s = newScheduler({ agentId: 'a1', weight: 300 }, 0, { wanFetchesMax: 2 });
    assert.deepEqual(fetches(s.setPackages([pkgOf('p', 5)], 0)), [], 'nothing while listening');
    assert.equal(s.nextWakeAtMs(0), 1600);
    const e = s.tick(1600);
    assert.ok(e.some((x) => x.kind === 'wanRole' && x.fetching && x.reason === 'best-ranked'));
    assert.deepEqual(sources(e), ['0:wan', '1:wan']);
    assert.deepEqual(sources(s.onFetchDone(sha('pc', 0), 'stored', 1700)), ['2:wan']);
    assert.equal(s.haveState()[0]!.wanFetcher, true);
    assert.deepEqual(s.haveState()[0]!.wanInFlight, [1, 2]);
  });

  it('fetches from a neighbour that holds the chunk, not from the WAN', () => {
    const s = newScheduler({ agentId: 'a1', weight: 300 }, 0);
    s.setPackages([pkgOf('p', 3)], 0);
    s.view.update(haveOf('a2', [{ id: 'p', count: 3, held: [0, 1, 2] }]), '10.0.0.2', 2000);
    const e = s.tick(2000);
    assert.equal(fetches(e).length, 2, 'two requests to one neighbour at most');
    assert.ok(sources(e).every((x) => x.endsWith(':a2')), sources(e).join());
    const f = fetches(e)[0]!;
    assert.deepEqual(f.source, { kind: 'peer', agentId: 'a2', address: '10.0.0.2', port: 4017 });
  });

  it('only the best-ranked of two fresh agents fetches over the WAN; the other waits and copies', () => {
    const a = newScheduler({ agentId: 'a1', weight: 300 }, 0, { wanFetchesMax: 2 });
    const b = newScheduler({ agentId: 'a2', weight: 300 }, 0, { wanFetchesMax: 2 });
    a.setPackages([pkgOf('p', 4)], 0);
    b.setPackages([pkgOf('p', 4)], 0);
    a.view.update(haveOf('a2', [{ id: 'p', count: 4, held: [] }]), '10.0.0.2', 1000);
    b.view.update(haveOf('a1', [{ id: 'p', count: 4, held: [] }]), '10.0.0.1', 1000);
    assert.deepEqual(sources(a.tick(1600)), ['0:wan', '1:wan']);
    assert.deepEqual(sources(b.tick(1600)), [], 'a2 ranks after a1 (same weight, id order)');
    // a1 lands chunk 0 and says so; a2 copies it from a1.
    a.onFetchDone(sha('pc', 0), 'stored', 1800);
    b.view.update(haveOf('a1', [{ id: 'p', count: 4, held: [0], wanFetcher: true, wanInFlight: [1, 2] }]), '10.0.0.1', 1800);
    assert.deepEqual(sources(b.tick(1800)), ['0:a1']);
  });

  it('a better-ranked agent arriving later does not take the WAN role from the incumbent', () => {
    const late = newScheduler({ agentId: 'a0', weight: 400 }, 10_000);
    late.setPackages([pkgOf('p', 4)], 10_000);
    late.view.update(haveOf('a5', [{ id: 'p', count: 4, held: [0], wanFetcher: true, wanInFlight: [1] }], 100), '10.0.0.5', 11_700);
    const e = late.tick(11_700);
    assert.deepEqual(sources(e), ['0:a5']);
    assert.equal(late.haveState()[0]!.wanFetcher, false);
  });

  it('of two claimants (a healed partition) the better-ranked keeps the role', () => {
    const s = newScheduler({ agentId: 'a9', weight: 100 }, 0);
    s.setPackages([pkgOf('p', 10)], 0);
    assert.ok(fetches(s.tick(2000)).length > 0);
    assert.equal(s.haveState()[0]!.wanFetcher, true);
    s.view.update(haveOf('a1', [{ id: 'p', count: 10, held: [], wanFetcher: true }], 300), '10.0.0.1', 2100);
    const e = s.tick(2100);
    assert.ok(e.some((x) => x.kind === 'wanRole' && !x.fetching && x.reason === 'better-claimant'));
    assert.equal(s.haveState()[0]!.wanFetcher, false);
  });

  it('never duplicates a chunk a neighbour is fetching over the WAN', () => {
    const s = newScheduler({ agentId: 'a1', weight: 300 }, 0, { wanFetchesMax: 4 });
    s.setPackages([pkgOf('p', 6)], 0);
    // A neighbour that is interested but not claiming, fetching 0 and 1 (it held the role a moment ago).
    s.view.update(haveOf('a9', [{ id: 'p', count: 6, held: [], wanInFlight: [0, 1] }], 100), '10.0.0.9', 1000);
    assert.deepEqual(sources(s.tick(2000)), ['2:wan', '3:wan', '4:wan', '5:wan']);
  });

  it('bans a neighbour that served wrong bytes, fetches elsewhere, and never asks it for that chunk again', () => {
    const s = newScheduler({ agentId: 'a1', weight: 300 }, 0, { peerFetchesPerPeerMax: 1, peerFetchesMax: 1 });
    s.setPackages([pkgOf('p', 2)], 0);
    s.view.update(haveOf('bad', [{ id: 'p', count: 2, held: [0, 1] }], 500), '10.0.0.66', 1000);
    s.view.update(haveOf('good', [{ id: 'p', count: 2, held: [0, 1] }], 100), '10.0.0.7', 1000);
    const first = fetches(s.tick(1000))[0]!;
    assert.equal(first.source.kind === 'peer' && first.source.agentId, 'bad', 'same load: the hash tie-break picked bad here');
    const e = s.onFetchDone(first.sha256, 'badBytes', 1100);
    const ban = e.find((x) => x.kind === 'peerBanned');
    assert.deepEqual(ban && { ...ban, untilMs: ban.untilMs - 1100 }, { kind: 'peerBanned', agentId: 'bad', sha256: first.sha256, offences: 1, untilMs: 600_000 });
    assert.deepEqual(sources(e), [`${first.index}:good`]);
    // Long after the overall ban: still never asked for that chunk.
    assert.equal(s.bans.isPeerBanned('bad', 700_000), false);
    assert.equal(s.bans.isChunkBanned('bad', first.sha256), true);
    s.onFetchDone(first.sha256, 'failed', 1200);
    s.view.update(haveOf('bad', [{ id: 'p', count: 2, held: [0, 1] }], 500), '10.0.0.66', 700_000);
    s.view.forget('good');
    const later = fetches(s.tick(700_000));
    assert.ok(later.every((f) => !(f.sha256 === first.sha256 && f.source.kind === 'peer' && f.source.agentId === 'bad')), JSON.stringify(later));
  });

  it('when the only holders are banned, the WAN fetcher goes to the server', () => {
    const s = newScheduler({ agentId: 'a1', weight: 300 }, 0);
    s.setPackages([pkgOf('p', 1)], 0);
    s.view.update(haveOf('bad', [{ id: 'p', count: 1, held: [0] }], 500), '10.0.0.66', 1000);
    const f = fetches(s.tick(1000))[0]!;
    assert.equal(f.source.kind, 'peer');
    const e = s.onFetchDone(f.sha256, 'badBytes', 1100);
    s.view.update(haveOf('bad', [{ id: 'p', count: 1, held: [0] }], 500), '10.0.0.66', 1700);
    assert.deepEqual(sources([...e, ...s.tick(1700)]), ['0:wan']);
  });

  it('a chunk found corrupt in the store is fetched again', () => {
    const s = newScheduler({ agentId: 'a1', weight: 300 }, 0);
    const p = pkgOf('p', 2);
    s.setPackages([p], 0);
    s.markHeld(p.chunks.map((c) => c.sha256), 0);
    assert.equal(s.progress()[0]!.complete, true);
    const e = s.markLost(p.chunks[1]!.sha256, 5000);
    assert.equal(s.progress()[0]!.complete, false);
    assert.deepEqual(sources(e), ['1:wan']);
  });

  it('reports completion once, and stops claiming the WAN role when complete', () => {
    const s = newScheduler({ agentId: 'a1', weight: 300 }, 0);
    s.setPackages([pkgOf('p', 2)], 0);
    s.tick(2000);
    s.onFetchDone(sha('pc', 0), 'stored', 2100);
    const e = s.onFetchDone(sha('pc', 1), 'stored', 2200);
    assert.deepEqual(e.filter((x) => x.kind === 'packageComplete'), [{ kind: 'packageComplete', packageId: 'p' }]);
    assert.ok(e.some((x) => x.kind === 'wanRole' && !x.fetching && x.reason === 'package-complete'));
    assert.deepEqual(s.progress(), [{ packageId: 'p', chunksHeld: 2, chunksTotal: 2, bytesHeld: 200, bytesTotal: 200, complete: true, wanFetcher: false }]);
  });

  it('bounds requests in flight per neighbour and in total', () => {
    const s = newScheduler({ agentId: 'a1', weight: 300 }, 0, { peerFetchesMax: 3, peerFetchesPerPeerMax: 2 });
    s.setPackages([pkgOf('p', 20)], 0);
    const all = Array.from({ length: 20 }, (_, i) => i);
    s.view.update(haveOf('a2', [{ id: 'p', count: 20, held: all }]), '10.0.0.2', 100);
    assert.equal(fetches(s.tick(100)).length, 2, 'one neighbour: 2 at most');
    s.view.update(haveOf('a3', [{ id: 'p', count: 20, held: all }]), '10.0.0.3', 100);
    assert.equal(fetches(s.tick(100)).length, 1, 'total: 3 at most');
  });

  it('rarest chunk first', () => {
    const s = newScheduler({ agentId: 'a1', weight: 300 }, 0, { peerFetchesMax: 1 });
    s.setPackages([pkgOf('p', 3)], 0);
    s.view.update(haveOf('a2', [{ id: 'p', count: 3, held: [0, 1, 2] }]), '10.0.0.2', 100);
    s.view.update(haveOf('a3', [{ id: 'p', count: 3, held: [0, 1] }]), '10.0.0.3', 100);
    assert.deepEqual(sources(s.tick(100)), ['2:a2']);
  });

  it('a full disk pauses fetching until the retry time', () => {
    const s = newScheduler({ agentId: 'a1', weight: 300 }, 0);
    s.setPackages([pkgOf('p', 3)], 0);
    const [f] = fetches(s.tick(2000));
    s.onFetchDone(f!.sha256, 'diskFull', 2100);
    assert.equal(s.diskFull, true);
    assert.deepEqual(fetches(s.tick(3000)).length, 0);
    assert.ok(fetches(s.tick(2100 + 30_000)).length > 0);
  });

  it('a neighbour that answered "not found" is left alone for that chunk for a while', () => {
    const s = newScheduler({ agentId: 'a1', weight: 300 }, 0, { peerFetchesMax: 1 });
    s.setPackages([pkgOf('p', 1)], 0);
    s.view.update(haveOf('a2', [{ id: 'p', count: 1, held: [0] }]), '10.0.0.2', 100);
    const [f] = fetches(s.tick(100));
    assert.deepEqual(sources(s.onFetchDone(f!.sha256, 'notFound', 200)), []);
    s.view.update(haveOf('a2', [{ id: 'p', count: 1, held: [0] }]), '10.0.0.2', 1000);
    assert.deepEqual(sources(s.tick(1000)), []);
    s.view.update(haveOf('a2', [{ id: 'p', count: 1, held: [0] }]), '10.0.0.2', 2300);
    assert.deepEqual(sources(s.tick(2300)), ['0:a2']);
  });

  it('a busy neighbour is tried again soon; a failed one is left alone longer', () => {
    const s = newScheduler({ agentId: 'a1', weight: 300 }, 0, { peerFetchesMax: 1 });
    s.setPackages([pkgOf('p', 2)], 0);
    s.view.update(haveOf('a2', [{ id: 'p', count: 2, held: [0, 1] }]), '10.0.0.2', 100);
    const [f] = fetches(s.tick(100));
    assert.deepEqual(sources(s.onFetchDone(f!.sha256, 'busy', 200)), []);
    assert.equal(sources(s.tick(500)).length, 1, 'busy: back after 300 ms');
    const [g] = s.inFlight();
    s.onFetchDone(g!.sha256, 'failed', 600);
    assert.deepEqual(sources(s.tick(1000)), []);
    assert.equal(sources(s.tick(2600)).length, 1, 'failed: back after 2 s');
  });

  it('neighbours pick different chunks among equally rare ones (so they can trade)', () => {
    const picks = ['a1', 'a2', 'a3'].map((id) => {
      const s = newScheduler({ agentId: id, weight: 300 }, 0, { peerFetchesMax: 2, peerFetchesPerPeerMax: 2 });
      s.setPackages([pkgOf('p', 50)], 0);
      s.view.update(haveOf('holder', [{ id: 'p', count: 50, held: Array.from({ length: 50 }, (_, i) => i) }]), '10.0.0.9', 100);
      return fetches(s.tick(100)).map((f) => f.index).join(',');
    });
    assert.equal(new Set(picks).size, 3, picks.join(' | '));
  });
});
