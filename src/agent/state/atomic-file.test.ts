// Goal: the agent's state files are replaced whole and privately: the new content with the given
// mode, no temporary file left behind, and a link at the target is replaced, never written through
// (the temporary file is created O_EXCL|O_NOFOLLOW under a random name). Method: real files in a
// temporary directory.
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeFileAtomic } from './atomic-file.js';

const dir = mkdtempSync(join(tmpdir(), 'peerboot-atomic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('replaces the file with the new content and mode, leaving no temporary file', () => {
  const path = join(dir, 'identity.json');
  writeFileAtomic(path, 'first');
  writeFileAtomic(path, 'second');
  assert.equal(readFileSync(path, 'utf8'), 'second');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  writeFileAtomic(join(dir, 'script.ipxe'), '#!ipxe\n', 0o644);
  assert.equal(statSync(join(dir, 'script.ipxe')).mode & 0o777, 0o644);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
});

test('a link at the target is replaced by the file; the link target is never written', () => {
  const outside = join(dir, 'outside.txt');
  writeFileSync(outside, 'untouched');
  const path = join(dir, 'certificate');
  symlinkSync(outside, path);
  writeFileAtomic(path, 'secret');
  assert.equal(readFileSync(outside, 'utf8'), 'untouched');
  assert.ok(lstatSync(path).isFile());
  assert.equal(readFileSync(path, 'utf8'), 'secret');
});
