/**
 * A branch office in network namespaces, for `peerboot demo --branch` and the agent's system tests:
 * the firmware lab's switch (lab.ts, `agents` peer namespaces on one bridge), a real `peerboot
 * server` process in the DHCP namespace (10.77.0.2:8470, where the corporate servers live), and
 * `peerboot agent` processes in the peer namespaces. The caller, in the root namespace, reaches the
 * server's API through a Unix-socket bridge (a tiny Node program run inside the namespace, given
 * inline); nothing crosses into the root namespace's network. Every process is tracked by the lab
 * and stopped by PID.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../contract/client.js';
import { repoRoot } from './boot-root.js';
import { adminClient, parseInitialAdmin } from './control-plane-setup.js';
import { Lab, peerbootCliArgv } from './lab.js';
import type { LabProcess } from './lab-processes.js';
import { unixSocketFetch } from './unix-socket-fetch.js';

export const SERVER_IP = '10.77.0.2';
export const SERVER_PORT = 8470;
export const SERVER_URL = `http://${SERVER_IP}:${SERVER_PORT}`;

export type LogEntry = Record<string, unknown> & { msg?: string; time?: string };

export interface AgentRun {
  index: number;
  ip: string;
  process: LabProcess;
  log: LogEntry[];
  /** When the test started it (epoch ms). */
  startedAt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseLine(line: string): LogEntry | null {
  const t = line.trim();
  if (!t) return null;
  if (t.startsWith('{')) {
    try {
      return JSON.parse(t) as LogEntry;
    } catch {
      // fall through
    }
  }
  return { msg: t };
}

/** Builds the single-file agent bundle into `dir` (esbuild, about a second); returns the argv that runs it. */
export function agentBundleArgv(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'peerboot-agent.mjs');
  if (!existsSync(out)) {
    const r = spawnSync(process.execPath, [join(repoRoot(), 'packaging', 'build-agent.mjs'), out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the agent bundle failed: ${r.stderr || r.stdout}`);
  }
  return [process.execPath, out];
}

/** The Unix-socket → TCP bridge, run with `node -e` inside the server's namespace. */
const BRIDGE_SOURCE = `
const net = require('node:net'); const fs = require('node:fs');
const [socketPath, host, port] = process.argv.slice(1);
try { fs.rmSync(socketPath, { force: true }); } catch {}
const server = net.createServer((c) => {
  const u = net.connect({ host, port: Number(port) });
  c.pipe(u).pipe(c);
  const close = () => { c.destroy(); u.destroy(); };
  c.on('error', close); u.on('error', close);
});
server.listen(socketPath);
process.on('SIGTERM', () => { server.close(); try { fs.rmSync(socketPath, { force: true }); } catch {} process.exit(0); });
`;

export class AgentLab {
  readonly agents = new Map<number, AgentRun>();
  server: LabProcess | null = null;
  admin!: ApiClient;
  readonly bridgeSocket: string;
  #bridge: LabProcess | null = null;
  #agentArgs: string[] = [];
  readonly serverLog: LogEntry[] = [];

  private constructor(readonly lab: Lab, readonly workDir: string, readonly agentArgv: string[]) {
    this.bridgeSocket = join(workDir, 'server-api.sock');
  }

  /**
   * @param agentArgv how to run the agent: default `peerboot agent` through this checkout's CLI;
   *   tests pass agentBundleArgv() to run the single-file bundle.
   */
  static async create(o: { workDir: string; agents: number; agentArgv?: string[]; log?: (m: string) => void }): Promise<AgentLab> {
    const lab = await Lab.create({ workDir: o.workDir, peers: o.agents, ...(o.log ? { log: o.log } : {}) });
    return new AgentLab(lab, o.workDir, o.agentArgv ?? [...peerbootCliArgv(), 'agent']);
  }

  get fetch(): typeof fetch {
    return unixSocketFetch(this.bridgeSocket);
  }

  /** Starts (or restarts, keeping its data) the control plane in the DHCP namespace. */
  async startServer(): Promise<void> {
    const dataDir = join(this.workDir, 'server-data');
    const first = !existsSync(join(dataDir, 'initial-admin.txt'));
    this.server = this.lab.tracker.start({
      name: `server-${Date.now()}`, netns: this.lab.plan.dhcpNs, cwd: repoRoot(),
      argv: [...peerbootCliArgv(), 'server', '--listen', `${SERVER_IP}:${SERVER_PORT}`, '--data-dir', dataDir],
      onStdoutLine: (l) => { const e = parseLine(l); if (e) this.serverLog.push(e); },
    });
    if (!this.#bridge || this.#bridge.exit) {
      this.#bridge = this.lab.tracker.start({
        name: 'api-bridge', netns: this.lab.plan.dhcpNs,
        argv: [process.execPath, '-e', BRIDGE_SOURCE, this.bridgeSocket, SERVER_IP, String(SERVER_PORT)],
      });
    }
    const anon = new ApiClient({ baseUrl: SERVER_URL, fetch: this.fetch });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await anon.call('health', {});
        break;
      } catch (err) {
        if (this.server.exit) throw new Error(`peerboot server exited (${this.server.exit.code ?? this.server.exit.signal}); see ${this.server.stderrPath}`);
        if (Date.now() > deadline) throw new Error(`peerboot server not healthy within 60 s: ${(err as Error).message}`);
        await sleep(200);
      }
    }
    if (first || !this.admin) {
      const creds = parseInitialAdmin(readFileSync(join(dataDir, 'initial-admin.txt'), 'utf8'));
      this.admin = await adminClient(SERVER_URL, creds, this.fetch);
    }
  }

  /** Stops the server process (the agents stay). */
  async stopServer(): Promise<void> {
    if (this.server) await this.lab.tracker.stop(this.server, 3000);
    this.server = null;
  }

  /** Common agent flags (the enrollment token, intervals). */
  setAgentArgs(args: string[]): void {
    this.#agentArgs = args;
  }

  /** Starts an agent in peer namespace `index` (1-based); its data dir survives restarts. */
  startAgent(index: number, extra: string[] = []): AgentRun {
    const peer = this.lab.peer(index);
    const dataDir = join(this.workDir, `agent-${index}`);
    const log: LogEntry[] = [];
    const proc = this.lab.tracker.start({
      name: `agent-${index}-${Date.now()}`, netns: peer.netns, cwd: repoRoot(),
      // Each agent reports its own name: the namespaces share the host's hostname.
      argv: [...this.agentArgv, '--server', SERVER_URL, '--data-dir', dataDir, '--interface', 'eth0', '--name', `agent-${index}`, ...this.#agentArgs, ...extra],
      onStdoutLine: (l) => { const e = parseLine(l); if (e) log.push(e); },
      onStderrLine: (l) => { const e = parseLine(l); if (e) log.push({ ...e, stderr: true }); },
    });
    const run: AgentRun = { index, ip: peer.ip, process: proc, log, startedAt: Date.now() };
    this.agents.set(index, run);
    return run;
  }

  /** SIGKILL (a crash: no `leaving` announcement) or SIGTERM (graceful). Resolves when it is gone; returns the kill time. */
  async killAgent(index: number, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<number> {
    const run = this.agents.get(index);
    if (!run || run.process.exit) throw new Error(`agent ${index} is not running`);
    const at = Date.now();
    process.kill(run.process.pid, signal);
    await run.process.exited;
    return at;
  }

  /** The election role each running agent last logged. */
  roles(): Map<number, string> {
    const out = new Map<number, string>();
    for (const [i, run] of this.agents) {
      if (run.process.exit) continue;
      const last = [...run.log].reverse().find((e) => e.msg === 'election role changed');
      out.set(i, String(last?.to ?? 'idle'));
    }
    return out;
  }

  /** The index of the agent running the proxyDHCP responder now, if exactly one. */
  serving(): number[] {
    const out: number[] = [];
    for (const [i, run] of this.agents) {
      if (run.process.exit) continue;
      const events = run.log.filter((e) => e.msg === 'pxe responder listening' || e.msg === 'proxyDHCP responder stopped');
      if (events.at(-1)?.msg === 'pxe responder listening') out.push(i);
    }
    return out;
  }

  async waitFor<T>(what: string, fn: () => T | null | undefined | false, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v) return v;
      for (const [i, run] of this.agents) {
        const fatal = run.log.find((e) => e.stderr && /peerboot agent:/.test(String(e.msg)));
        if (fatal) throw new Error(`agent ${i} failed: ${String(fatal.msg)}`);
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(50);
    }
  }

  async teardown(): Promise<void> {
    await this.lab.teardown();
  }
}
