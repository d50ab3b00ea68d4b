// Goal: packages land in the boot root byte-exact or not at all: chunks and files are checked
// against the signed manifest's SHA-256s, a tampered chunk is refused and retried, a restart with
// the server down finds verified packages ready without fetching, and a file damaged on disk is
// fetched again. Method: a PackageSync over temp dirs, an in-memory chunk source standing in for
// the server, a FakeClock for the retry backoff.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import type { PackageManifest } from '../../contract/manifest.js';
import { FakeClock } from '../../testkit/fake-clock.js';
import { PackageSync } from './package-sync.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const CHUNK = 1024 * 1024;

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'pb-pkg-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fixture() {
  const big = new Uint8Array(CHUNK + 1000).map((_, i) => (i * 7) & 0xff);
  const small = new TextEncoder().encode('#!ipxe\n');
  const store = new Map<string, Uint8Array>();
  const fileOf = (path: string, bytes: Uint8Array) => {
    const chunks: string[] = [];
    for (let off = 0; off < bytes.length; off += CHUNK) {
      const part = bytes.slice(off, off + CHUNK);
      store.set(sha(part), part);
      chunks.push(sha(part));
    }
    return { path, sizeBytes: bytes.length, sha256: sha(bytes), chunks };
  };
  const manifest: PackageManifest = {
    schemaVersion: 1, id: 'pkg-1', name: 'debian', version: 1, createdAt: '2026-11-25T00:00:00Z', chunkSizeBytes: CHUNK,
    files: [fileOf('vmlinuz', big), fileOf('sub/boot.ipxe', small)],
  };
  return { big, small, store, manifest };
}

async function until(what: string, fn: () => boolean, clock?: FakeClock): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (fn()) return;
    clock?.advance(1000);
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out: ${what}`);
}

test('fetches, verifies and places every file; reports readiness', async () => {
  const { big, small, store, manifest } = fixture();
  let changes = 0;
  let fetched = 0;
  const sync = new PackageSync({
    bootRoot: join(dir, 'boot'), stateDir: join(dir, 'state'), clock: new FakeClock(), onChange: () => changes++,
    fetchChunk: async (h) => { fetched++; return store.get(h)!; },
  });
  sync.setWanted([manifest]);
  assert.equal(sync.isReady('pkg-1'), false);
  await until('ready', () => sync.isReady('pkg-1'));
  assert.equal(changes, 1);
  assert.equal(fetched, 3);
  assert.deepEqual(readFileSync(join(dir, 'boot/p/pkg-1/vmlinuz')), Buffer.from(big));
  assert.deepEqual(readFileSync(join(dir, 'boot/p/pkg-1/sub/boot.ipxe')), Buffer.from(small));
  assert.deepEqual(sync.readiness(), [{ packageId: 'pkg-1', ready: true, chunksHeld: 3, chunksTotal: 3 }]);
});

test('a tampered chunk is refused; the retry (after backoff) completes once the source is right', async () => {
  const { store, manifest } = fixture();
  const clock = new FakeClock();
  let tamper = true;
  const sync = new PackageSync({
    bootRoot: join(dir, 'boot'), stateDir: join(dir, 'state'), clock, onChange: () => {}, retryMs: [1000, 4000],
    fetchChunk: async (h) => { const b = new Uint8Array(store.get(h)!); if (tamper) b[0] = b[0]! ^ 1; return b; },
  });
  sync.setWanted([manifest]);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(sync.isReady('pkg-1'), false);
  tamper = false;
  await until('ready after retry', () => sync.isReady('pkg-1'), clock);
});

test('a restart with the server down finds verified packages ready; a damaged file is fetched again', async () => {
  const { big, store, manifest } = fixture();
  const opts = { bootRoot: join(dir, 'boot'), stateDir: join(dir, 'state'), clock: new FakeClock(), onChange: () => {} };
  const first = new PackageSync({ ...opts, fetchChunk: async (h) => store.get(h)! });
  first.setWanted([manifest]);
  await until('ready', () => first.isReady('pkg-1'));
  first.stop();

  const down = new PackageSync({ ...opts, fetchChunk: async () => { throw new Error('ECONNREFUSED'); } });
  down.setWanted([manifest]);
  await until('ready without the server', () => down.isReady('pkg-1'));
  down.stop();

  const damaged = new Uint8Array(big);
  damaged[10] = damaged[10]! ^ 0xff;
  writeFileSync(join(dir, 'boot/p/pkg-1/vmlinuz'), damaged);
  let fetched = 0;
  const again = new PackageSync({ ...opts, fetchChunk: async (h) => { fetched++; return store.get(h)!; } });
  again.setWanted([manifest]);
  await until('ready again', () => again.isReady('pkg-1'));
  assert.equal(fetched, 2, 'only the damaged file was fetched again');
  assert.deepEqual(readFileSync(join(dir, 'boot/p/pkg-1/vmlinuz')), Buffer.from(big));
});

test('a manifest path that would leave the boot root is refused', async () => {
  const { manifest, store } = fixture();
  const evil = { ...manifest, id: 'pkg-evil', files: [{ ...manifest.files[1]!, path: '../../escape' }] };
  const sync = new PackageSync({ bootRoot: join(dir, 'boot'), stateDir: join(dir, 'state'), clock: new FakeClock(), onChange: () => {}, fetchChunk: async (h) => store.get(h)! });
  sync.setWanted([evil]);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(sync.isReady('pkg-evil'), false);
});
