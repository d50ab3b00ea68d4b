/**
 * The conformance suite every ChunkStore passes (after spegel's `storetest` ProviderConformance):
 * one set of tests, run by chunk-store.test.ts against the fs store and the memory store, so the
 * twin the simulations use behaves like the real cache.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkStoreError, sha256Hex, type ChunkStore } from './chunk-store.js';

export interface ChunkStoreHarness {
  store: ChunkStore;
  /** Corrupts the stored copy of `sha256` behind the store's back (bit rot). */
  damage(sha256: string): Promise<void>;
  /** A new store over the same storage (a process restart); memory stores return themselves. */
  reopen(): Promise<ChunkStore>;
  close(): Promise<void>;
}

/** Builds a harness; `capacityBytes` makes the store report a full disk once that much is stored. */
export type ChunkStoreFactory = (options: { capacityBytes?: number }) => Promise<ChunkStoreHarness>;

function chunkOf(label: string, sizeBytes = 1000): { sha: string; bytes: Uint8Array } {
  const bytes = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) bytes[i] = (label.charCodeAt(i % label.length) + i * 7) & 0xff;
  return { sha: sha256Hex(bytes), bytes };
}

const codeOf = (error: unknown) => (error instanceof ChunkStoreError ? error.code : `not a ChunkStoreError: ${String(error)}`);

export function chunkStoreConformance(name: string, factory: ChunkStoreFactory): void {
  describe(`ChunkStore conformance: ${name}`, () => {
    const withStore = (capacityBytes: number | undefined, body: (h: ChunkStoreHarness) => Promise<void>) => async () => {
      const h = await factory({ capacityBytes });
      try {
        await body(h);
      } finally {
        await h.close();
      }
    };

    it('stores a chunk under its digest and reads the same bytes back', withStore(undefined, async ({ store }) => {
      // Goal: the basic round trip. Method: put, then has/read/list/verify.
      const c = chunkOf('a', 4096);
      assert.equal(await store.has(c.sha), false);
      assert.equal(await store.put(c.sha, c.bytes), 'stored');
      assert.equal(await store.has(c.sha), true);
      const r = await store.read(c.sha);
      assert.equal(r.kind, 'ok');
      assert.deepEqual(r.kind === 'ok' && Buffer.from(r.bytes), Buffer.from(c.bytes));
      assert.deepEqual(await store.list(), [{ sha256: c.sha, sizeBytes: 4096 }]);
      assert.equal(await store.verify(c.sha), 'ok');
    }));

    it('refuses bytes that do not hash to the name, and stores nothing', withStore(undefined, async ({ store }) => {
      // Goal: content addressing on write. Method: offer chunk b's bytes under chunk a's name.
      const a = chunkOf('a');
      const b = chunkOf('b');
      await assert.rejects(store.put(a.sha, b.bytes), (e) => codeOf(e) === 'PEERBOOT_ERR_CHUNK_DIGEST_MISMATCH');
      assert.equal(await store.has(a.sha), false);
      assert.deepEqual(await store.list(), []);
    }));

    it('refuses malformed names and oversized chunks', withStore(undefined, async ({ store }) => {
      // Goal: names are 64 lower-case hex digits (no path tricks); a chunk is at most 1 MiB.
      const a = chunkOf('a');
      await assert.rejects(store.put('../../etc/passwd', a.bytes), (e) => codeOf(e) === 'PEERBOOT_ERR_CHUNK_NAME');
      await assert.rejects(store.put(a.sha.toUpperCase(), a.bytes), (e) => codeOf(e) === 'PEERBOOT_ERR_CHUNK_NAME');
      const big = chunkOf('big', 1024 * 1024 + 1);
      await assert.rejects(store.put(big.sha, big.bytes), (e) => codeOf(e) === 'PEERBOOT_ERR_CHUNK_TOO_LARGE');
      assert.deepEqual(await store.read('../../etc/passwd'), { kind: 'absent' });
      assert.equal(await store.has('zz'), false);
    }));

    it('accepts a full 1 MiB chunk and an empty chunk', withStore(undefined, async ({ store }) => {
      // Goal: both size limits are inclusive. Method: 1 MiB exactly, and 0 bytes (an empty file's chunk).
      const full = chunkOf('full', 1024 * 1024);
      const empty = chunkOf('e', 0);
      assert.equal(await store.put(full.sha, full.bytes), 'stored');
      assert.equal(await store.put(empty.sha, empty.bytes), 'stored');
      const r = await store.read(empty.sha);
      assert.equal(r.kind === 'ok' && r.bytes.byteLength, 0);
    }));

    it('a second put of the same chunk reports present', withStore(undefined, async ({ store }) => {
      const a = chunkOf('a');
      assert.equal(await store.put(a.sha, a.bytes), 'stored');
      assert.equal(await store.put(a.sha, a.bytes), 'present');
      assert.equal((await store.list()).length, 1);
    }));

    it('reads and deletes of absent chunks are values, not faults', withStore(undefined, async ({ store }) => {
      const a = chunkOf('a');
      assert.deepEqual(await store.read(a.sha), { kind: 'absent' });
      assert.equal(await store.verify(a.sha), 'absent');
      assert.equal(await store.delete(a.sha), false);
      await store.put(a.sha, a.bytes);
      assert.equal(await store.delete(a.sha), true);
      assert.equal(await store.has(a.sha), false);
    }));

    it('a chunk damaged at rest is reported corrupt, removed, and never returned', withStore(undefined, async (h) => {
      // Goal: verify on read. Method: flip a stored byte behind the store's back, then read.
      const a = chunkOf('a');
      const b = chunkOf('b');
      await h.store.put(a.sha, a.bytes);
      await h.store.put(b.sha, b.bytes);
      await h.damage(a.sha);
      const r = await h.store.read(a.sha);
      assert.equal(r.kind, 'corrupt');
      assert.equal(await h.store.has(a.sha), false, 'the corrupt copy is gone');
      assert.equal(await h.store.verify(b.sha), 'ok', 'other chunks are untouched');
      await h.damage(b.sha);
      assert.equal(await h.store.verify(b.sha), 'corrupt');
      assert.equal(await h.store.put(a.sha, a.bytes), 'stored', 'a good copy can be stored again');
    }));

    it('a full disk fails the one write with a clear error and leaves the cache intact', withStore(3000, async ({ store }) => {
      // Goal: disk full is a clear error; nothing stored before is lost, nothing half-written appears.
      // Method: capacity 3000 bytes; two 1000-byte chunks fit, a 1500-byte one does not.
      const a = chunkOf('a');
      const b = chunkOf('b');
      const c = chunkOf('c', 1500);
      await store.put(a.sha, a.bytes);
      await store.put(b.sha, b.bytes);
      await assert.rejects(store.put(c.sha, c.bytes), (e) => {
        assert.equal(codeOf(e), 'PEERBOOT_ERR_CACHE_DISK_FULL');
        assert.match((e as Error).message, /free space/);
        assert.doesNotMatch((e as Error).message, /\n/);
        return true;
      });
      assert.equal(await store.has(c.sha), false);
      assert.deepEqual((await store.list()).map((x) => x.sha256).sort(), [a.sha, b.sha].sort());
      assert.equal(await store.verify(a.sha), 'ok');
      assert.equal(await store.verify(b.sha), 'ok');
    }));

    it('chunks survive a reopen (process restart)', withStore(undefined, async (h) => {
      // Goal: resume after restart starts from what is stored. Method: put, reopen, read.
      const a = chunkOf('a');
      await h.store.put(a.sha, a.bytes);
      const again = await h.reopen();
      assert.equal(await again.verify(a.sha), 'ok');
      assert.deepEqual((await again.list()).map((x) => x.sha256), [a.sha]);
    }));

    it('bytes returned by read are the caller\'s own copy', withStore(undefined, async ({ store }) => {
      // Goal: a caller mutating a buffer cannot corrupt the store. Method: scribble on a read result.
      const a = chunkOf('a');
      const input = Uint8Array.from(a.bytes);
      await store.put(a.sha, input);
      input[0] = (input[0]! + 1) & 0xff;
      const r1 = await store.read(a.sha);
      assert.equal(r1.kind, 'ok');
      if (r1.kind === 'ok') r1.bytes[1] = (r1.bytes[1]! + 1) & 0xff;
      assert.equal(await store.verify(a.sha), 'ok');
    }));
  });
}
