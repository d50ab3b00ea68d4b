/**
 * The HTTP lane: peerboot's HTTP boot server (src/agent/http/http-boot-server.ts, the server the
 * responder runs, started alone by bench/http/peerboot-http-server.ts) against Debian's nginx,
 * started by the bench in the foreground with its own config (Debian defaults that matter for
 * speed: worker_processes auto, sendfile on, tcp_nopush on; access_log off, like peerboot's logger
 * here). Same root, same files, curl as the client, every download sha256-verified.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchFile, BenchFileName } from '../lib/files.js';
import { download, storm } from '../lib/download.js';
import { inNetns } from '../lib/exec.js';
import { startOwnedServer, type OwnedServer } from '../lib/owned-server.js';
import { createLoopbackNet, createPathNet, type LoopbackNet, type PathNet } from '../lib/netns.js';
import { PeakRssSampler } from '../lib/procstat.js';
import { median, rotate, type TargetCheck } from '../lib/stats.js';

export interface HttpRowPlan { net: 'loopback' | 'delay'; client: 'curl' | 'curl-range'; file: BenchFileName; concurrency: number }
export interface HttpPlan { rounds: number; delayUs: number; rows: HttpRowPlan[] }

export function httpPlan(quick: boolean): HttpPlan {
  if (quick) {
    return { rounds: 1, delayUs: 500, rows: [
      { net: 'loopback', client: 'curl', file: 'boot-4m.bin', concurrency: 1 },
      { net: 'loopback', client: 'curl-range', file: 'boot-4m.bin', concurrency: 1 },
      { net: 'loopback', client: 'curl', file: 'boot-1m.bin', concurrency: 10 },
    ] };
  }
  // HTTP rows are short, so 5 rounds (the shared machine's noise is large).
  return { rounds: 5, delayUs: 500, rows: [
    { net: 'loopback', client: 'curl', file: 'boot-32m.bin', concurrency: 1 },
    { net: 'loopback', client: 'curl', file: 'boot-300m.bin', concurrency: 1 },
    { net: 'loopback', client: 'curl-range', file: 'boot-32m.bin', concurrency: 1 },
    { net: 'loopback', client: 'curl', file: 'boot-32m.bin', concurrency: 50 },
    { net: 'loopback', client: 'curl', file: 'boot-4m.bin', concurrency: 200 },
    { net: 'delay', client: 'curl', file: 'boot-32m.bin', concurrency: 1 },
  ] };
}

export interface HttpCell { server: string; mbps: number[]; failures: number; errors: string[]; peakRssBytes: number; cpuSecondsPerRound: number }
export interface HttpRowResult extends HttpRowPlan { fileSize: number; rounds: number; cells: HttpCell[]; ratio?: { median: number; perRound: number[] }; targets: TargetCheck[] }

export interface HttpBenchOptions {
  repo: string;
  filesDir: string;
  outDir: string;
  files: Map<BenchFileName, BenchFile>;
  delayLineBin: string | null;
  plan: HttpPlan;
  /** Servers to run (names: 'peerboot', 'nginx'). */
  servers: string[];
  /** Run peerboot's compiled dist/ (true after a successful build) or its sources through tsx. */
  useDist: boolean;
  log(line: string): void;
}

type HttpServer = OwnedServer & { port: number };

async function startHttp(name: string, argv: string[], ns: string, ip: string, port: number, cwd: string): Promise<HttpServer> {
  const owned = await startOwnedServer({ name: `http-${name}`, argv, ns, ip, port, proto: 'tcp', cwd });
  return Object.assign(owned, { name, port });
}

async function nginxConfig(dir: string, root: string, ip: string, port: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, `# written by bench/http/http-bench.ts: Debian's defaults that matter for speed, in the foreground
daemon off;
worker_processes auto;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  server {
    listen ${ip}:${port};
    root ${root};
    location / { }
  }
}
`);
  return conf;
}

export async function runHttpBench(o: HttpBenchOptions): Promise<HttpRowResult[]> {
  const results: HttpRowResult[] = [];
  for (const netKind of ['loopback', 'delay'] as const) {
    const rows = o.plan.rows.filter((r) => r.net === netKind);
    if (rows.length === 0) continue;
    if (netKind === 'delay' && !o.delayLineBin) { o.log('skipping HTTP over the delayed path: the delay line is not built'); continue; }
    const net: LoopbackNet | PathNet = netKind === 'loopback' ? await createLoopbackNet() : await createPathNet({ delayUs: o.plan.delayUs, delayLineBin: o.delayLineBin as string });
    const servers: HttpServer[] = [];
    try {
      o.log(`== HTTP, ${netKind === 'loopback' ? 'loopback' : 'path, +1 ms RTT'}`);
      if (o.servers.includes('peerboot')) {
        const launcher = join(o.repo, 'bench', 'http', 'peerboot-http-server.mjs');
        const code = o.useDist ? [launcher, join(o.repo, 'dist')] : ['--import', 'tsx', launcher, join(o.repo, 'src')];
        servers.push(await startHttp('peerboot', [process.execPath, ...code, o.filesDir, net.serverIp, '8901'], net.serverNs, net.serverIp, 8901, o.repo));
      }
      if (o.servers.includes('nginx')) {
        const conf = await nginxConfig(join(o.outDir, 'nginx'), o.filesDir, net.serverIp, 8902);
        servers.push(await startHttp('nginx', ['nginx', '-c', conf, '-e', join(o.outDir, 'nginx', 'error.log')], net.serverNs, net.serverIp, 8902, o.repo));
      }
      for (const row of rows) results.push(await runHttpRow(o, row, net, servers));
    } finally {
      for (const s of servers) await s.stop();
      await net.close();
    }
  }
  return results;
}

function curlArgv(client: HttpRowPlan['client'], url: string, local: string, size: number, source?: string): string[] {
  if (client === 'curl') return ['curl', '-sS', '--fail', ...(source ? ['--interface', source] : []), '-o', local, url];
  // Two Range requests (RFC 9110 §14): the first half, then the rest appended.
  const half = Math.floor(size / 2);
  return ['sh', '-c', `curl -sS --fail -r 0-${half - 1} -o '${local}' '${url}' && curl -sS --fail -r ${half}- '${url}' >> '${local}'`];
}

async function runHttpRow(o: HttpBenchOptions, row: HttpRowPlan, net: LoopbackNet | PathNet, servers: HttpServer[]): Promise<HttpRowResult> {
  const file = o.files.get(row.file);
  if (!file) throw new Error(`file ${row.file} was not generated`);
  const cells = new Map<string, HttpCell>(servers.map((s) => [s.name, { server: s.name, mbps: [], failures: 0, errors: [], peakRssBytes: 0, cpuSecondsPerRound: 0 }]));
  const samplers = new Map(servers.map((s) => [s.name, new PeakRssSampler(s.pid)]));
  const cpuBefore = new Map(servers.map((s) => [s.name, s.cpuSeconds()]));
  for (const s of samplers.values()) s.start();
  for (let round = 0; round < o.plan.rounds; round++) {
    for (const server of rotate(servers, round)) {
      const cell = cells.get(server.name) as HttpCell;
      const url = `http://${net.serverIp}:${server.port}/${file.name}`;
      const tag = `http-${server.name}-${row.client}-${row.concurrency}`;
      if (row.concurrency === 1) {
        const local = join(o.outDir, `${tag}.bin`);
        const r = await download({ argv: inNetns(net.clientNs, curlArgv(row.client, url, local, file.size)), local, expect: file, timeoutMs: 120_000 });
        cell.mbps.push(r.ok ? file.size / 1e6 / r.seconds : 0);
        if (!r.ok) { cell.failures++; cell.errors.push(r.error ?? '?'); }
        o.log(`   ${row.client.padEnd(10)} ${row.file.padEnd(13)} ${server.name.padEnd(9)} ${r.ok ? `${(file.size / 1e6 / r.seconds).toFixed(1).padStart(7)} MB/s` : `FAILED: ${r.error}`}`);
      } else {
        const sources: string[] = [];
        for (let i = 0; i < row.concurrency; i++) sources.push(await net.clientSource(i));
        const s = await storm({
          n: row.concurrency, expect: file, timeoutMs: 240_000,
          argvFor: (i) => inNetns(net.clientNs, curlArgv(row.client, url, join(o.outDir, `${tag}-${i}.bin`), file.size, sources[i])),
          localFor: (i) => join(o.outDir, `${tag}-${i}.bin`),
        });
        cell.mbps.push(s.aggregateMBps);
        cell.failures += s.failures;
        for (const [e, n] of Object.entries(s.errors)) cell.errors.push(`${n}× ${e}`);
        o.log(`   ${row.client.padEnd(10)} ×${String(row.concurrency).padEnd(4)} ${row.file.padEnd(13)} ${server.name.padEnd(9)} ${s.aggregateMBps.toFixed(1).padStart(7)} MB/s aggregate, ${s.failures} failed`);
      }
    }
  }
  for (const s of servers) {
    const cell = cells.get(s.name) as HttpCell;
    cell.peakRssBytes = (samplers.get(s.name) as PeakRssSampler).stop();
    cell.cpuSecondsPerRound = (s.cpuSeconds() - (cpuBefore.get(s.name) as number)) / o.plan.rounds;
  }
  const list = [...cells.values()];
  const peer = cells.get('peerboot');
  const nginx = cells.get('nginx');
  let ratio: HttpRowResult['ratio'];
  if (peer && nginx) {
    const perRound = peer.mbps.map((v, i) => ((nginx.mbps[i] ?? 0) > 0 ? v / (nginx.mbps[i] as number) : NaN));
    ratio = { median: median(nginx.mbps) > 0 ? median(peer.mbps) / median(nginx.mbps) : NaN, perRound };
  }
  const where = `HTTP ${row.net} ${row.file} ${row.client}${row.concurrency > 1 ? ` ×${row.concurrency}` : ''}`;
  const targets: TargetCheck[] = [{
    goal: 'HTTP ≥ 0.8× nginx',
    where,
    measured: ratio ? `${ratio.median.toFixed(2)}×${peer && peer.failures ? `, ${peer.failures} failed` : ''}` : 'not run',
    met: ratio ? ratio.median >= 0.8 && (peer?.failures ?? 0) === 0 : null,
  }];
  return { ...row, fileSize: file.size, rounds: o.plan.rounds, cells: list, ratio, targets };
}
