// Goal: the file-system chunk store and its memory twin keep one contract: content-addressed puts
// (a digest mismatch is refused), idempotent re-puts, digest-checked reads; the fs store leaves no
// temp files and reports a corrupted chunk instead of serving it.
// Method: one suite over both stores; then corrupt a file on disk.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { chunkSizeBytes } from '../../contract/manifest.js';
import { ServerError } from '../../contract/errors.js';
import { fsChunkStore, memoryChunkStore, type ChunkStore } from './content-store.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'peerboot-chunks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function suite(make: () => ChunkStore) {
  test('put / has / get / sizeOf, idempotent', async () => {
    const s = make();
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const h = sha(bytes);
    assert.equal(await s.has(h), false);
    assert.equal(await s.get(h), null);
    assert.equal(await s.put(h, bytes), true);
    assert.equal(await s.put(h, bytes), false, 'a second put of the same content is a no-op');
    assert.equal(await s.has(h), true);
    assert.deepEqual(new Uint8Array((await s.get(h))!), bytes);
    assert.equal(await s.sizeOf(h), 4);
  });
  test('refuses bytes that do not hash to the name, and oversized chunks', async () => {
    const s = make();
    await assert.rejects(s.put('0'.repeat(64), new Uint8Array([9])), (e: unknown) => e instanceof ServerError && e.code === 'SERVER_ERR_DIGEST_MISMATCH');
    const big = new Uint8Array(chunkSizeBytes + 1);
    await assert.rejects(s.put(sha(big), big), (e: unknown) => e instanceof ServerError && e.code === 'SERVER_ERR_PAYLOAD_TOO_LARGE');
    assert.equal(await s.has('0'.repeat(64)), false);
  });
}

describe('memory', () => suite(memoryChunkStore));
describe('fs', () => {
  let n = 0;
  suite(() => fsChunkStore(join(dir, `s${++n}`)));
  test('no temp files remain; a corrupted chunk is reported, not served', async () => {
    const root = join(dir, 'corrupt');
    const s = fsChunkStore(root);
    const bytes = new Uint8Array(5000).fill(7);
    const h = sha(bytes);
    await s.put(h, bytes);
    assert.deepEqual(readdirSync(join(root, h.slice(0, 2))), [h]);
    writeFileSync(join(root, h.slice(0, 2), h), 'tampered');
    await assert.rejects(s.get(h), /corrupt/);
  });
});
