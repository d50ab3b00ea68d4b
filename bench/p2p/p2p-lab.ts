/**
 * The multi-site P2P lab: network namespaces this process creates (names start with
 * `p2p-<pid base36>-`, so parallel runs never collide) and always deletes. Nothing touches the root
 * namespace: every veth is created with both ends inside lab namespaces, addresses are private
 * (10.90–10.99.x, 172.16.x) and there is no route out.
 *
 *   <p>-h       HQ: the control plane (peerboot server), 10.90.0.1/24
 *   <p>-c       core router: 10.90.0.254 towards HQ; one WAN link per site (172.16.S.1/30)
 *   <p>-rS      site S's router: WAN 172.16.S.2/30, LAN bridge 10.9S.0.1/24, a TUN for the WAN delay
 *   <p>-sSaI    agent I of site S: 10.9S.0.(10+I)/24
 *   <p>-uS      a branch user of site S (the competing TCP flow's receiver): 10.9S.0.200/24
 *
 * The WAN link of a site is the veth pair core `wS` <-> router `wan`: shaped with tc tbf in both
 * directions (default 20 Mbit/s, 150 ms of queue, as a branch edge router's buffer), and delayed by
 * bench/p2p/delay-forwarder.c in the site router (a fixed one-way delay each way; the kernel has no
 * netem). WAN bytes per site are read from the router's `wan` interface counters.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface LabOptions {
  sites: number;
  agentsPerSite: number;
  wanMbit: number;
  /** One-way delay added in each direction of each WAN link (ms); 0 = no delay forwarder. */
  wanDelayMs: number;
  /** tbf queue of the WAN links, in ms at the link rate. */
  wanQueueMs: number;
  /** Per-agent LAN port rate (Mbit/s); null = unshaped veth. */
  lanMbit: number | null;
  /** Add a branch user namespace per site (competing-flow tests). */
  users: boolean;
  /** Path of the compiled delay forwarder (compileDelayForwarder). */
  delayForwarderBin?: string;
  /** TCP congestion control of every lab namespace (default reno). */
  tcpCongestionControl?: string;
}

export interface LabAgent {
  site: number;
  index: number;
  ns: string;
  address: string;
  subnet: string;
}

export interface Lab {
  prefix: string;
  hqNs: string;
  hqAddress: string;
  coreNs: string;
  routerNs(site: number): string;
  userNs(site: number): string;
  userAddress(site: number): string;
  agents: LabAgent[];
  /** WAN interface counters of a site (the router's `wan`). */
  wanCounters(site: number): { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number };
  /** Sets the MTU of every link of the lab (endpoints included, so TCP's MSS follows). */
  setMtu(mtu: number): void;
  /** Shapes (or, with null, unshapes) every agent's LAN port in both directions. */
  shapeLan(mbit: number | null): void;
  /** Starts a process inside a namespace (its pid is the process's: `ip netns exec` execs). */
  spawnIn(ns: string, argv: string[], options?: { env?: Record<string, string> }): ChildProcess;
  close(): Promise<void>;
}

const created: string[] = [];
let congestionControl = 'reno';
const children = new Set<ChildProcess>();

/** Runs a command; throws with its stderr on failure. */
export function sh(argv: string[], options: { allowFail?: boolean } = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0 && !options.allowFail) throw new Error(`${argv.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout || '').trim()}`);
  return r.stdout ?? '';
}

export function labPrefix(): string {
  return `p2p-${process.pid.toString(36)}`;
}

/** Deletes namespaces left by earlier lab runs whose process is gone (never those of a live run). */
export function removeStaleLabs(): string[] {
  const removed: string[] = [];
  const names = sh(['ip', 'netns', 'list'], { allowFail: true }).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
  for (const name of names) {
    const m = /^p2p-([0-9a-z]+)-(h|c|r\d+|s\d+a\d+|u\d+)$/.exec(name);
    if (!m) continue;
    const pid = parseInt(m[1]!, 36);
    if (pid === process.pid || existsSync(`/proc/${pid}`)) continue;
    for (const pidText of sh(['ip', 'netns', 'pids', name], { allowFail: true }).split('\n').filter(Boolean)) {
      // Everything inside a lab namespace was started by that (dead) lab run.
      try { process.kill(Number(pidText), 'SIGKILL'); } catch { /* gone */ }
    }
    sh(['ip', 'netns', 'del', name], { allowFail: true });
    removed.push(name);
  }
  return removed;
}

/** Compiles the delay forwarder once into `outDir`; returns the binary's path. */
export function compileDelayForwarder(outDir: string): string {
  const source = join(repoRoot, 'bench', 'p2p', 'delay-forwarder.c');
  const bin = join(outDir, 'delay-forwarder');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(outDir, { recursive: true });
    // Build beside and rename over: a running lab may be executing the old binary (ETXTBSY).
    const tmp = `${bin}.${process.pid}.tmp`;
    sh(['gcc', '-O2', '-Wall', '-o', tmp, source]);
    renameSync(tmp, bin);
  }
  return bin;
}

function addNs(name: string): void {
  sh(['ip', 'netns', 'add', name]);
  created.push(name);
  sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  // A loss-based TCP for every sender in the lab, like the CUBIC most hosts run: this host's default
  // is BBR, and a namespace may only pick from the host's *allowed* list (reno, bbr here), so Reno.
  sh(['ip', 'netns', 'exec', name, 'sysctl', '-qw', `net.ipv4.tcp_congestion_control=${congestionControl}`]);
}

function ipIn(ns: string, ...args: string[]): void {
  sh(['ip', '-n', ns, ...args]);
}

function shape(ns: string, dev: string, mbit: number, queueMs: number): void {
  // tbf: rate, a bucket of a few full-size packets, and a queue of queueMs at the link rate.
  const burstBytes = Math.max(16 * 1024, Math.round((mbit * 1e6) / 8 / 250));
  sh(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', `${burstBytes}`, 'latency', `${queueMs}ms`]);
}

export async function createLab(options: LabOptions): Promise<Lab> {
  const prefix = labPrefix();
  congestionControl = options.tcpCongestionControl ?? 'reno';
  const hqNs = `${prefix}-h`;
  const coreNs = `${prefix}-c`;
  const routerNs = (s: number) => `${prefix}-r${s}`;
  const userNs = (s: number) => `${prefix}-u${s}`;
  const agents: LabAgent[] = [];
  const forwarders: ChildProcess[] = [];
  const lab: Lab = {
    prefix, hqNs, hqAddress: '10.90.0.1', coreNs, routerNs, userNs,
    userAddress: (s) => `10.9${s}.0.200`,
    agents,
    wanCounters(site) {
      const read = (name: string) => Number(sh(['ip', 'netns', 'exec', routerNs(site), 'cat', `/sys/class/net/wan/statistics/${name}`]).trim());
      return { rxBytes: read('rx_bytes'), txBytes: read('tx_bytes'), rxPackets: read('rx_packets'), txPackets: read('tx_packets') };
    },
    setMtu(mtu) {
      const links: Array<[string, string]> = [[hqNs, 'eth0'], [coreNs, 'hq0']];
      for (let s = 1; s <= options.sites; s++) {
        links.push([coreNs, `w${s}`], [routerNs(s), 'wan'], [routerNs(s), 'br0']);
        if (options.wanDelayMs > 0) links.push([routerNs(s), 'dly0']);
        if (options.users) links.push([routerNs(s), 'pu'], [userNs(s), 'eth0']);
      }
      for (const a of agents) links.push([routerNs(a.site), `p${a.index}`], [a.ns, 'eth0']);
      for (const [ns, dev] of links) sh(['ip', '-n', ns, 'link', 'set', 'dev', dev, 'mtu', String(mtu)]);
    },
    shapeLan(mbit) {
      for (const a of agents) {
        for (const [ns, dev] of [[routerNs(a.site), `p${a.index}`], [a.ns, 'eth0']] as const) {
          if (mbit === null) sh(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root'], { allowFail: true });
          else shape(ns, dev, mbit, 20);
        }
      }
    },
    spawnIn(ns, argv, spawnOptions = {}) {
      const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...spawnOptions.env } });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    async close() {
      for (const f of forwarders) stopChild(f);
      for (const child of [...children]) stopChild(child);
      await new Promise((r) => setTimeout(r, 200));
      for (const child of [...children]) if (child.exitCode === null) { try { child.kill('SIGKILL'); } catch { /* gone */ } }
      for (const ns of [...created].reverse()) {
        if (!ns.startsWith(`${prefix}-`)) continue;
        sh(['ip', 'netns', 'del', ns], { allowFail: true });
        created.splice(created.indexOf(ns), 1);
      }
    },
  };
  try {
    addNs(hqNs);
    addNs(coreNs);
    sh(['ip', 'netns', 'exec', coreNs, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    ipIn(coreNs, 'link', 'add', 'name', 'hq0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', hqNs);
    ipIn(coreNs, 'addr', 'add', '10.90.0.254/24', 'dev', 'hq0');
    ipIn(coreNs, 'link', 'set', 'hq0', 'up');
    ipIn(hqNs, 'addr', 'add', '10.90.0.1/24', 'dev', 'eth0');
    ipIn(hqNs, 'link', 'set', 'eth0', 'up');
    ipIn(hqNs, 'route', 'add', 'default', 'via', '10.90.0.254');
    for (let s = 1; s <= options.sites; s++) {
      const r = routerNs(s);
      addNs(r);
      for (const k of ['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']) sh(['ip', 'netns', 'exec', r, 'sysctl', '-qw', k]);
      ipIn(coreNs, 'link', 'add', 'name', `w${s}`, 'type', 'veth', 'peer', 'name', 'wan', 'netns', r);
      ipIn(coreNs, 'addr', 'add', `172.16.${s}.1/30`, 'dev', `w${s}`);
      ipIn(coreNs, 'link', 'set', `w${s}`, 'up');
      ipIn(coreNs, 'route', 'add', `10.9${s}.0.0/24`, 'via', `172.16.${s}.2`);
      ipIn(r, 'addr', 'add', `172.16.${s}.2/30`, 'dev', 'wan');
      ipIn(r, 'link', 'set', 'wan', 'up');
      ipIn(r, 'route', 'add', 'default', 'via', `172.16.${s}.1`);
      ipIn(r, 'link', 'add', 'name', 'br0', 'type', 'bridge');
      ipIn(r, 'addr', 'add', `10.9${s}.0.1/24`, 'dev', 'br0');
      ipIn(r, 'link', 'set', 'br0', 'up');
      shape(coreNs, `w${s}`, options.wanMbit, options.wanQueueMs);
      shape(r, 'wan', options.wanMbit, options.wanQueueMs);
      if (options.wanDelayMs > 0) {
        if (!options.delayForwarderBin) throw new Error('wanDelayMs needs delayForwarderBin (compileDelayForwarder)');
        ipIn(r, 'tuntap', 'add', 'dev', 'dly0', 'mode', 'tun');
        ipIn(r, 'link', 'set', 'dly0', 'up');
        sh(['ip', 'netns', 'exec', r, 'sysctl', '-qw', 'net.ipv4.conf.dly0.rp_filter=0']);
        ipIn(r, 'route', 'add', 'default', 'dev', 'dly0', 'table', '100');
        ipIn(r, 'rule', 'add', 'iif', 'wan', 'lookup', '100', 'priority', '100');
        ipIn(r, 'rule', 'add', 'iif', 'br0', 'lookup', '100', 'priority', '101');
        const f = lab.spawnIn(r, [options.delayForwarderBin, 'dly0', String(options.wanDelayMs)]);
        forwarders.push(f);
      }
      const plug = (ns: string, address: string, port: string) => {
        ipIn(r, 'link', 'add', 'name', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
        ipIn(r, 'link', 'set', port, 'master', 'br0');
        ipIn(r, 'link', 'set', port, 'up');
        ipIn(ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
        ipIn(ns, 'link', 'set', 'eth0', 'up');
        ipIn(ns, 'route', 'add', 'default', 'via', `10.9${s}.0.1`);
        if (options.lanMbit !== null) {
          shape(r, port, options.lanMbit, 20);
          shape(ns, 'eth0', options.lanMbit, 20);
        }
      };
      for (let i = 1; i <= options.agentsPerSite; i++) {
        const ns = `${prefix}-s${s}a${i}`;
        addNs(ns);
        plug(ns, `10.9${s}.0.${10 + i}`, `p${i}`);
        agents.push({ site: s, index: i, ns, address: `10.9${s}.0.${10 + i}`, subnet: `10.9${s}.0.0/24` });
      }
      if (options.users) {
        addNs(userNs(s));
        plug(userNs(s), lab.userAddress(s), 'pu');
      }
    }
    // The delay forwarder must be attached before traffic flows.
    await new Promise((r) => setTimeout(r, options.wanDelayMs > 0 ? 300 : 0));
    for (const f of forwarders) if (f.exitCode !== null) throw new Error(`delay forwarder exited: ${f.exitCode}`);
  } catch (error) {
    await lab.close();
    throw error;
  }
  return lab;
}

function stopChild(child: ChildProcess): void {
  if (child.exitCode !== null || child.pid === undefined) return;
  try { child.kill('SIGTERM'); } catch { /* gone */ }
}

/** Emergency cleanup on exit (synchronous): kill our children, delete our namespaces. */
export function cleanupSync(): void {
  for (const child of children) { try { child.kill('SIGKILL'); } catch { /* gone */ } }
  for (const ns of created.reverse()) sh(['ip', 'netns', 'del', ns], { allowFail: true });
  created.length = 0;
}

/** Lines of a child's stdout, parsed as JSON where possible. */
export function jsonLines(child: ChildProcess, onLine: (value: Record<string, unknown>) => void): void {
  let buffer = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    buffer += text;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try { onLine(JSON.parse(line) as Record<string, unknown>); } catch { /* not JSON */ }
    }
  });
}

/** The tail of a child's stderr, for error messages. */
export function stderrTail(child: ChildProcess, max = 4000): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (t: string) => { tail = (tail + t).slice(-max); });
  return () => tail;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
