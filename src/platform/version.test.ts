// Goal: the version every part reports is package.json's. Method: compare with the file itself.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { peerbootVersion } from './version.js';

test('peerbootVersion is the version in package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(peerbootVersion, pkg.version);
  assert.match(peerbootVersion, /^\d+\.\d+\.\d+/);
});
