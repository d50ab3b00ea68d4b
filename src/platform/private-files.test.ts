// Goal: secrets never depend on the umask (security review H5: a pre-existing 0755 data directory
// left the database, with the signing key, readable by every local user). A data directory is
// created 0700; an existing one open to others is refused with the chmod that fixes it; a secret
// file is created 0600, an existing looser one narrowed, and a link in its place is refused.
// Method: real folders and files under a temporary directory.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PeerbootError } from '../contract/error-codes.js';
import { ensurePrivateDirectory, ensurePrivateFile } from './private-files.js';

const dir = mkdtempSync(join(tmpdir(), 'peerboot-private-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const mode = (p: string) => statSync(p).mode & 0o777;

test('a new data directory is 0700; an existing one open to others is refused naming the fix', () => {
  const fresh = join(dir, 'fresh', 'data');
  ensurePrivateDirectory(fresh, 'the server data directory');
  assert.equal(mode(fresh), 0o700);
  ensurePrivateDirectory(fresh, 'the server data directory');
  const loose = join(dir, 'loose');
  mkdirSync(loose);
  chmodSync(loose, 0o755);
  assert.throws(() => ensurePrivateDirectory(loose, 'the server data directory'), (e: unknown) =>
    e instanceof PeerbootError && e.code === 'PEERBOOT_ERR_LOOSE_PERMISSIONS'
    && e.message === `the server data directory ${loose} is open to other users (mode 0755) and holds secrets: chmod 700 ${loose}`);
});

test('a secret file: created 0600, a looser one narrowed, a link refused', () => {
  const db = join(dir, 'peerboot.db');
  ensurePrivateFile(db);
  assert.equal(mode(db), 0o600);
  chmodSync(db, 0o644);
  ensurePrivateFile(db);
  assert.equal(mode(db), 0o600);
  const target = join(dir, 'elsewhere');
  writeFileSync(target, 'x', { mode: 0o644 });
  const link = join(dir, 'link.db');
  symlinkSync(target, link);
  assert.throws(() => ensurePrivateFile(link), (e: unknown) => e instanceof PeerbootError && /is not a regular file/.test(e.message));
  assert.equal(mode(target), 0o644, 'the link target was not touched');
});
