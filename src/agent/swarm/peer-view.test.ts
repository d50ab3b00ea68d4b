// Goal: the who-has-what table merges bitmap windows, drops stale and replayed messages, resets on
// a restart (new incarnation), forgets silent neighbours; bans survive a restart without getting
// shorter. Method: feed hand-made have messages on a virtual clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChunkHave } from '../../protocol/peer/chunk-have.js';
import { PeerView, bitIsSet } from './peer-view.js';
import { PeerBans } from './peer-bans.js';

const have = (over: Partial<ChunkHave>, pkg: Partial<ChunkHave['packages'][number]> = {}): ChunkHave => ({
  agentId: 'a2', siteId: 's', chunkPort: 4017, intervalMs: 500, weight: 300, incarnation: '0000000000000001', seq: 1, timestampMs: 0, address: '10.0.0.2',
  packages: [{ packageId: 'p', complete: false, wanFetcher: false, chunkCount: 20, firstChunk: 0, bitmap: Uint8Array.of(0x80, 0, 0), wanInFlight: [], ...pkg }],
  ...over,
});

describe('PeerView', () => {
  it('merges windows of a large bitmap', () => {
    const v = new PeerView();
    v.update(have({ seq: 1 }, { firstChunk: 0, bitmap: Uint8Array.of(0x80) }), '10.0.0.2', 0);
    v.update(have({ seq: 2 }, { firstChunk: 16, bitmap: Uint8Array.of(0x10) }), '10.0.0.2', 10);
    const p = v.get('a2')!.packages.get('p')!;
    assert.deepEqual([...Array(20).keys()].filter((i) => bitIsSet(p.held, i)), [0, 19]);
    assert.equal(p.heldCount, 2);
  });

  it('drops stale sequence numbers and resets on a new incarnation', () => {
    const v = new PeerView();
    assert.equal(v.update(have({ seq: 5 }), '10.0.0.2', 0), 'accepted');
    assert.equal(v.update(have({ seq: 5 }), '10.0.0.9', 1), 'stale');
    assert.equal(v.get('a2')!.address, '10.0.0.2');
    assert.equal(v.update(have({ seq: 1, incarnation: '0000000000000002' }, { bitmap: Uint8Array.of(0, 0, 0) }), '10.0.0.3', 2), 'restarted');
    assert.equal(v.get('a2')!.packages.get('p')!.heldCount, 0);
    assert.equal(v.get('a2')!.address, '10.0.0.3');
  });

  it('a complete package holds every chunk; silent neighbours expire', () => {
    const v = new PeerView();
    v.update(have({}, { complete: true, bitmap: new Uint8Array(0) }), '10.0.0.2', 0);
    const p = v.get('a2')!.packages.get('p')!;
    assert.equal(p.heldCount, 20);
    assert.equal(bitIsSet(p.held, 20), false, 'no bit past the end');
    assert.equal(v.live(4000).length, 1);
    assert.deepEqual(v.expire(4001), ['a2']);
    assert.equal(v.live(4001).length, 0);
  });
});

describe('PeerBans', () => {
  it('doubles the overall ban per offence, capped; chunk bans are forever', () => {
    const b = new PeerBans({ baseMs: 1000, maxMs: 3000 });
    assert.deepEqual(b.recordBadBytes('x', 'c1', 0), { offences: 1, untilMs: 1000 });
    assert.deepEqual(b.recordBadBytes('x', 'c2', 0), { offences: 2, untilMs: 2000 });
    assert.deepEqual(b.recordBadBytes('x', 'c3', 0), { offences: 3, untilMs: 3000 });
    assert.equal(b.isPeerBanned('x', 2999), true);
    assert.equal(b.isPeerBanned('x', 3000), false);
    assert.equal(b.isChunkBanned('x', 'c1'), true);
    assert.equal(b.isChunkBanned('y', 'c1'), false);
  });

  it('round-trips through JSON; a restored ban starts again from now', () => {
    const b = new PeerBans({ baseMs: 1000 });
    b.recordBadBytes('x', 'c1', 0);
    const restored = PeerBans.fromJSON(JSON.parse(JSON.stringify(b)), 50_000, { baseMs: 1000 });
    assert.equal(restored.isChunkBanned('x', 'c1'), true);
    assert.equal(restored.isPeerBanned('x', 50_999), true);
    assert.equal(PeerBans.fromJSON('garbage', 0).chunkBanCount, 0);
  });
});
