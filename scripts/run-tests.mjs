#!/usr/bin/env node
// The one test command (README, .ci/run): lint, import rules (.dependency-cruiser.mjs), the
// build-file check (no test code in dist/), typecheck, unit tests (src/**), then the
// cross-process tests (test/**: real sockets, network namespaces, QEMU firmware), one file at a
// time because they share the machine's two cores and create namespaces.
//
// Usage: npm test [-- [--quick] [PATH_SUBSTRING ...]]
//   --quick   skip lint, import rules, build-file check and typecheck (for iterating on one area)
//   PATH_SUBSTRING  run only test files whose path contains one of these strings
// The last line printed is always `N passed, N failed, N skipped`, which CI reads.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filters = args.filter((a) => !a.startsWith('--'));
const totals = { passed: 0, failed: 0, skipped: 0 };

function step(name, cmd, cmdArgs) {
  console.log(`\n== ${name}: ${cmd} ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit' });
  if (r.status === 0) totals.passed += 1;
  else { totals.failed += 1; console.log(`✖ ${name} failed (exit ${r.status ?? r.signal})`); }
}

function findTests(dir) {
  let entries;
  try { entries = readdirSync(dir, { recursive: true, withFileTypes: false }); } catch { return []; }
  return entries
    .map((e) => join(dir, String(e)))
    .filter((p) => p.endsWith('.test.ts') && !p.includes('node_modules'))
    .filter((p) => filters.length === 0 || filters.some((f) => p.includes(f)))
    .sort();
}

function runNodeTests(name, files, concurrency) {
  if (files.length === 0) return;
  console.log(`\n== ${name}: ${files.length} file(s)`);
  const r = spawnSync(process.execPath, [
    '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', ...files,
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 512 * 1024 * 1024 });
  process.stdout.write(r.stdout ?? '');
  const count = (label) => {
    const m = new RegExp(`^ℹ ${label} (\\d+)$`, 'm').exec(r.stdout ?? '');
    return m ? Number(m[1]) : 0;
  };
  const pass = count('pass'); const fail = count('fail') + count('cancelled'); const skipped = count('skipped') + count('todo');
  totals.passed += pass; totals.failed += fail; totals.skipped += skipped;
  if (r.status !== 0 && fail === 0) { totals.failed += 1; console.log(`✖ ${name}: runner exited ${r.status ?? r.signal}`); }
}

// The web console's component and model tests run under vitest (happy-dom); its JSON report gives
// the counts added to the totals.
function runVitest(name) {
  let files;
  try { files = readdirSync('web/src', { recursive: true }).map((e) => join('web/src', String(e))); } catch { return; }
  files = files.filter((p) => /\.test\.tsx?$/.test(p)).filter((p) => filters.length === 0 || filters.some((f) => p.includes(f))).sort();
  if (files.length === 0) return;
  console.log(`\n== ${name}: ${files.length} file(s)`);
  const report = join('test-results', 'vitest.json');
  rmSync(report, { force: true });
  const r = spawnSync('npx', ['vitest', 'run', '--config', 'web/vite.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${join(process.cwd(), report)}`,
    ...files.map((f) => join(process.cwd(), f))], { stdio: 'inherit' });
  let counts = null;
  try { counts = JSON.parse(readFileSync(report, 'utf8')); } catch { counts = null; }
  if (counts) {
    totals.passed += counts.numPassedTests ?? 0;
    totals.failed += counts.numFailedTests ?? 0;
    totals.skipped += (counts.numPendingTests ?? 0) + (counts.numTodoTests ?? 0);
  }
  if (r.status !== 0 && !(counts && counts.numFailedTests > 0)) { totals.failed += 1; console.log(`✖ ${name}: vitest exited ${r.status ?? r.signal}`); }
}

if (!quick) {
  step('lint', 'npx', ['eslint', '.']);
  step('import rules', 'npx', ['depcruise', '--config', '.dependency-cruiser.mjs', 'src', 'test', 'bench', 'scripts', 'packaging', 'web/src']);
  step('build files', process.execPath, ['scripts/check-build-files.mjs']);
  step('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
}
runNodeTests('unit tests (src/)', findTests('src'), 2);
runVitest('web console tests (web/src/, vitest)');
runNodeTests('system tests (test/)', findTests('test'), 1);

console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed === 0 ? 0 : 1);
