#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (the "prepare" script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('peerboot: dist/ is missing; run `npm ci` (or `npm run build`) in the peerboot checkout first.');
  process.exit(1);
}
await import(entry.href);
