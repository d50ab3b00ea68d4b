/**
 * The peer-to-peer packages bench (does each package cross a site's WAN once, then spread over the
 * LAN, without crowding out business traffic?): a multi-site lab (./p2p-lab.ts) with the real control
 * plane in HQ and two branch sites behind shaped WAN links, N agent processes per site.
 *
 *   1. WAN once: for each N, every agent of both sites starts with an empty cache; WAN bytes per
 *      site from the router's WAN interface counters; time until the first and all N are ready.
 *   2. LAN copy: one agent copying the package from one neighbour that holds it (the reference),
 *      then N fresh agents with one holder (how the swarm scales on the LAN).
 *   3. Competing flow: a bulk TCP download HQ → branch user across the same WAN link, with the
 *      package distribution in adaptive (LEDBAT) mode and, for contrast, unthrottled.
 *   4. Cap: a fixed per-site cap.
 * Results: JSON in the work directory, a Markdown section printed, and with --write-docs the
 * section "Peer-to-peer packages" of docs/benchmarks.md replaced (only that section).
 *
 * Usage (root): node --import tsx bench/p2p/run.ts [--sizes 2,5,10] [--package-mib 300]
 *   [--wan-mbit 20] [--rtt-ms 40] [--wan-queue-ms 150] [--lan-mbit LIST] [--parts LIST] [--write-docs]
 *   --lan-mbit LIST: LAN port rates for the LAN part (default 100,50,none; none = unshaped).
 *   --render-only: no lab; render (and with --write-docs, write) the section from the last results
 *   (.cache/bench/p2p-results.json).
 *   --parts LIST: which parts to run, of wan,lan,competition,cap,jumbo (jumbo: the WAN runs again
 *   with every link at MTU 9000); parts not run keep their figures from the last results.
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { WanPolicy } from '../../src/agent/wan/wan-shaper.js';
import { cleanupSync, compileDelayForwarder, jsonLines, removeStaleLabs, repoRoot, sh, type LabAgent } from './p2p-lab.js';
import { bundle, keyOf, setupLabWithServer, siteWanBytes, startAgents, type AgentRecord, type LabEnv } from './p2p-scenario.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '2,5,10' },
    'package-mib': { type: 'string', default: '300' },
    'wan-mbit': { type: 'string', default: '20' },
    'rtt-ms': { type: 'string', default: '40' },
    'wan-queue-ms': { type: 'string', default: '150' },
    'lan-mbit': { type: 'string', default: '100,50,none' },
    'write-docs': { type: 'boolean', default: false },
    'render-only': { type: 'boolean', default: false },
    parts: { type: 'string', default: 'wan,lan,competition,cap' },
  },
});
const sizes = values.sizes!.split(',').map(Number);
const packageBytes = Number(values['package-mib']) * 1024 * 1024;
const wanMbit = Number(values['wan-mbit']);
const rttMs = Number(values['rtt-ms']);
/** LAN port rate for the LAN-distribution runs (they also run unshaped). */
// LAN port rates for the LAN part, in Mbit/s; 'none' = unshaped veth.
const lanRates = values['lan-mbit']!.split(',').map((x) => (x.trim() === 'none' ? null : Number(x)));
if (lanRates.some((r) => r !== null && !(r > 0))) throw new Error(`--lan-mbit: expected rates in Mbit/s or 'none', got ${values['lan-mbit']}`);
const lanMbit = lanRates.find((r) => r !== null) ?? null;
const maxN = Math.max(...sizes);
const ADAPTIVE: WanPolicy = { capBytesPerSecond: null, adaptive: true, targetDelayMs: 50 };
const UNLIMITED: WanPolicy = { capBytesPerSecond: null, adaptive: false };
const linkBytesPerSecond = (wanMbit * 1e6) / 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stderr.write(`[p2p-bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { cleanupSync(); process.exit(130); });

interface SiteResult {
  site: number;
  wanFrameBytes: number;
  wanPackets: number;
  /** Frame bytes minus 66 bytes of Ethernet + IPv4 + TCP (with timestamps) headers per packet. */
  wanPayloadBytes: number;
  chunkBytesFromWan: number;
  wanFetchers: string[];
  firstReadyS: number;
  allReadyS: number;
  tailS: number;
  allVerified: boolean;
}

interface Results {
  when: string;
  machine: string;
  params: Record<string, unknown>;
  wanRuns: Array<{ n: number; sites: SiteResult[] }>;
  /** The same WAN runs with every link at MTU 9000 (framing ~0.7 % instead of ~4.5 %). */
  wanRunsJumbo?: Array<{ n: number; sites: SiteResult[] }>;
  lan: Array<{ lanMbit: number | null; singleS: number; runs: Array<{ n: number; allReadyS: number; wanBytes: number }> }>;
  competition: Array<{ label: string; competitorMbit: number; competitorShareOfLink: number; distributionMbit: number; windowS: number }>;
  competitorAloneMbit: number | null;
  cap: { capMbit: number; measuredMbit: number } | null;
}

const workDir = `/dev/shm/pbp2p-bench-${process.pid}`;
const results: Results = {
  when: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${sh(['uname', '-r']).trim()}, Node ${process.version}`,
  params: { packageMiB: packageBytes / 2 ** 20, wanMbit, rttMs, wanQueueMs: Number(values['wan-queue-ms']), lanMbit, sizes, tcp: 'reno' },
  wanRuns: [], lan: [], competition: [], competitorAloneMbit: null, cap: null,
};

function siteAgents(env: LabEnv, site: number, n: number): LabAgent[] {
  return env.lab.agents.filter((a) => a.site === site && a.index <= n);
}

function summarizeSite(env: LabEnv, site: number, records: AgentRecord[], t0: number, before: { bytes: number; packets: number }): SiteResult {
  const c = env.lab.wanCounters(site);
  const frames = c.rxBytes + c.txBytes - before.bytes;
  const packets = c.rxPackets + c.txPackets - before.packets;
  const mine = records.filter((r) => r.site === site);
  const readies = mine.map((r) => r.readyAtMs! - t0);
  return {
    site,
    wanFrameBytes: frames,
    wanPackets: packets,
    wanPayloadBytes: frames - 66 * packets,
    chunkBytesFromWan: mine.reduce((n, r) => n + Number(r.stats?.bytesFromWan ?? 0), 0),
    wanFetchers: mine.filter((r) => Number(r.stats?.bytesFromWan ?? 0) > 0).map((r) => r.key),
    firstReadyS: Math.min(...readies) / 1000,
    allReadyS: Math.max(...readies) / 1000,
    tailS: (Math.max(...readies) - Math.min(...readies)) / 1000,
    allVerified: mine.every((r) => r.verified !== null && r.verified.chunksBad === 0 && r.verified.chunksOk === env.hq.manifest.manifest.files.reduce((k, f) => k + f.chunks.length, 0)),
  };
}

async function wanRun(env: LabEnv, n: number, into: Array<{ n: number; sites: SiteResult[] }> = results.wanRuns): Promise<void> {
  const agents = [1, 2].flatMap((s) => siteAgents(env, s, n));
  const before = [1, 2].map((s) => { const c = env.lab.wanCounters(s); return { bytes: c.rxBytes + c.txBytes, packets: c.rxPackets + c.txPackets }; });
  const t0 = Date.now();
  const run = startAgents(env, agents.map((agent) => ({ agent, wan: ADAPTIVE, fresh: true })));
  try {
    await run.allReady(60 * 60_000);
  } finally {
    await run.stop();
  }
  const sites = [1, 2].map((s) => summarizeSite(env, s, run.records, t0, before[s - 1]!));
  into.push({ n, sites });
  for (const s of sites) log(`${into === results.wanRuns ? '' : 'MTU 9000 '}N=${n} site ${s.site}: WAN ${(s.wanFrameBytes / env.hq.packageBytes).toFixed(4)}× (frames), ${(s.wanPayloadBytes / env.hq.packageBytes).toFixed(4)}× (TCP payload); ready first ${s.firstReadyS.toFixed(1)} s, all ${s.allReadyS.toFixed(1)} s; fetchers ${s.wanFetchers.join(',')}; verified ${s.allVerified}`);
}

async function lanRuns(env: LabEnv, portMbit: number | null): Promise<void> {
  env.lab.shapeLan(portMbit);
  // The holder: the extra site-1 agent (maxN+1), started with a copy of a finished agent's cache.
  const holder = env.lab.agents.find((a) => a.site === 1 && a.index === maxN + 1)!;
  const source = join(workDir, 'agents', keyOf(env.lab.agents.find((a) => a.site === 1 && a.index === 1)!));
  const seed = join(workDir, 'seed-cache');
  if (!existsSync(seed)) {
    // A finished agent's cache, or (LAN-only runs) the server's content store, which has the same layout.
    if (existsSync(join(source, 'chunk-cache'))) cpSync(join(source, 'chunk-cache'), join(seed, 'chunk-cache'), { recursive: true });
    else cpSync(join(workDir, 'server', 'content', 'chunks'), join(seed, 'chunk-cache', 'chunks'), { recursive: true });
  }
  const measure = async (n: number) => {
    const wan0 = siteWanBytes(env.lab, 1);
    const holderRun = startAgents(env, [{ agent: holder, wan: ADAPTIVE, seedFrom: seed }]);
    await holderRun.allReady(120_000);
    await sleep(1500);
    const t0 = Date.now();
    const fresh = startAgents(env, siteAgents(env, 1, n).map((agent) => ({ agent, wan: ADAPTIVE, fresh: true })));
    try {
      await fresh.allReady(30 * 60_000);
    } finally {
      await fresh.stop();
      await holderRun.stop();
    }
    return { allReadyS: (Math.max(...fresh.records.map((r) => r.readyAtMs!)) - t0) / 1000, wanBytes: siteWanBytes(env.lab, 1) - wan0 };
  };
  const where = portMbit === null ? 'unshaped LAN' : `LAN ports ${portMbit} Mbit/s`;
  const single = await measure(1);
  const entry = { lanMbit: portMbit, singleS: single.allReadyS, runs: [] as Array<{ n: number; allReadyS: number; wanBytes: number }> };
  results.lan = results.lan.filter((e) => e.lanMbit !== portMbit);
  results.lan.push(entry);
  log(`${where}: one agent copies the package from one holder in ${single.allReadyS.toFixed(1)} s (WAN bytes meanwhile ${single.wanBytes})`);
  for (const n of sizes) {
    const r = await measure(n);
    entry.runs.push({ n, ...r });
    log(`${where}: ${n} fresh agents, one holder: all ready in ${r.allReadyS.toFixed(1)} s (${(r.allReadyS / single.allReadyS).toFixed(2)}× the single copy)`);
  }
  env.lab.shapeLan(null);
}

async function competitorFlow(env: LabEnv, flowBundle: string, seconds: number): Promise<Array<{ atMs: number; bytes: number }>> {
  const sink = env.lab.spawnIn(env.lab.userNs(1), [process.execPath, flowBundle, 'sink', env.lab.hqAddress, '9000', String(seconds)]);
  const rates: Array<{ atMs: number; bytes: number }> = [];
  jsonLines(sink, (e) => { if (e.event === 'rate') rates.push({ atMs: e.atMs as number, bytes: e.bytes as number }); });
  await new Promise((r) => sink.on('exit', r));
  return rates;
}

const rateOf = (rates: Array<{ atMs: number; bytes: number }>, fromMs: number, toMs: number) => {
  const inside = rates.filter((r) => r.atMs > fromMs && r.atMs <= toMs);
  return inside.reduce((n, r) => n + r.bytes, 0) / (inside.length * 0.25);
};

async function competition(env: LabEnv): Promise<void> {
  const flowBundle = bundle(join(repoRoot, 'bench', 'p2p', 'bulk-flow.ts'), join(workDir, 'flow.mjs'));
  const source = env.lab.spawnIn(env.lab.hqNs, [process.execPath, flowBundle, 'source', '9000']);
  source.stdout?.resume();
  await sleep(500);
  const alone = await competitorFlow(env, flowBundle, 15);
  results.competitorAloneMbit = (rateOf(alone, alone[0]!.atMs + 3000, Infinity) * 8) / 1e6;
  log(`competing flow alone: ${results.competitorAloneMbit.toFixed(1)} Mbit/s`);
  const scenario = async (label: string, wan: WanPolicy, competitorFirst: boolean | 'idleFirst') => {
    const agents = siteAgents(env, 1, 5);
    let run: ReturnType<typeof startAgents> | null = null;
    let flow: Promise<Array<{ atMs: number; bytes: number }>>;
    const windowS = 40;
    let windowStart: number;
    if (competitorFirst === 'idleFirst') {
      // Agents that have run for a while before the package is enabled: idle on a quiet link for 90 s
      // (their idle probes learn the empty-queue delay), then the competitor starts, then at 100 s
      // the package is wanted while the competitor fills the link.
      run = startAgents(env, agents.map((agent) => ({ agent, wan, fresh: true, wantAfterMs: 100_000 })));
      await sleep(90_000);
      flow = competitorFlow(env, flowBundle, windowS + 25);
      await sleep(20_000);
      windowStart = Date.now();
    } else if (competitorFirst) {
      flow = competitorFlow(env, flowBundle, windowS + 20);
      await sleep(10_000);
      // Long-running agents: their WAN delay history (from the run just before) survives; the package cache does not.
      run = startAgents(env, agents.map((agent) => ({ agent, wan, fresh: 'cache' as const })));
      await sleep(10_000);
      windowStart = Date.now();
    } else {
      run = startAgents(env, agents.map((agent) => ({ agent, wan, fresh: 'cache' as const })));
      await sleep(15_000);
      flow = competitorFlow(env, flowBundle, windowS + 5);
      await sleep(5000);
      windowStart = Date.now();
    }
    const wan0 = env.lab.wanCounters(1).rxBytes;
    await sleep(windowS * 1000);
    const wan1 = env.lab.wanCounters(1).rxBytes;
    const windowEnd = Date.now();
    const rates = await flow;
    await run.stop();
    const competitor = rateOf(rates, windowStart, windowEnd);
    const total = (wan1 - wan0) / ((windowEnd - windowStart) / 1000);
    const entry = { label, competitorMbit: (competitor * 8) / 1e6, competitorShareOfLink: competitor / linkBytesPerSecond, distributionMbit: (Math.max(0, total - competitor) * 8) / 1e6, windowS };
    results.competition.push(entry);
    log(`${label}: competitor ${entry.competitorMbit.toFixed(1)} Mbit/s (${(entry.competitorShareOfLink * 100).toFixed(0)} % of the link), distribution ≈ ${entry.distributionMbit.toFixed(1)} Mbit/s`);
  };
  await scenario('adaptive (LEDBAT), competitor arrives during the distribution', ADAPTIVE, false);
  await scenario('adaptive (LEDBAT), distribution starts while the competitor runs (delay history from the run before)', ADAPTIVE, true);
  // The same with no history at all (a brand-new agent): LEDBAT's latecomer case.
  for (const a of siteAgents(env, 1, 5)) rmSync(join(workDir, 'agents', keyOf(a), 'wan-base-delay.json'), { force: true });
  await scenario('adaptive (LEDBAT), distribution starts while the competitor runs, agents with no delay history', ADAPTIVE, true);
  await scenario('adaptive (LEDBAT), brand-new agents idle on the quiet link for 90 s, then the competitor, then the package', ADAPTIVE, 'idleFirst');
  await scenario('unthrottled, competitor arrives during the distribution', UNLIMITED, false);
  source.kill('SIGTERM');
}

async function capRun(env: LabEnv): Promise<void> {
  const capMbit = 8;
  const agents = siteAgents(env, 1, 2);
  const run = startAgents(env, agents.map((agent) => ({ agent, wan: { capBytesPerSecond: (capMbit * 1e6) / 8, adaptive: false }, fresh: true })));
  await sleep(10_000);
  const a = env.lab.wanCounters(1).rxBytes;
  const t = Date.now();
  await sleep(20_000);
  const measured = ((env.lab.wanCounters(1).rxBytes - a) * 8) / ((Date.now() - t) / 1000) / 1e6;
  await run.stop();
  results.cap = { capMbit, measuredMbit: measured };
  log(`cap ${capMbit} Mbit/s: WAN carried ${measured.toFixed(2)} Mbit/s (frames)`);
}

function markdown(r: Results): string {
  const pkg = r.params.packageMiB as number;
  const lines: string[] = [];
  lines.push('## Peer-to-peer packages', '');
  lines.push(`Measured ${r.when.slice(0, 10)} with \`bench/p2p/run.ts\` on ${r.machine}.`, '');
  lines.push(`Lab (bench/p2p/p2p-lab.ts): an HQ namespace running the real \`peerboot server\` (SQLite), which enrolls every agent through the agent API (issuing its certificate) and imports a ${pkg} MiB package through the admin API (its signed manifest is what agents verify); a core router; two branch sites, each behind a WAN link shaped with tc tbf at ${r.params.wanMbit} Mbit/s with a ${r.params.wanQueueMs} ms queue and ${r.params.rttMs} ms RTT added by bench/p2p/delay-forwarder.c (the kernel has no netem); N agent processes per site on a bridge (unshaped veth ports except where stated); agent caches on tmpfs; TCP Reno in every namespace (a namespace cannot pick CUBIC on this host). Agents run the real swarm (\`startAgentPackageSwarm\`) in adaptive WAN mode unless stated.`, '');
  lines.push('### Each site\'s WAN link carries the package once', '');
  lines.push('WAN bytes are the router\'s WAN interface counters (rx + tx, Ethernet frames) divided by the package size; "payload" subtracts 66 bytes of Ethernet + IPv4 + TCP headers per packet (at MTU 1500 the framing alone is ~4.5 %). Times are from starting all agents (empty caches) to each agent reporting ready (every chunk verified); a site\'s agents are ready within seconds of each other because the others copy each chunk from the WAN fetcher as it lands.', '');
  lines.push('| N per site | site | WAN bytes (frames) | WAN bytes (payload) | chunk bytes via WAN | WAN fetchers | first ready | all N ready | all − first | every chunk verified |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const run of r.wanRuns) for (const s of run.sites) {
    lines.push(`| ${run.n} | ${s.site} | ${(s.wanFrameBytes / (pkg * 2 ** 20)).toFixed(3)}× | ${(s.wanPayloadBytes / (pkg * 2 ** 20)).toFixed(3)}× | ${(s.chunkBytesFromWan / (pkg * 2 ** 20)).toFixed(3)}× | ${s.wanFetchers.length} | ${s.firstReadyS.toFixed(1)} s | ${s.allReadyS.toFixed(1)} s | ${s.tailS.toFixed(1)} s | ${s.allVerified ? 'yes' : '**no**'} |`);
  }
  lines.push('');
  const fullLinkS = (pkg * 2 ** 20 * 8) / ((r.params.wanMbit as number) * 1e6);
  const firsts = r.wanRuns.flatMap((w) => w.sites.map((s) => s.firstReadyS));
  lines.push(`Time: the package alone would fill the ${r.params.wanMbit} Mbit/s link for ${fullLinkS.toFixed(0)} s; the first agent of a site was ready after ${Math.min(...firsts).toFixed(0)}–${Math.max(...firsts).toFixed(0)} s. The adaptive mode keeps its own queue under the 50 ms target and starts from a conservative rate, so it leaves part of an idle link unused (a site that wants the whole link sets a cap and turns the adaptive mode off); the slowest rows are N = 10, where 22 agent processes and the server share the host's two cores.`, '');
  if (r.wanRunsJumbo && r.wanRunsJumbo.length > 0) {
    lines.push('The same runs with every link of the lab at MTU 9000 (jumbo frames; framing ~0.7 %), to show the counters themselves within 1.02×:', '');
    lines.push('| N per site | site | WAN bytes (frames) | WAN bytes (payload) | WAN fetchers | first ready | all N ready | every chunk verified |', '|---|---|---|---|---|---|---|---|');
    for (const run of r.wanRunsJumbo) for (const s of run.sites) {
      lines.push(`| ${run.n} | ${s.site} | ${(s.wanFrameBytes / (pkg * 2 ** 20)).toFixed(3)}× | ${(s.wanPayloadBytes / (pkg * 2 ** 20)).toFixed(3)}× | ${s.wanFetchers.length} | ${s.firstReadyS.toFixed(1)} s | ${s.allReadyS.toFixed(1)} s | ${s.allVerified ? 'yes' : '**no**'} |`);
    }
    lines.push('');
  }
  if (r.lan.length > 0) {
    lines.push('### LAN distribution', '');
    lines.push('One agent copying the package from one neighbour that holds it is the reference; then N fresh agents start together with that one holder and copy from it and from each other. Times from starting the fresh agents to the last one ready (includes process start). Every agent of this lab shares the host\'s two cores, while on a real LAN every machine brings its own CPU and NIC. Unshaped, one copy between two agents moves about 120 MB/s and is CPU-bound; N agents then split that CPU, so the unshaped rows measure this host, not the swarm. With each port shaped, the network is the limit as long as the aggregate the N agents need stays below that ceiling: 10 agents at 100 Mbit/s per port need ≈ 117 MB/s (this host\'s ceiling, hence ≈ 2×); at 50 Mbit/s per port ≈ 58 MB/s, which shows how the swarm scales when the network is the limit.', '');
    lines.push('| LAN | single copy | N | all N ready | × the single copy | target ≤ 2× |', '|---|---|---|---|---|---|');
    for (const lan of r.lan) for (const run of lan.runs) {
      lines.push(`| ${lan.lanMbit === null ? 'unshaped veth' : `${lan.lanMbit} Mbit/s per port`} | ${lan.singleS.toFixed(1)} s | ${run.n} | ${run.allReadyS.toFixed(1)} s | ${(run.allReadyS / lan.singleS).toFixed(2)}× | ${run.allReadyS <= 2 * lan.singleS ? 'met' : '**missed**'} |`);
    }
    lines.push('');
    const tails = r.wanRuns.flatMap((w) => w.sites.map((s) => s.tailS));
    lines.push(`In the WAN runs the LAN copies overlap the WAN transfer: the last agent of a site was ready at most ${Math.max(...tails).toFixed(1)} s after the first.`, '');
  }
  if (r.competition.length > 0) {
    lines.push('### A competing TCP flow keeps the link', '');
    lines.push(`A bulk TCP download from HQ to a branch user (the business traffic) shares site 1's WAN link with 5 agents distributing the package. Alone it gets ${r.competitorAloneMbit?.toFixed(1)} Mbit/s of the ${r.params.wanMbit} Mbit/s link. Measured over a 40 s window once both run:`, '');
    lines.push('| WAN mode | competitor | share of the link | package distribution meanwhile |', '|---|---|---|---|');
    for (const c of r.competition) lines.push(`| ${c.label} | ${c.competitorMbit.toFixed(1)} Mbit/s | ${(c.competitorShareOfLink * 100).toFixed(0)} % | ${c.distributionMbit.toFixed(1)} Mbit/s |`);
    lines.push('');
    lines.push('The row "agents with no delay history" is LEDBAT\'s known weak case (RFC 6817 §4.4, latecomers): an agent that first measures the path while another flow keeps the queue full takes that queue for propagation delay. It varies most between runs (as low as 74 % on this machine). Agents therefore probe the WAN (two `GET /healthz` a minute) while idle in adaptive mode, so an agent that has been up for a minute on a quiet link knows the empty-queue delay before it has to fetch (the row "idle on the quiet link").', '');
  }
  if (r.cap) lines.push(`### Per-site cap`, '', `With a cap of ${r.cap.capMbit} Mbit/s (non-adaptive) the WAN link carried ${r.cap.measuredMbit.toFixed(2)} Mbit/s (frames, 20 s window).`, '');
  lines.push('Run it (root; about 30 minutes): `node --import tsx bench/p2p/run.ts --write-docs` (add `--parts wan,lan,competition,cap,jumbo` for the MTU 9000 pass, ~10 minutes more). A small version runs in CI as `test/p2p/p2p-lab.test.ts`, and three real `peerboot agent` processes share a package in `test/agent/agents-lan.test.ts`.', '');
  return lines.join('\n');
}

function writeDocs(section: string): void {
  const path = join(repoRoot, 'docs', 'benchmarks.md');
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n\n';
  const start = text.indexOf('## Peer-to-peer packages');
  if (start >= 0) {
    const rest = text.slice(start + 3);
    const next = rest.search(/^## /m);
    text = text.slice(0, start) + section + (next >= 0 ? '\n' + rest.slice(next) : '');
  } else {
    text = text.replace(/\s*$/, '\n\n') + section;
  }
  writeFileSync(path, text.replace(/\n{3,}/g, '\n\n'));
}

const resultsPath = join(repoRoot, '.cache', 'bench', 'p2p-results.json');
if (values['render-only']) {
  const section = markdown(JSON.parse(readFileSync(resultsPath, 'utf8')) as Results);
  process.stdout.write(section + '\n');
  if (values['write-docs']) writeDocs(section);
  process.exit(0);
}
const parts = new Set(values.parts!.split(','));
if (existsSync(resultsPath)) {
  // Keep what this run does not redo.
  const previous = JSON.parse(readFileSync(resultsPath, 'utf8')) as Results;
  if (!parts.has('wan')) results.wanRuns = previous.wanRuns;
  if (!parts.has('jumbo')) results.wanRunsJumbo = previous.wanRunsJumbo;
  // LAN rows of the rates this run does not measure are kept.
  results.lan = parts.has('lan') ? previous.lan.filter((e) => !lanRates.includes(e.lanMbit)) : previous.lan;
  if (!parts.has('competition')) { results.competition = previous.competition; results.competitorAloneMbit = previous.competitorAloneMbit; }
  if (!parts.has('cap')) results.cap = previous.cap;
}
removeStaleLabs();
const forwarder = compileDelayForwarder(join(repoRoot, '.cache', 'bench'));
log(`setting up: 2 sites × ${maxN + 1} agents, ${packageBytes / 2 ** 20} MiB package`);
const env = await setupLabWithServer({
  sites: 2, agentsPerSite: maxN + 1, wanMbit, wanDelayMs: rttMs / 2, wanQueueMs: Number(values['wan-queue-ms']), lanMbit: null, users: true,
  delayForwarderBin: forwarder, workDir, packageBytes,
});
try {
  if (parts.has('wan')) for (const n of sizes) await wanRun(env, n);
  if (parts.has('lan')) {
    for (const rate of lanRates) await lanRuns(env, rate);
    const order = (r: number | null) => (r === null ? Infinity : -r);
    results.lan.sort((a, b) => order(a.lanMbit) - order(b.lanMbit));
  }
  if (parts.has('competition')) await competition(env);
  if (parts.has('cap')) await capRun(env);
  if (parts.has('jumbo')) {
    results.wanRunsJumbo = [];
    env.lab.setMtu(9000);
    for (const n of sizes) await wanRun(env, n, results.wanRunsJumbo);
  }
} finally {
  await env.close();
  writeFileSync(resultsPath, JSON.stringify(results, null, 2));
  rmSync(workDir, { recursive: true, force: true });
}
const section = markdown(results);
process.stdout.write(section + '\n');
if (values['write-docs']) writeDocs(section);
