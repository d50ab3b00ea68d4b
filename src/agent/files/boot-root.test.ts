// Goal: BootRoot serves regular files inside the root under any letter case and separator, refuses
// every way out (.., symlinks to files or directories outside), notices directory changes, and
// shares one descriptor and one bounded read-ahead cache between users of the same file.
// Method: a temporary tree with symlinks in and out, resolved and read through the public API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink, rename, rm, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BootRoot, BootRootError } from './boot-root.js';

let base: string;
let root: string;
const nbp = randomBytes(3000);

before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'peerboot-bootroot-')));
  root = join(base, 'root');
  await mkdir(join(root, 'Boot', 'x64'), { recursive: true });
  await writeFile(join(root, 'Boot', 'x64', 'pxeboot.n12'), nbp);
  await writeFile(join(root, 'pxelinux.0'), 'pxelinux');
  await writeFile(join(root, 'A.txt'), 'upper');
  await writeFile(join(root, 'a.txt'), 'lower');
  await mkdir(join(root, 'dir'));
  await writeFile(join(base, 'secret'), 'outside the root');
  await symlink(join(base, 'secret'), join(root, 'to-secret'));
  await symlink(base, join(root, 'to-base'));
  await symlink(join(root, 'pxelinux.0'), join(root, 'alias.0'));
  await symlink(join(root, 'nowhere'), join(root, 'dangling'));
  await symlink(root, join(base, 'root-link'));
});

after(async () => {
  await rm(base, { recursive: true, force: true });
});

test('resolves Windows-style paths in any case to the real file and its size', async () => {
  const br = new BootRoot(root);
  for (const request of ['\\Boot\\X64\\PXEBOOT.N12', 'boot/x64/pxeboot.n12', '/BOOT\\x64//PxeBoot.n12', './Boot/x64/pxeboot.n12']) {
    assert.deepEqual(await br.resolve(request), { ok: true, path: join(root, 'Boot', 'x64', 'pxeboot.n12'), size: nbp.length }, request);
  }
});

test('an exact-case name wins over a case-folded one', async () => {
  const br = new BootRoot(root);
  assert.deepEqual(await br.resolve('a.txt'), { ok: true, path: join(root, 'a.txt'), size: 5 });
  assert.deepEqual(await br.resolve('A.txt'), { ok: true, path: join(root, 'A.txt'), size: 5 });
});

test('symlinks inside the root are followed; symlinks leaving it are access violations', async () => {
  const br = new BootRoot(root);
  assert.deepEqual(await br.resolve('alias.0'), { ok: true, path: join(root, 'pxelinux.0'), size: 8 });
  for (const request of ['to-secret', 'TO-SECRET', 'to-base/secret', 'to-base/root/pxelinux.0']) {
    const r = await br.resolve(request);
    assert.equal(r.ok, false, request);
    if (!r.ok) {
      assert.equal(r.code, 'accessViolation', request);
      assert.match(r.reason, /outside the root/);
    }
  }
});

test('escapes by path are refused before touching the disk; missing things are notFound', async () => {
  const br = new BootRoot(root);
  const refused = await br.resolve('../secret');
  assert.equal(refused.ok, false);
  if (!refused.ok) assert.equal(refused.code, 'accessViolation');
  for (const request of ['missing.bin', 'Boot/x64/missing', 'dir', 'Boot', 'dangling', 'pxelinux.0/x', '']) {
    const r = await br.resolve(request);
    assert.equal(r.ok, false, request);
    if (!r.ok) assert.equal(r.code, 'notFound', request);
  }
});

test('a root given through a symlink still confines to the real root', async () => {
  const br = await BootRoot.open(join(base, 'root-link'));
  assert.equal(await br.realRoot(), root);
  const r = await br.resolve('PXELINUX.0');
  assert.deepEqual(r, { ok: true, path: join(root, 'pxelinux.0'), size: 8 });
  const out = await br.resolve('to-secret');
  assert.equal(out.ok, false);
});

test('directory changes are seen: new files, renamed directories', async () => {
  const br = new BootRoot(root);
  assert.equal((await br.resolve('late.bin')).ok, false);
  await writeFile(join(root, 'late.bin'), 'x');
  assert.equal((await br.resolve('LATE.BIN')).ok, true);
  await mkdir(join(root, 'Moving'));
  await writeFile(join(root, 'Moving', 'f'), 'f');
  assert.equal((await br.resolve('moving/F')).ok, true);
  await rename(join(root, 'Moving'), join(root, 'Moved'));
  assert.equal((await br.resolve('moving/F')).ok, false);
  assert.equal((await br.resolve('MOVED/f')).ok, true);
});

test('open() refuses a missing root or a file, with a code and a fix', async () => {
  await assert.rejects(BootRoot.open(join(base, 'nope')), (err: unknown) => {
    assert.ok(err instanceof BootRootError);
    assert.equal(err.code, 'PEERBOOT_ERR_ROOT_MISSING');
    assert.match(err.message, /does not exist: create it/);
    return true;
  });
  await assert.rejects(BootRoot.open(join(base, 'secret')), (err: unknown) => {
    assert.ok(err instanceof BootRootError);
    assert.equal(err.code, 'PEERBOOT_ERR_ROOT_NOT_DIRECTORY');
    return true;
  });
});

test('openShared shares one descriptor; cached reads copy exact bytes across chunk boundaries', async () => {
  const br = new BootRoot(root, { chunkBytes: 1024, cacheBudgetBytes: 8 * 1024, fileLingerMs: 0 });
  const path = join(root, 'Boot', 'x64', 'pxeboot.n12');
  const a = await br.openShared(path);
  const b = await br.openShared(path);
  assert.equal(br.openFileCount(), 1);
  assert.equal(a.handle, b.handle);
  assert.equal(a.size, nbp.length);
  const target = Buffer.alloc(1500);
  assert.equal(a.readCached(900, target, 4, 1468), false, 'nothing is cached before a prefetch');
  await a.prefetch(900, 1468);
  assert.equal(b.readCached(900, target, 4, 1468), true, 'the other lease sees the shared cache');
  assert.deepEqual(target.subarray(4, 4 + 1468), nbp.subarray(900, 900 + 1468));
  // Past the end of the file nothing is served from the cache.
  assert.equal(b.readCached(2000, target, 0, 1468), false);
  const direct = Buffer.alloc(3000);
  assert.equal(await a.read(direct, 0, 3000, 0), nbp.length);
  assert.deepEqual(direct, nbp);
  a.release();
  a.release(); // a second release of the same lease is harmless
  assert.equal(br.openFileCount(), 1);
  b.release();
  await new Promise((r) => setImmediate(r));
  assert.equal(br.openFileCount(), 0, 'closed when the last lease is released (linger 0)');
  await br.close();
});

test('the read-ahead cache stays within its budget and still serves correct bytes', async () => {
  const big = randomBytes(64 * 1024);
  await writeFile(join(root, 'big.bin'), big);
  const br = new BootRoot(root, { chunkBytes: 4096, cacheBudgetBytes: 4 * 4096, fileLingerMs: 0 });
  const file = await br.openShared(join(root, 'big.bin'));
  const block = Buffer.alloc(1000);
  for (let position = 0; position + 1000 <= big.length; position += 1000) {
    if (!file.readCached(position, block, 0, 1000)) await file.prefetch(position, 1000);
    assert.equal(file.readCached(position, block, 0, 1000), true, `position ${position}`);
    assert.deepEqual(block, big.subarray(position, position + 1000));
    assert.ok(br.cache.bytesHeld <= 4 * 4096, 'cache over budget');
  }
  file.release();
  await br.close();
});

test('a replaced file gets a new descriptor; old users keep the old one', async () => {
  const path = join(root, 'swap.bin');
  await writeFile(path, 'first version');
  const br = new BootRoot(root, { fileLingerMs: 0 });
  const old = await br.openShared(path);
  await writeFile(join(root, 'swap.tmp'), 'second version!');
  await rename(join(root, 'swap.tmp'), path);
  const fresh = await br.openShared(path);
  assert.notEqual(old.handle, fresh.handle);
  assert.equal(old.size, 13);
  assert.equal(fresh.size, 15);
  assert.equal(br.openFileCount(), 2);
  old.release();
  fresh.release();
  await br.close();
  assert.equal(br.openFileCount(), 0);
});
