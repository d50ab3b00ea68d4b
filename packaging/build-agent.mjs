#!/usr/bin/env node
// Bundles the agent into one ES module file with esbuild: dist/peerboot-agent.mjs (or the path
// given as the first argument). Node built-ins stay external; everything else (TypeBox, our code)
// is inlined, so a machine needs only `node` (>= 20) and this file. The bundle must not pull in
// server code (fastify, database drivers, prom-client): a metafile check fails the build if it does.
import { build } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = resolve(process.argv[2] ?? join(root, 'dist', 'peerboot-agent.mjs'));
mkdirSync(dirname(outfile), { recursive: true });
// The bundle has no package.json beside it: src/platform/version.ts takes the version from here.
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const result = await build({
  define: { PEERBOOT_VERSION: JSON.stringify(version) },
  entryPoints: [join(root, 'packaging', 'agent-entry.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: false,
  sourcemap: false,
  metafile: true,
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node\n// peerboot agent — single-file bundle (packaging/build-agent.mjs). Apache-2.0.' },
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs);
const forbidden = inputs.filter((p) => /(^|\/)src\/server\/|node_modules\/(fastify|better-sqlite3|pg|prom-client)\//.test(p));
if (forbidden.length > 0) {
  console.error(`agent bundle must not include server code, but it pulls in:\n  ${forbidden.join('\n  ')}`);
  process.exit(1);
}
const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs)[0]].bytes;
console.log(`${outfile}: ${(bytes / 1024).toFixed(0)} KiB from ${inputs.length} modules`);
