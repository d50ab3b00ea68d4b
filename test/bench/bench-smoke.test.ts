// Goal: the boot transfer bench (bench/run.ts --quick) runs end to end against peerboot and one
// anchor per lane (tftpd-hpa for TFTP, nginx for HTTP), and every download it makes is verified.
// Method: run the quick mode as a child process with --json, then read the raw results: every row
// must hold a peerboot cell and an anchor cell, every cell must have completed all its rounds with
// 0 failed downloads (a failure includes a size or sha256 mismatch) and a positive speed. No speed
// is asserted here: speed targets live in the bench's own table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

interface Cell { server: string; mbps: number[]; failures: number; errors: string[] }
interface Row { client: string; file: string; concurrency: number; rounds: number; cells: Cell[] }

const missing = ['in.tftpd', 'nginx', 'curl', 'busybox', 'atftp', 'gcc'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const skipReason = process.getuid?.() !== 0
  ? 'needs root (network namespaces)'
  : missing.length > 0 ? `missing ${missing.join(', ')}: run bash bench/install.sh` : false;

const benchNamespaces = () => new Set(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout
  .split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.startsWith('pbbn')));

test('bench quick mode: peerboot and one anchor per lane, every download verified', { skip: skipReason, timeout: 600_000 }, () => {
  // Namespaces of other bench runs on this machine (a developer's full run) are not ours to judge.
  const before = benchNamespaces();
  const json = join(tmpdir(), `bench-smoke-${process.pid}.json`);
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--servers', 'peerboot,tftpd-hpa', '--json', json], {
      cwd: repo, encoding: 'utf8', timeout: 540_000,
    });
    assert.ok(existsSync(json), `bench wrote no results (exit ${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
    const result = JSON.parse(readFileSync(json, 'utf8')) as { peerbootReady: boolean; tftp: Row[]; http: Row[] };
    assert.equal(result.peerbootReady, true, '`peerboot tftp` must be available to the bench');
    assert.ok(result.tftp.length >= 3, 'the quick plan has TFTP rows (loopback, storm, lossy path)');
    assert.ok(result.http.length >= 1, 'the quick plan has HTTP rows');
    for (const [lane, rows, anchor] of [['tftp', result.tftp, 'tftpd-hpa'], ['http', result.http, 'nginx']] as const) {
      for (const row of rows) {
        const where = `${lane} ${row.client} ${row.file} ×${row.concurrency}`;
        assert.deepEqual(row.cells.map((c) => c.server).sort(), ['peerboot', anchor].sort(), `${where}: servers`);
        for (const cell of row.cells) {
          assert.equal(cell.failures, 0, `${where} ${cell.server}: ${cell.errors.join('; ')}`);
          assert.equal(cell.mbps.length, row.rounds, `${where} ${cell.server}: one speed per round`);
          for (const v of cell.mbps) assert.ok(v > 0, `${where} ${cell.server}: speed ${v}`);
        }
      }
    }
    assert.equal(r.status, 0, `bench exit code (1 = a download failed)\n${r.stdout.slice(-2000)}`);
  } finally {
    rmSync(json, { force: true });
  }
  // Nothing left behind: no bench namespace.
  const left = [...benchNamespaces()].filter((name) => !before.has(name));
  assert.deepEqual(left, [], `bench namespaces left: ${left.join(', ')}`);
});
