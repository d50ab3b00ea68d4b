#!/usr/bin/env node
// Fails if the shipped build holds test code. It lists what `tsc -p tsconfig.build.json` compiles
// into dist/ and flags every file that is
//   - test-only by its place or name (src/testkit/, *.test.ts, *.suite.ts, *-fixture.ts: the
//     TEST_ONLY list in .dependency-cruiser.mjs), or
//   - not reached from a shipped entry point (the CLI: src/cli/main.ts, run by bin/peerboot.js; the
//     agent bundle: packaging/agent-entry.ts; the console: web/src/main.tsx) but reached from tests
//     or benchmarks: code only tests use.
// A file reached from nothing at all (not wired in yet, or dead) is reported as a warning only.
// The import graph comes from dependency-cruiser with the repository's config (type-only imports
// count). Run by scripts/run-tests.mjs; docs/ARCHITECTURE.md "Product and test code".
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { TEST_ONLY, TEST_SIDE } from '../.dependency-cruiser.mjs';

const ENTRY_POINTS = ['src/cli/main.ts', 'packaging/agent-entry.ts', 'web/src/main.tsx'];
const CRUISED = ['src', 'test', 'bench', 'scripts', 'packaging', 'web/src'];

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0 && !r.stdout) {
    console.error(`check-build-files: \`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal})\n${r.stderr}`);
    process.exit(2);
  }
  return r.stdout;
}

const built = run('npx', ['tsc', '-p', 'tsconfig.build.json', '--listFilesOnly'])
  .split('\n').map((l) => l.trim()).filter(Boolean)
  .map((f) => relative(process.cwd(), f).split('\\').join('/'))
  .filter((f) => !f.startsWith('node_modules/') && !f.startsWith('..'));

const graph = JSON.parse(run('npx', ['depcruise', '--config', '.dependency-cruiser.mjs', '--output-type', 'json', ...CRUISED]));
const importsOf = new Map(graph.modules.map((m) => [m.source, m.dependencies.map((d) => d.resolved)]));
const importersOf = new Map();
for (const [from, tos] of importsOf) for (const to of tos) importersOf.set(to, [...(importersOf.get(to) ?? []), from]);

/** Every file reached by following imports from `roots`. */
function reachedFrom(roots) {
  const seen = new Set();
  const pending = [...roots];
  while (pending.length > 0) {
    const file = pending.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    pending.push(...(importsOf.get(file) ?? []));
  }
  return seen;
}
const matches = (file, patterns) => patterns.some((p) => new RegExp(p).test(file));
const shipped = reachedFrom(ENTRY_POINTS);
const usedByTests = reachedFrom([...importsOf.keys()].filter((f) => matches(f, TEST_SIDE)));

const offending = [];
const unused = [];
for (const file of built) {
  const importers = (importersOf.get(file) ?? []).join(', ') || 'nothing';
  const pulledInBy = (importersOf.get(file) ?? []).filter((f) => !matches(f, TEST_SIDE)).join(', ') || 'tsconfig.build.json include';
  if (matches(file, TEST_ONLY)) offending.push(`${file}: test-only by place or name (pulled in by ${pulledInBy})`);
  else if (shipped.has(file)) continue;
  else if (usedByTests.has(file)) offending.push(`${file}: used only by tests or benchmarks (imported by ${importers})`);
  else unused.push(`${file}: reached from no entry point and no test (imported by ${importers})`);
}

if (unused.length > 0) {
  console.log(`check-build-files: warning: ${unused.length} file(s) in the build that nothing uses yet:`);
  for (const line of unused) console.log(`  ${line}`);
}
if (offending.length > 0) {
  console.error(`check-build-files: tsconfig.build.json would put ${offending.length} file(s) that are not product code into dist/:`);
  for (const line of offending) console.error(`  ${line}`);
  console.error('Move test code to src/testkit/ (or name it *.test.ts, *.suite.ts, *-fixture.ts); see docs/ARCHITECTURE.md "Product and test code".');
  process.exit(1);
}
console.log(`check-build-files: ${built.length} files in the build, no test code`);
