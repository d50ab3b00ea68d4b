/**
 * Turns bench results into Markdown: the tables printed at the end of a run and the
 * "Boot transfer speed" section of docs/benchmarks.md (only that section is ever rewritten;
 * other sections of the file belong to other benches).
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { HttpRowResult } from '../http/http-bench.js';
import type { RowResult, TftpPlan } from '../tftp/tftp-bench.js';
import { fmt, median, table, verdict, type TargetCheck } from './stats.js';

export interface Machine {
  date: string;
  nproc: number;
  cpuModel: string;
  kernel: string;
  memGiB: number;
  node: string;
  loadStart: number[];
  loadEnd: number[];
  /** Share of all CPU time (0…1) the hypervisor gave to other guests during the run (/proc/stat steal); absent in old results. */
  stealShare?: number;
}

/** The aggregate `cpu` line of /proc/stat (jiffies: user nice system idle iowait irq softirq steal …), or null. */
export function procStatCpu(): number[] | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    return line.startsWith('cpu ') ? line.trim().split(/\s+/).slice(1, 9).map(Number) : null;
  } catch {
    return null;
  }
}

export function machineNow(loadStart: number[], statStart: number[] | null = null): Machine {
  const statEnd = procStatCpu();
  let stealShare: number | undefined;
  if (statStart && statEnd) {
    const delta = statEnd.map((v, i) => v - (statStart[i] ?? 0));
    const total = delta.reduce((a, b) => a + b, 0);
    if (total > 0) stealShare = (delta[7] ?? 0) / total;
  }
  return {
    stealShare,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? '?',
    kernel: release(),
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadStart,
    loadEnd: loadavg(),
  };
}

const sizeLabel = (bytes: number) => (bytes < 2 ** 20 ? `${Math.round(bytes / 1024)} KiB` : `${Math.round(bytes / 2 ** 20)} MiB`);
const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)}`;

function speedCell(c: { mbps: number[]; failures: number; longestStallMs?: number[] }): string {
  let s = fmt(median(c.mbps));
  if (c.failures > 0) s += ` (${c.failures} failed)`;
  if (c.longestStallMs && c.longestStallMs.length > 0) s += `, gap ${Math.max(...c.longestStallMs)} ms`;
  return s;
}

export function tftpTables(rows: RowResult[], servers: string[]): string {
  const out: string[] = [];
  const groups = [...new Set(rows.map((r) => r.group))];
  for (const g of groups) {
    const gr = rows.filter((r) => r.group === g);
    out.push(`#### TFTP: ${g}`, '');
    out.push('Median MB/s (10^6 bytes/s) of the rounds; storms: aggregate of all clients. Ratio: peerboot\'s median ÷ the best other server\'s median, same client, same run (lock-step at one client: against the C servers; otherwise against every anchor).', '');
    out.push(table(
      ['client', 'file', 'clients', ...servers, 'peerboot ÷ best'],
      gr.map((r) => [
        r.client, sizeLabel(r.fileSize), String(r.concurrency),
        ...servers.map((s) => { const c = r.cells.find((x) => x.server === s); return c ? speedCell(c) : '–'; }),
        r.ratio ? `${fmt(r.ratio.median, 2)}× vs ${r.ratio.bestName}` : 'n/a',
      ]),
    ));
    out.push('', 'Server cost in the same rows: peak memory (MiB; VmHWM, or summed PSS for forking servers) / CPU seconds per round (cgroup: includes forked children).', '');
    out.push(table(
      ['client', 'clients', ...servers],
      gr.map((r) => [r.client, String(r.concurrency), ...servers.map((s) => {
        const c = r.cells.find((x) => x.server === s);
        return c ? `${mib(c.peakRssBytes)} / ${fmt(c.cpuSecondsPerRound, 2)}` : '–';
      })]),
    ));
    const failures = gr.flatMap((r) => r.cells.filter((c) => c.errors.length > 0).map((c) => `- ${r.client} ${sizeLabel(r.fileSize)} ×${r.concurrency}, ${c.server}: ${[...new Set(c.errors)].slice(0, 3).join('; ')}`));
    if (failures.length > 0) out.push('', 'Failures:', '', ...failures);
    out.push('');
  }
  return out.join('\n');
}

export function httpTables(rows: HttpRowResult[]): string {
  if (rows.length === 0) return '';
  const servers = [...new Set(rows.flatMap((r) => r.cells.map((c) => c.server)))];
  const out: string[] = ['#### HTTP lane (curl)', ''];
  out.push(table(
    ['network', 'client', 'file', 'clients', ...servers.map((s) => `${s} MB/s`), 'peerboot ÷ nginx', ...servers.map((s) => `${s} RSS MiB / CPU s`)],
    rows.map((r) => [
      r.net === 'loopback' ? 'loopback' : '+1 ms RTT', r.client === 'curl-range' ? 'curl, 2 Range requests' : 'curl', sizeLabel(r.fileSize), String(r.concurrency),
      ...servers.map((s) => { const c = r.cells.find((x) => x.server === s); return c ? speedCell(c) : '–'; }),
      r.ratio ? `${fmt(r.ratio.median, 2)}×` : 'n/a',
      ...servers.map((s) => { const c = r.cells.find((x) => x.server === s); return c ? `${mib(c.peakRssBytes)} / ${fmt(c.cpuSecondsPerRound, 2)}` : '–'; }),
    ]),
  ));
  const failures = rows.flatMap((r) => r.cells.filter((c) => c.errors.length > 0).map((c) => `- ${r.client} ${sizeLabel(r.fileSize)} ×${r.concurrency}, ${c.server}: ${[...new Set(c.errors)].slice(0, 3).join('; ')}`));
  if (failures.length > 0) out.push('', 'Failures:', '', ...failures);
  out.push('');
  return out.join('\n');
}

export function targetsTable(targets: TargetCheck[]): string {
  return table(['target', 'where', 'measured', 'verdict'], targets.map((t) => [t.goal, t.where, t.measured, `**${verdict(t)}**`]));
}

export function machineText(m: Machine): string {
  const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  return `${m.date}: ${m.nproc} × ${m.cpuModel}, ${m.memGiB} GiB, Linux ${m.kernel}, Node ${m.node}. ` +
    `Load average (1/5/15 min) ${la(m.loadStart)} at the start, ${la(m.loadEnd)} at the end.` +
    (m.stealShare !== undefined ? ` CPU time stolen by the hypervisor (other guests on the host, /proc/stat steal) during the run: ${(100 * m.stealShare).toFixed(1)} %.` : '');
}

export interface SectionInput {
  machine: Machine;
  command: string;
  plan: TftpPlan;
  versions: string[];
  tftp: RowResult[];
  tftpServers: string[];
  http: HttpRowResult[];
  notes: string;
  peerbootNote: string;
  httpRounds: number;
}

export function benchmarkSection(i: SectionInput): string {
  const targets = [...i.tftp.flatMap((r) => r.targets), ...i.http.flatMap((r) => r.targets)];
  return [
    '## Boot transfer speed',
    '',
    `<!-- Generated by \`${i.command}\` (bench/run.ts); the notes come from bench/notes.md. -->`,
    '',
    `Run: \`${i.command}\` (full run about 15–20 minutes; \`--quick\` for a smoke test). It installs the anchors, ` +
    'generates the files, creates its own network namespaces, starts every server itself, and tears everything down.',
    '',
    `**Machine.** ${machineText(i.machine)}` +
      (Math.max(i.machine.loadStart[0] ?? 0, i.machine.loadEnd[0] ?? 0) > i.machine.nproc
        ? ' The load was above the core count (other work shared the CPUs during the run), so single numbers carry that noise; compare ratios within a row, and re-run on an idle machine for final figures.'
        : '') +
      ((i.machine.stealShare ?? 0) > 0.05
        ? ' The hypervisor took a noticeable share of the CPUs for other guests: that slows every server alike but not evenly over time, so again compare within a row.'
        : ''),
    '',
    `**Software.** ${i.versions.join('; ')}.`,
    '',
    `**peerboot.** ${i.peerbootNote}`,
    '',
    '### Method',
    '',
    '- Files: random bytes, 256 KiB, 1, 4, 32 and 300 MiB, generated once (`.cache/bench/files`), sha256 recorded; every download is checked (size and sha256) and a mismatch counts as a failed download.',
    `- Networks, all in namespaces the bench creates: **loopback** (client and servers on 127.0.0.1 of one namespace); **path**: client ns ⇄ veth ⇄ router ns ⇄ veth ⇄ server ns, where the router sends every packet through bench/net/delay-line, a TUN device that holds each packet ${i.plan.delayUs} µs in each direction (+${(2 * i.plan.delayUs) / 1000} ms RTT, like \`netem delay 1ms\` on one end; this kernel has no netem), and **loss**: the same path plus nftables \`numgen random mod 1000 < ${i.plan.lossPerMille} drop\` in each direction.`,
    `- ${i.plan.rounds} rounds per TFTP row (HTTP: ${i.httpRounds}); in each round every server serves the same client once (storms: N clients started together, each from its own source address, as N machines would be: peerboot allows 16 transfers per client address by default, \`--max-per-client N\`), the server order rotating between rounds. MB/s = 10^6 bytes/s, from client start to client exit. Ratio = peerboot's median ÷ the best other server's median in the same run.`,
    '- Server cost per row: peak memory (VmHWM reset through clear_refs for single-process servers; for in.tftpd\'s per-transfer children and nginx\'s workers the peak of the summed PSS, sampled every 50 ms) and CPU seconds (the server\'s own cgroup, so forked children count).',
    '- Anchors run with their defaults except the concurrency caps (dnsmasq --tftp-max=1000, atftpd --maxthread 1000). tftpd-hpa 5.2 and dnsmasq 2.90 (Debian 12) do not implement windowsize: windowed clients fall back to lock-step with them. The tftp-hpa 5.2 client sends no options (512-byte blocks, like a legacy PXE ROM).',
    '- Smaller files where the full ones would not fit the time budget: over the 1 ms path a lock-step download at 1468-byte blocks runs at ≈ 1.4 MB/s (32 MiB would take 24 s, and tftpd-hpa 5.2 and dnsmasq 2.90 do not implement windowsize, so they are lock-step for every client); with loss every anchor waits out fixed retransmit timeouts of 1–6 s per lost packet, so lock-step (curl) uses 256 KiB (≈ 2 loss events per download) and windowed (atftp) 1 MiB; storms use 4 MiB (50 clients) and 1 MiB (200 clients) per client.',
    '',
    '### Results',
    '',
    tftpTables(i.tftp, i.tftpServers),
    httpTables(i.http),
    '### Targets',
    '',
    targetsTable(targets),
    '',
    i.notes.trim(),
    '',
  ].join('\n');
}

/** Replaces (or appends) the "## Boot transfer speed" section of docs/benchmarks.md, leaving other sections alone. */
export async function writeSection(docPath: string, section: string): Promise<void> {
  let doc = '';
  try {
    doc = await readFile(docPath, 'utf8');
  } catch {
    doc = '# Benchmarks\n\nMeasured results of the benches under bench/. Each section is written by its bench; re-run the command it names to refresh it.\n\n';
  }
  const start = doc.search(/^## Boot transfer speed\s*$/m);
  if (start < 0) {
    doc = `${doc.trimEnd()}\n\n${section.trimEnd()}\n`;
  } else {
    const rest = doc.slice(start + 1);
    const nextRel = rest.search(/^## (?!#)/m);
    const end = nextRel < 0 ? doc.length : start + 1 + nextRel;
    doc = `${doc.slice(0, start)}${section.trimEnd()}\n${nextRel < 0 ? '' : `\n${doc.slice(end)}`}`;
  }
  await writeFile(docPath, doc);
}
