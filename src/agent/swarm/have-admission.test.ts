// Goal: a have message is bounded by the signed manifests before any signature work: entries for
// packages this agent does not want are dropped unread, and a wanted package stated with another
// chunk count refuses the whole message (security review H4: a made-up count of 2^32 − 1 chunks
// made every receiver allocate 512 MiB per entry). Method: admitHave on literal messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChunkHave, PackageHave } from '../../protocol/peer/chunk-have.js';
import { admitHave } from './have-admission.js';

const entry = (packageId: string, chunkCount: number): PackageHave => ({ packageId, complete: true, wanFetcher: false, chunkCount, firstChunk: 0, bitmap: new Uint8Array(0), wanInFlight: [] });
const have = (packages: PackageHave[]): ChunkHave => ({
  agentId: 'agent-2', siteId: 'site', chunkPort: 4017, intervalMs: 500, weight: 300, incarnation: '00112233445566aa', seq: 7, timestampMs: 0, address: '10.1.0.12', packages,
});
const wanted = new Map([['pkg-a', 300], ['pkg-b', 12]]);

test('wanted packages with the manifest chunk count pass; unknown ones are dropped unread', () => {
  const ok = admitHave(have([entry('pkg-a', 300), entry('unknown', 0xffffffff), entry('pkg-b', 12)]), (id) => wanted.get(id));
  assert.ok(ok.ok);
  assert.deepEqual(ok.have.packages.map((p) => p.packageId), ['pkg-a', 'pkg-b']);
  assert.equal(ok.ignored, 1);
  const same = have([entry('pkg-a', 300)]);
  const passed = admitHave(same, (id) => wanted.get(id));
  assert.ok(passed.ok && passed.have === same, 'nothing to drop: the message itself');
});

test('a wanted package with another chunk count refuses the message', () => {
  const r = admitHave(have([entry('pkg-b', 12), entry('pkg-a', 0xffffffff)]), (id) => wanted.get(id));
  assert.deepEqual(r, { ok: false, reason: 'chunk-count-mismatch', detail: 'pkg-a: 4294967295 chunks stated, the signed manifest has 300' });
});
