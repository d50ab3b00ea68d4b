// Goal: the fs chunk cache and its memory twin both pass the one conformance suite, and the fs
// store's crash and disk-full behaviour holds on a real file system.
// Method: chunkStoreConformance against both; then fs-only cases in a temp directory (a crash
// leftover in tmp/, a write failing half-way with ENOSPC, a torn file planted under a chunk name).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkStoreConformance } from './chunk-store.suite.js';
import { memoryChunkStore } from '../../testkit/memory-chunk-store.js';
import { openFsChunkStore, writeFileDurably } from './fs-chunk-store.js';
import { ChunkStoreError, sha256Hex } from './chunk-store.js';

chunkStoreConformance('memory', async ({ capacityBytes }) => {
  const store = memoryChunkStore({ capacityBytes });
  return { store, damage: async (sha) => store.damage(sha), reopen: async () => store, close: async () => {} };
});

/** A durable writer that fails with ENOSPC (after writing half the bytes) once `capacityBytes` would be exceeded. */
function fullDiskWriter(capacityBytes: number) {
  let used = 0;
  return async (path: string, bytes: Uint8Array) => {
    if (used + bytes.byteLength > capacityBytes) {
      writeFileSync(path, bytes.subarray(0, bytes.byteLength >> 1));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    await writeFileDurably(path, bytes);
    used += bytes.byteLength;
  };
}

chunkStoreConformance('fs', async ({ capacityBytes }) => {
  const root = mkdtempSync(join(tmpdir(), 'pb-chunks-'));
  const options = capacityBytes === undefined ? {} : { writeDurably: fullDiskWriter(capacityBytes) };
  const store = await openFsChunkStore(root, options);
  return {
    store,
    damage: async (sha) => {
      const path = join(root, 'chunks', sha.slice(0, 2), sha);
      const bytes = readFileSync(path);
      if (bytes.length === 0) writeFileSync(path, Buffer.of(0));
      else { bytes[0] = bytes[0]! ^ 0xff; writeFileSync(path, bytes); }
    },
    reopen: () => openFsChunkStore(root, options),
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});

describe('fs chunk store: crashes and full disks', () => {
  const bytes = Buffer.from('some chunk bytes '.repeat(100));
  const sha = sha256Hex(bytes);

  it('removes temp files a crash left behind and keeps whole chunks', async () => {
    // Goal: after a power cut mid-write, the next start sees whole chunks only.
    // Method: store one chunk, plant a half-written temp file as a crash would leave it, reopen.
    const root = mkdtempSync(join(tmpdir(), 'pb-chunks-'));
    try {
      const store = await openFsChunkStore(root);
      await store.put(sha, bytes);
      writeFileSync(join(root, 'tmp', `${'0'.repeat(64)}.abc.tmp`), bytes.subarray(0, 10));
      const again = await openFsChunkStore(root);
      assert.equal(again.tempFilesRemoved, 1);
      assert.deepEqual(readdirSync(join(root, 'tmp')), []);
      assert.deepEqual((await again.list()).map((c) => c.sha256), [sha]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('ENOSPC half-way through a write leaves no temp file and no chunk', async () => {
    // Goal: a full disk never leaves a partial file anywhere. Method: writer that fails after half.
    const root = mkdtempSync(join(tmpdir(), 'pb-chunks-'));
    try {
      const store = await openFsChunkStore(root, { writeDurably: fullDiskWriter(0) });
      await assert.rejects(store.put(sha, bytes), (e) => e instanceof ChunkStoreError && e.code === 'PEERBOOT_ERR_CACHE_DISK_FULL' && e.message.includes(root));
      assert.deepEqual(readdirSync(join(root, 'tmp')), []);
      assert.equal(await store.has(sha), false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a truncated file under a chunk name (disk fault) is detected on read', async () => {
    // Goal: verify on read catches what atomic writes cannot (media errors, manual copies).
    // Method: write the first half of the chunk straight into chunks/ under its name.
    const root = mkdtempSync(join(tmpdir(), 'pb-chunks-'));
    try {
      const store = await openFsChunkStore(root);
      mkdirSync(join(root, 'chunks', sha.slice(0, 2)), { recursive: true });
      writeFileSync(join(root, 'chunks', sha.slice(0, 2), sha), bytes.subarray(0, 100));
      assert.equal(await store.has(sha), true);
      const r = await store.read(sha);
      assert.equal(r.kind, 'corrupt');
      assert.equal(await store.has(sha), false);
      assert.equal(await store.put(sha, bytes), 'stored');
      assert.equal(await store.verify(sha), 'ok');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('ignores foreign files in the cache directories', async () => {
    // Goal: list() reports chunks only. Method: drop a stray file and a misplaced chunk name.
    const root = mkdtempSync(join(tmpdir(), 'pb-chunks-'));
    try {
      const store = await openFsChunkStore(root);
      await store.put(sha, bytes);
      writeFileSync(join(root, 'chunks', sha.slice(0, 2), 'README'), 'x');
      mkdirSync(join(root, 'chunks', 'zz'), { recursive: true });
      mkdirSync(join(root, 'chunks', 'ff'), { recursive: true });
      writeFileSync(join(root, 'chunks', 'ff', sha), bytes);
      assert.deepEqual((await store.list()).map((c) => c.sha256), [sha]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
