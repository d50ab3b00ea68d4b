/**
 * Drives the P2P lab (./p2p-lab.ts): starts the real control plane in HQ, enrolls every lab agent
 * and imports the package through the API (./hq-setup.ts), then runs agent processes
 * (./agent-process.ts, bundled once with esbuild so 20 of them start quickly) and collects what
 * they report. Shared by the bench (./run.ts) and the CI test (test/p2p).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WanPolicy } from '../../src/agent/wan/wan-shaper.js';
import type { AgentProcessConfig } from './agent-process.js';
import type { HqSetupResult } from './hq-setup.js';
import { createLab, jsonLines, readJson, repoRoot, stderrTail, type Lab, type LabAgent, type LabOptions } from './p2p-lab.js';

export interface LabEnv {
  lab: Lab;
  workDir: string;
  hq: HqSetupResult;
  manifestPath: string;
  agentBundle: string;
  keys: Map<string, { privateKeyPem: string; publicKey: string }>;
  server: ChildProcess;
  serverUrl: string;
  close(): Promise<void>;
}

export const keyOf = (a: LabAgent) => `s${a.site}a${a.index}`;

/** esbuild-bundles a bench entry point into one ESM file (fast start for many processes). */
export function bundle(entry: string, outFile: string): string {
  const esbuild = join(repoRoot, 'node_modules', '.bin', 'esbuild');
  const r = spawnSync(esbuild, [entry, '--bundle', '--platform=node', '--format=esm', '--target=node20', `--outfile=${outFile}`, '--log-level=warning',
    '--banner:js=import { createRequire as __pbCreateRequire } from "node:module"; const require = __pbCreateRequire(import.meta.url);'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`esbuild ${entry} failed: ${r.stderr}`);
  return outFile;
}

function waitExit(child: ChildProcess, what: string, tail: () => string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not finish in ${timeoutMs} ms: ${tail()}`)), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${what} exited ${code}: ${tail()}`));
    });
  });
}

/** Lab + server + enrolled agents + imported package. */
export async function setupLabWithServer(options: LabOptions & { workDir: string; packageBytes: number; packageSeed?: number }): Promise<LabEnv> {
  const workDir = options.workDir;
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const lab = await createLab(options);
  try {
    const keys = new Map<string, { privateKeyPem: string; publicKey: string }>();
    for (const a of lab.agents) {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      keys.set(keyOf(a), { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey: publicKey.export({ format: 'jwk' }).x as string });
    }
    const serverDataDir = join(workDir, 'server');
    const serverUrl = `http://${lab.hqAddress}:8470`;
    const server = lab.spawnIn(lab.hqNs, [process.execPath, '--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts'), 'server', '--data-dir', serverDataDir, '--listen', `${lab.hqAddress}:8470`, '--log-level', 'warn']);
    const serverTail = stderrTail(server);
    server.stdout?.resume();
    const specPath = join(workDir, 'hq-spec.json');
    const outPath = join(workDir, 'hq.json');
    writeFileSync(specPath, JSON.stringify({
      serverUrl, serverDataDir, out: outPath,
      agents: lab.agents.map((a) => ({ key: keyOf(a), publicKey: keys.get(keyOf(a))!.publicKey, address: `${a.address}/24`, mac: `02:00:00:00:${a.site.toString(16).padStart(2, '0')}:${a.index.toString(16).padStart(2, '0')}` })),
      package: { name: 'winpe-lab', sizeBytes: options.packageBytes, seed: options.packageSeed ?? 7, path: 'sources/boot.wim' },
    }));
    const setup = lab.spawnIn(lab.hqNs, [process.execPath, '--import', 'tsx', join(repoRoot, 'bench', 'p2p', 'hq-setup.ts'), specPath]);
    const setupTail = stderrTail(setup);
    setup.stdout?.resume();
    await waitExit(setup, 'hq setup', () => `${setupTail()} | server: ${serverTail()}`, 300_000);
    const hq = readJson<HqSetupResult>(outPath);
    const manifestPath = join(workDir, 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify(hq.manifest));
    for (const a of hq.agents) if (!a.agentCertificate || !a.siteId) throw new Error(`the server issued no certificate/site for ${a.key}`);
    const agentBundle = bundle(join(repoRoot, 'bench', 'p2p', 'agent-process.ts'), join(workDir, 'agent.mjs'));
    return {
      lab, workDir, hq, manifestPath, agentBundle, keys, server, serverUrl,
      async close() {
        await lab.close();
      },
    };
  } catch (error) {
    await lab.close();
    throw error;
  }
}

export interface AgentRunSpec {
  agent: LabAgent;
  wan: WanPolicy;
  wanLedbat?: AgentProcessConfig['wanLedbat'];
  /** Delete the agent's data first ('cache': only the package data, keeping the agent's WAN delay history). */
  fresh?: boolean | 'cache';
  /** Copy this directory in as the agent's data before starting (a pre-seeded cache). */
  seedFrom?: string;
  weight?: number;
  assemble?: boolean;
  /** Where the agent keeps its data (default workDir/agents/<key>). */
  dataDir?: string;
  /** Run idle this long before wanting the package (idle WAN probes happen meanwhile). */
  wantAfterMs?: number;
}

export interface AgentRecord {
  key: string;
  site: number;
  startedAtMs: number | null;
  readyAtMs: number | null;
  verified: { chunksOk: number; chunksBad: number; filesOk: boolean | null } | null;
  stats: Record<string, unknown> | null;
  lastProgress: Record<string, unknown> | null;
  events: Array<Record<string, unknown>>;
  stderr: () => string;
  child: ChildProcess;
  dataDir: string;
}

export interface AgentRun {
  records: AgentRecord[];
  /** Resolves when every agent reported ready and verified (or rejects on timeout/exit). */
  allReady(timeoutMs: number): Promise<void>;
  /** SIGTERM everyone and collect final stats. */
  stop(): Promise<void>;
}

/** Starts agent processes (all at once). */
export function startAgents(env: LabEnv, specs: AgentRunSpec[], options: { progressEveryMs?: number; logLevel?: AgentProcessConfig['logLevel']; manifestPath?: string } = {}): AgentRun {
  const records: AgentRecord[] = [];
  for (const spec of specs) {
    const key = keyOf(spec.agent);
    const dataDir = spec.dataDir ?? join(env.workDir, 'agents', key);
    if (spec.fresh === 'cache') for (const part of ['chunk-cache', 'boot', 'packages', 'peer-bans.json']) rmSync(join(dataDir, part), { recursive: true, force: true });
    else if (spec.fresh || spec.seedFrom) rmSync(dataDir, { recursive: true, force: true });
    if (spec.seedFrom) cpSync(spec.seedFrom, dataDir, { recursive: true });
    mkdirSync(dataDir, { recursive: true });
    const enrolled = env.hq.agents.find((a) => a.key === key)!;
    const config: AgentProcessConfig = {
      key, dataDir, serverUrl: env.serverUrl, agentId: enrolled.agentId, siteId: enrolled.siteId!, agentToken: enrolled.agentToken,
      certificate: enrolled.agentCertificate!, privateKeyPem: env.keys.get(key)!.privateKeyPem, policyPublicKey: env.hq.policyPublicKey,
      manifestPath: options.manifestPath ?? env.manifestPath, address: spec.agent.address, subnet: spec.agent.subnet, wan: spec.wan, wanLedbat: spec.wanLedbat, weight: spec.weight ?? 300,
      assemble: spec.assemble ?? false, progressEveryMs: options.progressEveryMs ?? 500, logLevel: options.logLevel ?? 'warn',
      ...(spec.wantAfterMs ? { wantAfterMs: spec.wantAfterMs } : {}),
    };
    const configPath = join(env.workDir, `agent-${key}.json`);
    writeFileSync(configPath, JSON.stringify(config));
    const child = env.lab.spawnIn(spec.agent.ns, [process.execPath, env.agentBundle, configPath]);
    const record: AgentRecord = { key, site: spec.agent.site, startedAtMs: null, readyAtMs: null, verified: null, stats: null, lastProgress: null, events: [], stderr: stderrTail(child, 20_000), child, dataDir };
    jsonLines(child, (e) => {
      record.events.push(e);
      if (e.event === 'started') record.startedAtMs = e.atMs as number;
      if (e.event === 'ready') record.readyAtMs = e.atMs as number;
      if (e.event === 'verified') record.verified = e as never;
      if (e.event === 'progress') record.lastProgress = e;
      if (e.event === 'stats') record.stats = e;
    });
    records.push(record);
  }
  return {
    records,
    allReady(timeoutMs) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          const dead = records.find((r) => r.child.exitCode !== null);
          if (dead) { clearInterval(poll); reject(new Error(`agent ${dead.key} exited ${dead.child.exitCode}: ${dead.stderr().slice(-2000)}`)); return; }
          if (records.every((r) => r.verified !== null)) { clearInterval(poll); resolve(); return; }
          if (Date.now() - started > timeoutMs) {
            clearInterval(poll);
            reject(new Error(`not all agents ready after ${timeoutMs} ms: ${records.map((r) => `${r.key}: ${JSON.stringify(r.lastProgress)}`).join('; ')}`));
          }
        }, 100);
      });
    },
    async stop() {
      await Promise.all(records.map((r) => new Promise<void>((resolve) => {
        if (r.child.exitCode !== null) { resolve(); return; }
        const t = setTimeout(() => { try { r.child.kill('SIGKILL'); } catch { /* gone */ } resolve(); }, 5000);
        r.child.once('exit', () => { clearTimeout(t); resolve(); });
        r.child.kill('SIGTERM');
      })));
    },
  };
}

export function siteWanBytes(lab: Lab, site: number): number {
  const c = lab.wanCounters(site);
  return c.rxBytes + c.txBytes;
}

export function dataDirExists(path: string): boolean {
  return existsSync(path);
}
