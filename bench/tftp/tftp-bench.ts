/**
 * The TFTP benchmark: every server in `tftpServers` against every client row of every scenario,
 * interleaved (round r visits the servers starting from a different one, so drifting machine load
 * does not favour whoever goes first). Servers are started fresh for each scenario group; each
 * row resets their peak-RSS mark and reads their CPU time before and after.
 */
import { join } from 'node:path';
import type { BenchFile, BenchFileName } from '../lib/files.js';
import { download, storm, type DownloadResult } from '../lib/download.js';
import { inNetns } from '../lib/exec.js';
import { createLoopbackNet, createPathNet, type LoopbackNet, type PathNet } from '../lib/netns.js';
import { PeakRssSampler } from '../lib/procstat.js';
import { median, rotate, type TargetCheck } from '../lib/stats.js';
import { clientByName, type TftpClientSpec } from './clients.js';
import { startServer, type RunningServer, type ServerContext, type TftpServerSpec } from './servers.js';

export type NetKind = 'loopback' | 'delay' | 'loss';

export interface RowPlan {
  client: string;
  file: BenchFileName;
  concurrency: number;
}

export interface GroupPlan {
  title: string;
  net: NetKind;
  rows: RowPlan[];
}

export interface TftpPlan {
  rounds: number;
  delayUs: number;
  lossPerMille: number;
  groups: GroupPlan[];
}

/** The full run (about 15 minutes on a 2-core machine) and the smoke-test subset. */
export function tftpPlan(quick: boolean): TftpPlan {
  if (quick) {
    return {
      rounds: 1, delayUs: 500, lossPerMille: 5,
      groups: [
        { title: 'loopback, one client', net: 'loopback', rows: [
          { client: 'curl', file: 'boot-4m.bin', concurrency: 1 },
          { client: 'busybox', file: 'boot-4m.bin', concurrency: 1 },
          { client: 'atftp-w8', file: 'boot-4m.bin', concurrency: 1 },
        ] },
        { title: 'loopback, storm', net: 'loopback', rows: [{ client: 'curl', file: 'boot-1m.bin', concurrency: 10 }] },
        { title: 'path with delay and loss, one client', net: 'loss', rows: [{ client: 'curl', file: 'boot-256k.bin', concurrency: 1 }] },
      ],
    };
  }
  return {
    rounds: 3, delayUs: 500, lossPerMille: 5,
    groups: [
      { title: 'loopback, one client, 32 MiB', net: 'loopback', rows: [
        { client: 'curl', file: 'boot-32m.bin', concurrency: 1 },
        { client: 'busybox', file: 'boot-32m.bin', concurrency: 1 },
        { client: 'tftp-hpa', file: 'boot-32m.bin', concurrency: 1 },
        { client: 'atftp-w8', file: 'boot-32m.bin', concurrency: 1 },
        { client: 'atftp-w32', file: 'boot-32m.bin', concurrency: 1 },
      ] },
      { title: 'loopback, one client, 300 MiB', net: 'loopback', rows: [
        { client: 'atftp-w8', file: 'boot-300m.bin', concurrency: 1 },
      ] },
      { title: 'loopback, storms', net: 'loopback', rows: [
        { client: 'curl', file: 'boot-4m.bin', concurrency: 50 },
        { client: 'curl', file: 'boot-1m.bin', concurrency: 200 },
      ] },
      { title: 'path, +1 ms RTT', net: 'delay', rows: [
        { client: 'curl', file: 'boot-4m.bin', concurrency: 1 },
        { client: 'atftp-w8', file: 'boot-4m.bin', concurrency: 1 },
        { client: 'atftp-w32', file: 'boot-4m.bin', concurrency: 1 },
      ] },
      { title: 'path, +1 ms RTT and 0.5 % loss each way', net: 'loss', rows: [
        { client: 'curl', file: 'boot-256k.bin', concurrency: 1 },
        { client: 'atftp-w8', file: 'boot-1m.bin', concurrency: 1 },
      ] },
    ],
  };
}

export interface ServerCell {
  server: string;
  /** MB/s (10^6 bytes/s) per round; 0 for a failed round. Storms: aggregate over all clients. */
  mbps: number[];
  failures: number;
  errors: string[];
  peakRssBytes: number;
  /** Server CPU seconds per round (one download, or one whole storm). */
  cpuSecondsPerRound: number;
  /** Loss rows: the longest time a download made no progress, per round (ms). */
  longestStallMs?: number[];
  /** Storms: slowest single client, per round (s). */
  slowestClientSeconds?: number[];
}

export interface RowResult {
  group: string;
  net: NetKind;
  client: string;
  mode: TftpClientSpec['mode'];
  file: BenchFileName;
  fileSize: number;
  concurrency: number;
  rounds: number;
  cells: ServerCell[];
  /** peerboot's median MB/s ÷ the best of `versus` by median MB/s (perRound: against the best in each round). */
  ratio?: { median: number; perRound: number[]; versus: 'C servers' | 'all anchors'; bestName: string };
  targets: TargetCheck[];
}

export interface TftpBenchOptions {
  repo: string;
  cacheDir: string;
  filesDir: string;
  outDir: string;
  files: Map<BenchFileName, BenchFile>;
  servers: TftpServerSpec[];
  peerbootCli: string[];
  delayLineBin: string | null;
  plan: TftpPlan;
  log(line: string): void;
}

function timeoutFor(net: NetKind, concurrency: number): number {
  if (concurrency > 1) return 240_000;
  return net === 'loss' ? 60_000 : 150_000;
}

/** Ratio and targets of one row (pure: from measured cells). */
export function judgeRow(row: Omit<RowResult, 'ratio' | 'targets'>, lossStallLimitMs = 1000): Pick<RowResult, 'ratio' | 'targets'> {
  const where = `${row.net} ${row.file} ${row.client}${row.concurrency > 1 ? ` ×${row.concurrency}` : ''}`;
  const peer = row.cells.find((c) => c.server === 'peerboot');
  const targets: TargetCheck[] = [];
  const lockstep = row.mode === 'lockstep';
  const versus: 'C servers' | 'all anchors' = lockstep && row.concurrency === 1 ? 'C servers' : 'all anchors';
  const others = row.cells.filter((c) => c.server !== 'peerboot' && (versus === 'all anchors' || c.server !== 'npm-tftp'));
  let ratio: RowResult['ratio'];
  if (peer && others.length > 0) {
    // peerboot's median over the best anchor's median (the max of several noisy per-round values
    // would favour the anchors); per-round ratios are kept in the raw results.
    const best = others.reduce((a, b) => (median(b.mbps) > median(a.mbps) ? b : a));
    const perRound: number[] = [];
    for (let r = 0; r < row.rounds; r++) {
      const bestInRound = Math.max(...others.map((c) => c.mbps[r] ?? 0));
      perRound.push(bestInRound > 0 ? (peer.mbps[r] ?? 0) / bestInRound : NaN);
    }
    ratio = { median: median(best.mbps) > 0 ? median(peer.mbps) / median(best.mbps) : NaN, perRound, versus, bestName: best.server };
  }
  const ratioText = ratio ? `${ratio.median.toFixed(2)}× (best: ${ratio.bestName})` : 'peerboot not run';
  if (row.net === 'loss') {
    const stall = peer?.longestStallMs ? Math.max(...peer.longestStallMs) : NaN;
    targets.push({
      goal: `0.5 % loss: no stalled transfer (0 failures, no progress gap ≥ ${lossStallLimitMs} ms)`,
      where,
      measured: peer ? `${peer.failures} failed, longest gap ${Number.isFinite(stall) ? Math.round(stall) : '–'} ms` : 'peerboot not run',
      met: peer ? peer.failures === 0 && stall < lossStallLimitMs : null,
    });
  } else if (row.concurrency > 1) {
    targets.push({ goal: `storm of ${row.concurrency}: aggregate ≥ 1.0× best`, where, measured: ratioText, met: ratio ? ratio.median >= 1.0 : null });
    targets.push({ goal: `storm of ${row.concurrency}: 0 failed downloads`, where, measured: peer ? `${peer.failures} failed` : 'peerboot not run', met: peer ? peer.failures === 0 : null });
    if (row.concurrency >= 200) {
      const rss = peer ? peer.peakRssBytes / (1024 * 1024) : NaN;
      targets.push({ goal: 'storm of 200: peerboot peak RSS ≤ 100 MB', where, measured: peer ? `${Math.round(rss)} MiB` : 'peerboot not run', met: peer ? rss <= 100 : null });
    }
  } else if (lockstep) {
    targets.push({ goal: 'lock-step ≥ 1.0× best C server', where, measured: ratioText, met: ratio ? ratio.median >= 1.0 : null });
  } else {
    targets.push({ goal: 'windowed ≥ 1.2× best anchor', where, measured: ratioText, met: ratio ? ratio.median >= 1.2 : null });
  }
  return { ratio, targets };
}

type Net = LoopbackNet | PathNet;

export async function runTftpBench(o: TftpBenchOptions): Promise<RowResult[]> {
  const results: RowResult[] = [];
  let pathNet: PathNet | undefined;
  let loopNet: LoopbackNet | undefined;
  try {
    for (const group of o.plan.groups) {
      let net: Net;
      if (group.net === 'loopback') {
        loopNet ??= await createLoopbackNet();
        net = loopNet;
      } else {
        if (!o.delayLineBin) {
          o.log(`skipping "${group.title}": the delay line is not built (needs gcc; run bash bench/install.sh)`);
          continue;
        }
        pathNet ??= await createPathNet({ delayUs: o.plan.delayUs, delayLineBin: o.delayLineBin });
        await pathNet.setLossPerMille(group.net === 'loss' ? o.plan.lossPerMille : 0);
        net = pathNet;
      }
      o.log(`== ${group.title}`);
      const started = performance.now();
      const running: RunningServer[] = [];
      try {
        const ctx: ServerContext = { repo: o.repo, cacheDir: o.cacheDir, ns: net.serverNs, ip: net.serverIp, root: o.filesDir, peerbootCli: o.peerbootCli };
        for (const spec of o.servers) running.push(await startServer(spec, ctx));
        for (const row of group.rows) results.push(await runRow(o, group, row, net, running));
      } finally {
        for (const s of running) await s.stop();
      }
      o.log(`   (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    if (pathNet) await pathNet.close();
    if (loopNet) await loopNet.close();
  }
  return results;
}

async function runRow(o: TftpBenchOptions, group: GroupPlan, row: RowPlan, net: Net, servers: RunningServer[]): Promise<RowResult> {
  const client = clientByName(row.client);
  const file = o.files.get(row.file);
  if (!file) throw new Error(`file ${row.file} was not generated`);
  const cells = new Map<string, ServerCell>(servers.map((s) => [s.spec.name, { server: s.spec.name, mbps: [], failures: 0, errors: [], peakRssBytes: 0, cpuSecondsPerRound: 0 }]));
  const samplers = new Map(servers.map((s) => [s.spec.name, new PeakRssSampler(s.pid)]));
  const cpuBefore = new Map(servers.map((s) => [s.spec.name, s.cpuSeconds()]));
  for (const sampler of samplers.values()) sampler.start();
  const timeoutMs = timeoutFor(group.net, row.concurrency);
  for (let round = 0; round < o.plan.rounds; round++) {
    for (const server of rotate(servers, round)) {
      const cell = cells.get(server.spec.name) as ServerCell;
      const tag = `${server.spec.name}-${client.name}-${row.concurrency}`;
      if (row.concurrency === 1) {
        const local = join(o.outDir, `${tag}.bin`);
        const r: DownloadResult = await download({
          argv: inNetns(net.clientNs, client.argv(net.serverIp, server.port, file.name, local)),
          local, expect: file, timeoutMs, watchProgress: group.net === 'loss',
        });
        cell.mbps.push(r.ok ? file.size / 1e6 / r.seconds : 0);
        if (!r.ok) { cell.failures++; cell.errors.push(r.error ?? '?'); }
        if (r.longestStallMs !== undefined) (cell.longestStallMs ??= []).push(r.longestStallMs);
        o.log(`   ${row.client.padEnd(9)} ${row.file.padEnd(13)} ${server.spec.name.padEnd(9)} ${r.ok ? `${(file.size / 1e6 / r.seconds).toFixed(1).padStart(7)} MB/s` : `FAILED: ${r.error}`}${r.longestStallMs !== undefined ? `  (longest gap ${r.longestStallMs} ms)` : ''}`);
      } else {
        if (!client.argvFrom) throw new Error(`client ${client.name} cannot choose its source address (storms need one address per machine)`);
        const argvFrom = client.argvFrom;
        const sources: string[] = [];
        for (let i = 0; i < row.concurrency; i++) sources.push(await net.clientSource(i));
        const s = await storm({
          n: row.concurrency,
          argvFor: (i) => inNetns(net.clientNs, argvFrom(sources[i] as string, net.serverIp, server.port, file.name, join(o.outDir, `${tag}-${i}.bin`))),
          localFor: (i) => join(o.outDir, `${tag}-${i}.bin`),
          expect: file, timeoutMs,
        });
        cell.mbps.push(s.aggregateMBps);
        cell.failures += s.failures;
        for (const [e, n] of Object.entries(s.errors)) cell.errors.push(`${n}× ${e}`);
        (cell.slowestClientSeconds ??= []).push(s.maxClientSeconds);
        o.log(`   ${row.client.padEnd(9)} ×${String(row.concurrency).padEnd(4)} ${row.file.padEnd(13)} ${server.spec.name.padEnd(9)} ${s.aggregateMBps.toFixed(1).padStart(7)} MB/s aggregate, ${s.failures} failed, slowest ${s.maxClientSeconds.toFixed(1)} s${s.failures ? `  ${Object.entries(s.errors).map(([e, n]) => `${n}× ${e}`).join('; ')}` : ''}`);
      }
    }
  }
  for (const s of servers) {
    const cell = cells.get(s.spec.name) as ServerCell;
    cell.peakRssBytes = (samplers.get(s.spec.name) as PeakRssSampler).stop();
    cell.cpuSecondsPerRound = (s.cpuSeconds() - (cpuBefore.get(s.spec.name) as number)) / o.plan.rounds;
  }
  const base = {
    group: group.title, net: group.net, client: client.name, mode: client.mode, file: row.file, fileSize: file.size,
    concurrency: row.concurrency, rounds: o.plan.rounds, cells: [...cells.values()],
  };
  return { ...base, ...judgeRow(base) };
}
