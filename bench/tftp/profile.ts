/**
 * Where does peerboot's TFTP server spend its CPU? Starts `peerboot tftp` under `node --cpu-prof`
 * in a private loopback namespace, runs a few downloads with one client, stops it cleanly (the
 * profile is written on exit), and prints the functions with the most self time, plus the total
 * split between our code, Node internals, GC and idle.
 *
 * Usage (root): node --import tsx bench/tftp/profile.ts [--client curl] [--file boot-32m.bin] [--runs 3] [--concurrency 1] [--src]
 *   --src   profile the TypeScript sources through tsx instead of the compiled dist/ (needs no build)
 * The .cpuprofile is kept under .cache/bench/profiles/ (open it in Chrome DevTools for the call tree).
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { download, storm } from '../lib/download.js';
import { inNetns, killAllDaemonsSync } from '../lib/exec.js';
import { ensureFiles, type BenchFileName } from '../lib/files.js';
import { createLoopbackNet, deleteAllNetnsSync, netPrefix } from '../lib/netns.js';
import { startOwnedServer } from '../lib/owned-server.js';
import { removeAllCpuAccountsSync } from '../lib/cpu-account.js';
import { clientByName } from './clients.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const repo = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** Self time per function (µs), attributing each sample's delta to the sampled node. */
export function selfTimes(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const f = node.callFrame;
    const where = f.url ? `${f.url.replace(/^file:\/\//, '').replace(repo + '/', '')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return out;
}

function category(key: string): string {
  if (key.startsWith('(idle)')) return 'idle';
  if (key.startsWith('(garbage collector)')) return 'gc';
  if (key.startsWith('(program)')) return 'program (native, outside JS)';
  if (/ (src|dist)\//.test(key)) return 'peerboot code';
  if (/node:/.test(key)) return 'node internals';
  return 'native/other';
}

async function main(): Promise<void> {
  const client = clientByName(arg('client', 'curl'));
  const fileName = arg('file', 'boot-32m.bin') as BenchFileName;
  const runs = Number(arg('runs', '3'));
  const concurrency = Number(arg('concurrency', '1'));
  const fromSrc = process.argv.includes('--src');
  const cacheDir = join(repo, '.cache', 'bench');
  const filesDir = join(cacheDir, 'files', 'root');
  const profDir = join(cacheDir, 'profiles', `${Date.now()}`);
  const outDir = `/dev/shm/${netPrefix}-prof`;
  await mkdir(profDir, { recursive: true });
  await mkdir(outDir, { recursive: true });
  const files = await ensureFiles(filesDir, [fileName], console.log);
  const file = files.get(fileName);
  if (!file) throw new Error('no file');
  const net = await createLoopbackNet();
  try {
    const cli = fromSrc ? ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts')] : [join(repo, 'bin', 'peerboot.js')];
    const server = await startOwnedServer({
      name: 'peerboot-prof', ns: net.serverNs, ip: net.serverIp, port: 6901, proto: 'udp', cwd: repo,
      argv: [process.execPath, '--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '200', ...cli, 'tftp', '--root', filesDir, '--port', '6901', '--address', net.serverIp, '--log-level', 'warn'],
    });
    const cpu0 = server.cpuSeconds();
    const t0 = performance.now();
    for (let r = 0; r < runs; r++) {
      if (concurrency === 1) {
        const local = join(outDir, 'prof.bin');
        const d = await download({ argv: inNetns(net.clientNs, client.argv(net.serverIp, 6901, file.name, local)), local, expect: file, timeoutMs: 120_000 });
        console.log(`run ${r + 1}: ${d.ok ? `${(file.size / 1e6 / d.seconds).toFixed(1)} MB/s` : `FAILED ${d.error}`}`);
      } else {
        const s = await storm({
          n: concurrency, expect: file, timeoutMs: 240_000,
          argvFor: (i) => inNetns(net.clientNs, client.argv(net.serverIp, 6901, file.name, join(outDir, `p${i}.bin`))),
          localFor: (i) => join(outDir, `p${i}.bin`),
        });
        console.log(`run ${r + 1}: ${s.aggregateMBps.toFixed(1)} MB/s aggregate, ${s.failures} failed`);
      }
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = server.cpuSeconds() - cpu0;
    await server.stop();
    const name = (await readdir(profDir)).find((n) => n.endsWith('.cpuprofile'));
    if (!name) throw new Error(`no profile written in ${profDir} (did the server exit cleanly?)`);
    const profile = JSON.parse(await readFile(join(profDir, name), 'utf8')) as CpuProfile;
    const self = selfTimes(profile);
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    const cats = new Map<string, number>();
    for (const [k, v] of self) cats.set(category(k), (cats.get(category(k)) ?? 0) + v);
    console.log(`\nserver CPU ${cpu.toFixed(2)} s over ${wall.toFixed(1)} s wall (${runs} × ${concurrency} × ${client.name} ${fileName}); profile ${join(profDir, name)}`);
    console.log('\nby category (share of profiled time):');
    for (const [k, v] of [...cats].sort((a, b) => b[1] - a[1])) console.log(`  ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
    const busy = total - (cats.get('idle') ?? 0);
    console.log('\ntop functions by self time (share of non-idle time):');
    for (const [k, v] of [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 30)) {
      console.log(`  ${((100 * v) / busy).toFixed(1).padStart(5)} %  ${k}`);
    }
  } finally {
    await net.close();
    await rm(outDir, { recursive: true, force: true });
  }
}

process.on('exit', () => { killAllDaemonsSync(); deleteAllNetnsSync(); removeAllCpuAccountsSync(); });
main().catch((err: unknown) => {
  console.error(`profile: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
