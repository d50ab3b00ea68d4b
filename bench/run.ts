/**
 * Boot transfer speed bench (are our TFTP and HTTP as fast as the servers admins use today?):
 * peerboot's TFTP against tftpd-hpa, atftpd, dnsmasq and the npm `tftp` package, and peerboot's HTTP
 * lane against nginx, with real clients, in network namespaces this process creates and always
 * deletes. Run it through `bash bench/run.sh`, which
 * installs the anchors first (root needed: namespaces, nftables).
 *
 * Usage: node --import tsx bench/run.ts [--quick] [--servers a,b] [--no-http] [--no-tftp] [--no-docs]
 *   --quick    small files, one round, a few rows: a smoke test (never writes docs)
 *   --servers  TFTP servers to run (peerboot,tftpd-hpa,atftpd,dnsmasq,npm-tftp); the HTTP lane runs
 *              peerboot and/or nginx according to whether peerboot is in the list
 *   --no-docs  do not rewrite the "Boot transfer speed" section of docs/benchmarks.md
 *   --json F   also write the raw results to F
 *   --report F re-print the tables and rewrite the docs section from saved raw results F (no run;
 *              for when bench/notes.md changed)
 * Exit code: 0 when every download verified, 1 when any failed, 2 on a setup error.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeAllCpuAccountsSync } from './lib/cpu-account.js';
import { killAllDaemonsSync, run } from './lib/exec.js';
import { ensureFiles, type BenchFileName } from './lib/files.js';
import { deleteAllNetnsSync, netPrefix } from './lib/netns.js';
import { benchmarkSection, httpTables, machineNow, machineText, procStatCpu, targetsTable, tftpTables, writeSection, type Machine } from './lib/report.js';
import { verdict } from './lib/stats.js';
import { httpPlan, runHttpBench, type HttpPlan, type HttpRowResult } from './http/http-bench.js';
import { atftpdBinary, peerbootCliFor, peerbootTftpAvailable, tftpServers } from './tftp/servers.js';
import { runTftpBench, tftpPlan, type RowResult, type TftpPlan } from './tftp/tftp-bench.js';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const cacheDir = join(repo, '.cache', 'bench');
const filesDir = join(cacheDir, 'files', 'root');
const outDir = `/dev/shm/${netPrefix}-out`;

function parseArgs(argv: string[]) {
  const opts = { quick: false, servers: null as string[] | null, http: true, tftp: true, docs: true, json: null as string | null, report: null as string | null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--no-http') opts.http = false;
    else if (a === '--no-tftp') opts.tftp = false;
    else if (a === '--no-docs') opts.docs = false;
    else if (a === '--servers') opts.servers = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (a === '--json') opts.json = argv[++i] ?? null;
    else if (a === '--report') opts.report = argv[++i] ?? null;
    else {
      console.error(`bench: unknown argument ${a}. Usage: bench/run.sh [--quick] [--servers a,b] [--no-http] [--no-tftp] [--no-docs] [--json FILE] [--report FILE]`);
      process.exit(2);
    }
  }
  if (opts.quick) opts.docs = false;
  return opts;
}

const log = (line: string) => console.log(line);

let cleaned = false;
function cleanupSync(): void {
  if (cleaned) return;
  cleaned = true;
  killAllDaemonsSync();
  deleteAllNetnsSync();
  removeAllCpuAccountsSync();
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    console.error(`bench: ${sig}, cleaning up`);
    cleanupSync();
    process.exit(130);
  });
}

/** Builds bench/net/delay-line with gcc when missing or older than its source; null if impossible. */
async function buildDelayLine(): Promise<string | null> {
  const src = join(repo, 'bench', 'net', 'delay-line.c');
  const bin = join(cacheDir, 'delay-line');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin;
  const r = await run(['gcc', '-O2', '-Wall', '-o', bin, src]);
  if (r.code !== 0) {
    log(`bench: cannot build the delay line (${r.stderr.trim().split('\n')[0] ?? 'gcc failed'}): the path scenarios will be skipped; run bash bench/install.sh`);
    return null;
  }
  return bin;
}

async function versions(): Promise<string[]> {
  const first = async (argv: string[], re?: RegExp) => {
    const r = await run(argv);
    const text = `${r.stdout}\n${r.stderr}`;
    const line = text.split('\n').find((l) => (re ? re.test(l) : l.trim() !== '')) ?? '?';
    return line.trim();
  };
  const npmTftp = JSON.parse(await readFile(join(repo, 'node_modules', 'tftp', 'package.json'), 'utf8').catch(() => '{"version":"?"}')) as { version: string };
  return [
    `in.tftpd: ${await first(['in.tftpd', '-V'])}`,
    `atftpd: ${await first([atftpdBinary(cacheDir), '--version'])}`,
    `dnsmasq: ${await first(['dnsmasq', '--version'])}`.replace(/\s+Copyright.*/, ''),
    `npm tftp ${npmTftp.version} on Node ${process.version}`,
    `nginx: ${await first(['nginx', '-v'])}`,
    `clients: ${await first(['curl', '--version'])}`.replace(/ \(x86_64.*$/, ''),
    `${await first(['busybox'], /BusyBox v/)}`.replace(/ multi-call binary\./, ''),
    `${await first(['atftp', '--version'])}`,
    `${await first(['tftp', '-V'])} (client)`,
  ];
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.report) {
    const saved = JSON.parse(await readFile(opts.report, 'utf8')) as SavedResult;
    await report(saved, opts.docs, 'from ' + opts.report);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    console.error('bench: must run as root (it creates network namespaces and nftables rules): sudo bash bench/run.sh');
    return 2;
  }
  const loadStart = loadavg();
  const statStart = procStatCpu();
  const started = performance.now();
  await mkdir(cacheDir, { recursive: true });
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const tPlan = tftpPlan(opts.quick);
  const hPlan = httpPlan(opts.quick);
  const names = new Set<BenchFileName>([
    ...tPlan.groups.flatMap((g) => g.rows.map((r) => r.file)),
    ...hPlan.rows.map((r) => r.file),
  ]);
  const files = await ensureFiles(filesDir, [...names], log);

  // peerboot: the compiled CLI when the build succeeds (full runs), else the sources through tsx.
  let built = false;
  if (!opts.quick) {
    const b = await run([process.execPath, join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: repo, timeoutMs: 300_000 });
    built = b.code === 0;
    if (!built) log(`bench: npm run build failed, running peerboot from source through tsx (${b.stdout.trim().split('\n')[0] ?? ''})`);
  }
  const peerbootCli = peerbootCliFor(repo, built);
  const peerbootReady = await peerbootTftpAvailable(repo, peerbootCli);
  const peerbootNote = peerbootReady
    ? `\`${peerbootCli.map((a) => a.replace(repo + '/', '')).join(' ').replace(process.execPath, 'node')} tftp --root DIR --port N --address IP\`; HTTP lane: bench/http/peerboot-http-server.mjs (startHttpBootServer on a BootRoot, same build).`
    : '`peerboot tftp` is not registered yet (src/cli/commands/tftp.ts): TFTP rows ran the anchors only; the HTTP lane ran.';
  if (!peerbootReady) log('bench: `peerboot tftp` is not available yet: measuring the anchors only');

  let servers = tftpServers.filter((s) => (opts.servers ? opts.servers.includes(s.name) : true));
  if (!peerbootReady) servers = servers.filter((s) => s.name !== 'peerboot');
  if (!existsSync(atftpdBinary(cacheDir)) && servers.some((s) => s.name === 'atftpd')) {
    log('bench: atftpd is not unpacked (bash bench/install.sh does it): skipping atftpd');
    servers = servers.filter((s) => s.name !== 'atftpd');
  }
  const delayLineBin = await buildDelayLine();
  log(`bench: servers ${servers.map((s) => s.name).join(', ')}; scratch ${outDir}; namespaces ${netPrefix}*`);

  let tftp: RowResult[] = [];
  let http: HttpRowResult[] = [];
  try {
    if (opts.tftp) {
      tftp = await runTftpBench({ repo, cacheDir, filesDir, outDir, files, servers, peerbootCli, delayLineBin, plan: tPlan, log });
    }
    if (opts.http) {
      const httpServers = ['nginx', ...(opts.servers === null || opts.servers.includes('peerboot') ? ['peerboot'] : [])];
      http = await runHttpBench({ repo, filesDir, outDir, files, delayLineBin, plan: hPlan, servers: httpServers, useDist: built && peerbootCli.includes(join(repo, 'bin', 'peerboot.js')), log });
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }

  const machine = machineNow(loadStart, statStart);
  const result: SavedResult = { machine, plan: { tftp: tPlan, http: hPlan }, servers: servers.map((s) => s.name), peerbootReady, peerbootNote, tftp, http };
  await mkdir(join(cacheDir, 'results'), { recursive: true });
  const resultPath = join(cacheDir, 'results', `${opts.quick ? 'quick' : 'full'}-${machine.date.replace(/[:]/g, '')}.json`);
  await writeFile(resultPath, JSON.stringify(result, null, 2));
  if (opts.json) await writeFile(opts.json, JSON.stringify(result, null, 2));
  log(`raw results: ${resultPath}`);
  const failed = await report(result, opts.docs, ((performance.now() - started) / 60000).toFixed(1) + ' min');
  return failed > 0 ? 1 : 0;
}

interface SavedResult {
  machine: Machine;
  plan: { tftp: TftpPlan; http: HttpPlan };
  servers: string[];
  peerbootReady: boolean;
  peerbootNote: string;
  tftp: RowResult[];
  http: HttpRowResult[];
}

/** Prints the tables and targets; rewrites the docs section when asked. Returns the failed-download count. */
async function report(result: SavedResult, docs: boolean, took: string): Promise<number> {
  const { machine, tftp, http } = result;
  const serverNames = result.servers;
  const targets = [...tftp.flatMap((r) => r.targets), ...http.flatMap((r) => r.targets)];
  console.log('\n' + tftpTables(tftp, serverNames));
  console.log(httpTables(http));
  console.log(targetsTable(targets));
  console.log(`\n${machineText(machine)}`);
  const failed = [...tftp.flatMap((r) => r.cells), ...http.flatMap((r) => r.cells)].reduce((n, c) => n + c.failures, 0);
  console.log(`\n${targets.filter((t) => t.met === true).length} targets met, ${targets.filter((t) => t.met === false).length} not met, ${targets.filter((t) => t.met === null).length} not run; ${failed} failed downloads; ${took}`);
  for (const t of targets) if (t.met === false) console.log(`  ${verdict(t)}: ${t.goal} — ${t.where}: ${t.measured}`);
  // Anchors' failed downloads are measurements (reported above); the exit status speaks for peerboot.
  const ours = [...tftp.flatMap((r) => r.cells), ...http.flatMap((r) => r.cells)].filter((c) => c.server === 'peerboot').reduce((n, c) => n + c.failures, 0);
  if (docs) {
    const notes = await readFile(join(repo, 'bench', 'notes.md'), 'utf8').catch(() => '');
    const section = benchmarkSection({
      machine, command: 'bash bench/run.sh', plan: result.plan.tftp, versions: await versions(), tftp, tftpServers: serverNames, http, notes,
      peerbootNote: result.peerbootNote, httpRounds: result.plan.http.rounds,
    });
    await writeSection(join(repo, 'docs', 'benchmarks.md'), section);
    log('wrote docs/benchmarks.md (section "Boot transfer speed")');
  }
  return ours > 0 ? 1 : 0;
}


main().then((code) => {
  cleanupSync();
  process.exit(code);
}, (err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  cleanupSync();
  process.exit(2);
});
