// Goal: one registry of error codes for everything that runs on a machine: every PEERBOOT_ERR_*
// code written anywhere in src/ is in it, every code in it is used, and docs/errors.md lists each
// one. Method: scan the source tree's text; read the docs table.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { peerbootErrorCodes } from './error-codes.js';

const srcDir = join(import.meta.dirname, '..');
const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'errors.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && p !== join(import.meta.dirname, 'error-codes.ts') ? [p] : [];
  });
}

test('every code used in src/ is in the registry, and every registered code is used', () => {
  const used = new Map<string, string>();
  for (const file of sources(srcDir)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/PEERBOOT_ERR_[A-Z0-9_]+/g)) used.set(m[0], file);
  }
  const registered = new Set(Object.keys(peerbootErrorCodes));
  for (const [code, file] of used) assert.ok(registered.has(code), `${code} (in ${file}) is not in src/contract/error-codes.ts`);
  for (const code of registered) assert.ok(used.has(code), `${code} is registered but nothing uses it`);
});

test('docs/errors.md lists every code, once', () => {
  const listed = [...docs.matchAll(/^\| `(PEERBOOT_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual([...listed].sort(), Object.keys(peerbootErrorCodes).sort());
});
