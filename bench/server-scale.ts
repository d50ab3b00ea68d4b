/**
 * Control-plane scale bench (does a policy change reach 10,000 agents within seconds, also across
 * servers?), one command as root from a clean clone:
 *   node --import tsx bench/server-scale.ts            full run (10,000 agents; about 5 minutes)
 *   node --import tsx bench/server-scale.ts --quick    1,000 agents, no docs update
 * Flags: --agents N  --pg-agents N  --no-pg  --no-docs  --json FILE
 *
 * 1. One `peerboot server` (embedded SQLite) on 127.0.0.1; N simulated agents (a separate process,
 *    bench/server-scale-agents.ts) enroll through the API and hold policy streams open. The admin
 *    then enables P2P PXE for a collection holding every agent; we measure, per agent, the time
 *    from the PUT's answer to the complete arrival of a policy with the new serial, and the
 *    server's resident memory (VmRSS with every stream open, VmHWM peak).
 * 2. Two `peerboot server` processes on one PostgreSQL (a throwaway cluster); agents stream from
 *    server B while the admin changes settings through server A; five changes, latency per agent.
 * Results print as Markdown and replace the "Control plane scale" section of docs/benchmarks.md.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { ApiClient } from '../src/contract/client.js';
import { startPostgresTestCluster } from '../src/testkit/postgres-test-cluster.js';

const root = join(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean' }, agents: { type: 'string' }, 'pg-agents': { type: 'string' }, 'no-pg': { type: 'boolean' },
    'no-docs': { type: 'boolean' }, json: { type: 'string' }, machines: { type: 'string' }, profile: { type: 'string' },
  },
});
const quick = Boolean(flags.quick);
const agentCount = Number(flags.agents ?? (quick ? 1000 : 10_000));
const pgAgentCount = Number(flags['pg-agents'] ?? (quick ? 500 : 2000));
const machineCount = Number(flags.machines ?? (quick ? 200 : 1000));
const subnetCount = Math.max(1, Math.round(agentCount / 50));
const log = (s: string) => process.stderr.write(`[scale] ${s}\n`);

// ---- helpers -----------------------------------------------------------------------------------

/** The server's own account of each push: how many agents, how long until the last write (from its JSON log). */
const serverPushes: Array<{ agents: number; ms: number }> = [];

interface ServerProc { url: string; pid: number; child: ChildProcess; dataDir: string; stop(): Promise<void> }

async function startServer(dataDir: string, database?: string): Promise<ServerProc> {
  const prof = flags.profile ? ['--cpu-prof', '--cpu-prof-dir', flags.profile] : [];
  const args = [...prof, '--import', 'tsx', join(root, 'src/cli/main.ts'), 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--log-level', 'info'];
  if (database) args.push('--database', database);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  // The server's JSON log: keep the policy-push lines (how long a push took on the server side).
  child.stdout!.on('data', (b: Buffer) => {
    for (const line of b.toString().split('\n')) {
      if (!line.includes('"policy pushed"')) continue;
      log(`server ${child.pid}: ${line}`);
      try { const j = JSON.parse(line) as { agents: number; ms: number }; serverPushes.push({ agents: j.agents, ms: j.ms }); } catch { /* partial line */ }
    }
  });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 60_000);
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /peerboot server (http:\/\/[\d.]+:\d+)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  return {
    url, pid: child.pid!, child, dataDir,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }),
  };
}

function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMiB: Math.round(kib('VmRSS') / 1024), hwmMiB: Math.round(kib('VmHWM') / 1024) };
}

async function adminClient(server: ServerProc, passwordFrom = server.dataDir): Promise<ApiClient> {
  const pw = /password: (\S+)/.exec(readFileSync(join(passwordFrom, 'initial-admin.txt'), 'utf8'))![1]!;
  const client = new ApiClient({ baseUrl: server.url });
  client.token = (await client.call('login', { body: { username: 'admin', password: pw } })).token;
  return client;
}

class Agents {
  readonly child: ChildProcess;
  #waiting: Array<(m: Record<string, unknown>) => void> = [];
  constructor() {
    this.child = fork(join(root, 'bench/server-scale-agents.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: Record<string, unknown>) => {
      if (m.type === 'error') { log(`agents process: ${String(m.message)}`); process.exit(1); }
      this.#waiting.shift()?.(m);
    });
  }
  next(): Promise<Record<string, unknown>> { return new Promise((r) => this.#waiting.push(r)); }
  async ask(cmd: Record<string, unknown>): Promise<Record<string, unknown>> {
    const p = this.next();
    this.child.send(cmd);
    return p;
  }
}

const pct = (sorted: number[], p: number) => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const sec = (ms: number) => (ms / 1000).toFixed(2);

/** Profile with a small uploaded package, known machines spread over the sites, a deployment. */
async function configure(client: ApiClient, machines: number) {
  const profile = await client.call('createProfile', { body: { name: 'ipxe', kind: 'ipxe' } });
  const files = [];
  for (const [path, size] of [['undionly.kpxe', 74_213], ['ipxe.efi', 1_000_000]] as const) {
    const bytes = Buffer.alloc(size, path.length);
    const sha = createHash('sha256').update(bytes).digest('hex');
    await client.call('putChunk', { params: { sha256: sha }, body: bytes });
    files.push({ path, sizeBytes: size, sha256: sha, chunks: [sha] });
  }
  await client.call('createPackage', { body: { name: 'ipxe', profileId: profile.id, files } });
  const sites = await client.call('listSites', {});
  for (let i = 0; i < machines; i++) {
    await client.call('createMachine', { body: { name: `m-${i}`, mac: `0a:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, siteId: sites[i % sites.length]!.id, labels: { wave: 'one' } } });
  }
  const reimage = await client.call('createCollection', { body: { name: 'reimage', memberKind: 'machine', rules: [{ kind: 'label', key: 'wave', value: 'one' }] } });
  await client.call('createDeployment', { body: { name: 'wave one', profileId: profile.id, collectionId: reimage.id, intent: 'required' } });
  const everyone = await client.call('createCollection', { body: { name: 'all agents', memberKind: 'agent', rules: [{ kind: 'subnet', cidr: '10.0.0.0/8' }] } });
  return { profile, everyone };
}

// ---- phase 1: one server, SQLite, N agents -------------------------------------------------------

interface Phase1 { serverPushMs: number; agents: number; subnets: number; machines: number; enrollS: number; connectS: number; withPolicy: number; received: number; p50: number; p95: number; p99: number; max: number; within10s: number; rssIdleMiB: number; rssAfterMiB: number; hwmMiB: number; verified: number; failed: number; uniqueDocs: number; policyBytes: number }

async function phase1(): Promise<Phase1> {
  const dir = mkdtempSync(join(tmpdir(), 'peerboot-scale-'));
  const server = await startServer(join(dir, 'data'));
  const agents = new Agents();
  try {
    await agents.next();
    const client = await adminClient(server);
    const tok = await client.call('createEnrollmentToken', { body: { name: 'bench', usesMax: agentCount + 10, expiresInHours: 24 } });
    log(`phase 1: enrolling ${agentCount} agents over ${subnetCount} subnets`);
    let t = Date.now();
    await agents.ask({ cmd: 'enroll', servers: [server.url], enrollToken: tok.token, count: agentCount, subnets: subnetCount, concurrency: 32 });
    const enrollS = (Date.now() - t) / 1000;
    log(`enrolled in ${enrollS.toFixed(1)} s; configuring ${machineCount} machines`);
    const { profile, everyone } = await configure(client, machineCount);
    log('opening policy streams');
    t = Date.now();
    const conn = await agents.ask({ cmd: 'connect', batch: 250, localAddresses: 16 });
    const connectS = (Date.now() - t) / 1000;
    log(`${String(conn.connected)} streams open, ${String(conn.withPolicy)} hold a policy, in ${connectS.toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 2000));
    const idle = memoryOf(server.pid);
    serverPushes.length = 0;
    const t0 = Date.now();
    const settings = await client.call('putPxeSettings', { body: { enabled: true, targetCollectionIds: [everyone.id], unknownComputers: { enabled: true, profileId: profile.id }, toolkitProfileId: profile.id } });
    const answeredMs = Date.now();
    const res = await agents.ask({ cmd: 'awaitSerial', minSerial: settings.revision, timeoutMs: 60_000 });
    const receipts = (res.receiptsMs as number[]).map((ms) => ms - answeredMs).sort((a, b) => a - b);
    const after = memoryOf(server.pid);
    const v = await agents.ask({ cmd: 'verify' });
    const sample = await client.call('getAgentPolicy', { params: { id: (await client.call('listAgents', { query: { limit: 1 } }))[0]!.id } });
    log(`Enable: PUT answered in ${answeredMs - t0} ms; ${receipts.length}/${agentCount} hold the new policy; p99 ${sec(pct(receipts, 99))} s`);
    await agents.ask({ cmd: 'close' });
    return {
      serverPushMs: serverPushes.find((p) => p.agents === agentCount)?.ms ?? NaN,
      agents: agentCount, subnets: subnetCount, machines: machineCount, enrollS, connectS, withPolicy: Number(conn.withPolicy), received: receipts.length,
      p50: pct(receipts, 50), p95: pct(receipts, 95), p99: pct(receipts, 99), max: receipts[receipts.length - 1] ?? NaN,
      within10s: receipts.filter((ms) => ms <= 10_000).length / agentCount,
      rssIdleMiB: idle.rssMiB, rssAfterMiB: after.rssMiB, hwmMiB: after.hwmMiB,
      verified: Number(v.verified), failed: Number(v.failed), uniqueDocs: Number(v.uniqueDocuments), policyBytes: JSON.stringify(sample).length,
    };
  } finally {
    agents.child.kill();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- phase 2: two servers, one PostgreSQL ------------------------------------------------------

interface Phase2 { agents: number; changes: number; samples: number; missing: number; p50: number; p99: number; max: number; within2s: number }

async function phase2(): Promise<Phase2> {
  const cluster = await startPostgresTestCluster();
  const dir = mkdtempSync(join(tmpdir(), 'peerboot-scale-pg-'));
  const agents = new Agents();
  let a: ServerProc | null = null;
  let b: ServerProc | null = null;
  try {
    await agents.next();
    const db = await cluster.createDatabase();
    a = await startServer(join(dir, 'a'), db);
    b = await startServer(join(dir, 'b'), db);
    const adminDir = existsSync(join(dir, 'a', 'initial-admin.txt')) ? join(dir, 'a') : join(dir, 'b');
    const viaA = await adminClient(a, adminDir);
    const tok = await viaA.call('createEnrollmentToken', { body: { name: 'bench', usesMax: pgAgentCount + 10, expiresInHours: 24 } });
    log(`phase 2: ${pgAgentCount} agents enroll with and stream from server B; changes go through server A`);
    await agents.ask({ cmd: 'enroll', servers: [b.url], enrollToken: tok.token, count: pgAgentCount, subnets: Math.max(1, Math.round(pgAgentCount / 50)), concurrency: 32 });
    const { profile, everyone } = await configure(viaA, Math.min(machineCount, 200));
    const conn = await agents.ask({ cmd: 'connect', batch: 250, localAddresses: 16 });
    log(`${String(conn.withPolicy)} streams hold a policy`);
    const all: number[] = [];
    let missing = 0;
    const changes = 5;
    for (let i = 0; i < changes; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const enabled = i % 2 === 0;
      const s = await viaA.call('putPxeSettings', { body: { enabled, targetCollectionIds: [everyone.id], unknownComputers: { enabled: false, profileId: null }, toolkitProfileId: profile.id } });
      const answeredMs = Date.now();
      const res = await agents.ask({ cmd: 'awaitSerial', minSerial: s.revision, timeoutMs: 20_000 });
      const lat = (res.receiptsMs as number[]).map((ms) => ms - answeredMs);
      all.push(...lat);
      missing += Number(res.missing);
      log(`change ${i + 1}: ${lat.length}/${pgAgentCount} in ${sec(Math.max(...lat))} s max`);
    }
    await agents.ask({ cmd: 'close' });
    all.sort((x, y) => x - y);
    return { agents: pgAgentCount, changes, samples: all.length, missing, p50: pct(all, 50), p99: pct(all, 99), max: all[all.length - 1] ?? NaN, within2s: all.filter((ms) => ms <= 2000).length / (pgAgentCount * changes) };
  } finally {
    agents.child.kill();
    await a?.stop();
    await b?.stop();
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- report --------------------------------------------------------------------------------------

function markdown(p1: Phase1, p2: Phase2 | null, loadStart: number[]): string {
  const pctText = (x: number) => `${(x * 100).toFixed(2)} %`;
  const lines = [
    '## Control plane scale',
    '',
    `Measured ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} by \`node --import tsx bench/server-scale.ts\` on ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}; load ${loadStart.map((x) => x.toFixed(2)).join(' ')} → ${loadavg().map((x) => x.toFixed(2)).join(' ')}. Server, simulated agents (one separate process, one TCP stream each) and PostgreSQL share the machine's cores over loopback.`,
    '',
    '### One server (embedded SQLite), Enable reaching every agent',
    '',
    `${p1.agents.toLocaleString('en')} agents in ${p1.subnets} subnets (one auto-created site each), ${p1.machines} known machines with a required deployment, one iPXE package. All agents hold a policy stream open (SSE); the admin enables P2P PXE for a collection that holds every agent. Latency: from the settings PUT's answer to the complete arrival of a policy with the new serial at each agent. Every held document was then checked with \`verifyPolicy\`.`,
    '',
    '| goal | measured | verdict |',
    '|---|---|---|',
    `| ≥ 99 % of agents hold the new policy within 10 s | ${pctText(p1.within10s)} (${p1.received.toLocaleString('en')} of ${p1.agents.toLocaleString('en')}) | ${p1.within10s >= 0.99 ? 'met' : 'NOT met'} |`,
    '',
    'The agents process reads all 10,000 sockets on one core, so part of the latency is the simulator\'s own; the server\'s figure below is its time to write the last frame.',
    '',
    '| figure | value |',
    '|---|---|',
    `| delivery latency p50 / p95 / p99 / max | ${sec(p1.p50)} / ${sec(p1.p95)} / ${sec(p1.p99)} / ${sec(p1.max)} s |`,
    `| server side: snapshot reload, signing, writing to every stream (its log) | ${sec(p1.serverPushMs)} s |`,
    `| policies verified (signature + manifests) / refused | ${p1.verified.toLocaleString('en')} / ${p1.failed} (${p1.uniqueDocs} distinct documents) |`,
    `| responder policy size (one site) | ${(p1.policyBytes / 1024).toFixed(1)} KiB |`,
    `| server RSS, ${p1.agents.toLocaleString('en')} streams open, before Enable | ${p1.rssIdleMiB} MiB |`,
    `| server RSS after the push / peak (VmHWM) | ${p1.rssAfterMiB} MiB / ${p1.hwmMiB} MiB |`,
    `| enrollment of all agents (32 at a time) | ${p1.enrollS.toFixed(1)} s |`,
    `| opening all streams (250 at a time) incl. first policy | ${p1.connectS.toFixed(1)} s |`,
    '',
  ];
  if (p2) {
    lines.push(
      '### Two servers on one PostgreSQL (LISTEN/NOTIFY)',
      '',
      `${p2.agents.toLocaleString('en')} agents enrolled with and streaming from server B; the admin changes the settings through server A ${p2.changes} times (alternating Enable/Disable). Latency per agent and change, from A's answer to arrival at the agent via B.`,
      '',
      '| goal | measured | verdict |',
      '|---|---|---|',
      `| a change through one server reaches agents on the other within 2 s | ${pctText(p2.within2s)} of ${(p2.agents * p2.changes).toLocaleString('en')} deliveries within 2 s; max ${sec(p2.max)} s${p2.missing ? `; ${p2.missing} missing` : ''} | ${p2.within2s === 1 ? 'met' : 'NOT met'} |`,
      `| latency p50 / p99 / max | ${sec(p2.p50)} / ${sec(p2.p99)} / ${sec(p2.max)} s | |`,
      '',
    );
  }
  lines.push('Reproduce: `node --import tsx bench/server-scale.ts` as root from a clone after `npm ci` (the PostgreSQL phase starts its own throwaway cluster; Debian `postgresql` installed, nothing running). Figures move with the machine\'s load: other work on the same two cores shows up directly in the latencies.', '');
  return lines.join('\n');
}

function replaceSection(path: string, section: string): void {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf('## Control plane scale');
  let out: string;
  if (start < 0) out = text.trimEnd() + '\n\n' + section + '\n';
  else {
    const rest = text.slice(start + 3);
    const nextIdx = rest.search(/^## /m);
    out = text.slice(0, start) + section + '\n' + (nextIdx >= 0 ? '\n' + rest.slice(nextIdx) : '');
  }
  writeFileSync(path, out.replace(/\n{3,}/g, '\n\n'));
}

const loadStart = loadavg();
const p1 = await phase1();
const p2 = flags['no-pg'] ? null : await phase2();
const md = markdown(p1, p2, loadStart);
process.stdout.write(md + '\n');
if (flags.json) writeFileSync(flags.json, JSON.stringify({ phase1: p1, phase2: p2 }, null, 2));
if (!quick && !flags['no-docs']) {
  replaceSection(join(root, 'docs', 'benchmarks.md'), md);
  log('docs/benchmarks.md: section "Control plane scale" updated');
}
