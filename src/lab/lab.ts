/**
 * One firmware lab: namespaces + switch (lab-network.ts), the unchanged DHCP-only server, peerboot
 * peers running a responder (ours, or dnsmasq as a stand-in), packet captures, and the QEMU machine.
 * Used by `peerboot demo`, the e2e boot tests and the fixture recorder.
 *
 * Teardown kills everything the lab started, by PID, and deletes its namespaces: from `teardown()`
 * (call it in `finally`, or use `withLab`), and as a last resort from process 'exit' / SIGINT /
 * SIGTERM hooks, so a failing or interrupted run leaves nothing behind.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './boot-root.js';
import { dhcpOnlyDnsmasqArgs, proxyDnsmasqArgs } from './dnsmasq-args.js';
import {
  createLabNetwork, destroyLabNetwork, LAB_IFACE, LAB_TAP, labPrefix, planLabNetwork, removeStaleLabs,
  type LabNetworkPlan, type LabPeer,
} from './lab-network.js';
import { ProcessTracker, type LabProcess } from './lab-processes.js';
import { PacketWatch } from './packet-watch.js';
import { LAB_VM_MAC, LAB_VM_UUID, startVm, vmFilesIn, type VmFirmware, type VmRun } from './qemu-vm.js';

/** Options for Lab.create. */
export interface LabOptions {
  /** Where logs, captures and serial logs go (created). */
  workDir: string;
  /** Namespace prefix; default `pb<pid>x<n>`. */
  prefix?: string;
  /** Number of peerboot peers (default 1). */
  peers?: number;
  /** Progress lines (plain language); default silent. */
  log?: (message: string) => void;
}

/** How the responder is told whom to answer. */
export type ResponderAllow = { kind: 'unknown' } | { kind: 'macs'; macs: string[] } | { kind: 'none' };

/** Options for Lab.startResponder (flags of `peerboot responder`). */
export interface ResponderOptions {
  root: string;
  bios: string;
  uefi: string;
  ipxeScript?: string;
  httpPort?: number;
  allow: ResponderAllow;
  /** argv prefix that runs the peerboot CLI; default peerbootCliArgv(). */
  cliArgv?: string[];
  /** Each JSON log line the responder prints (non-JSON lines are passed as { msg: line }). */
  onLog?: (entry: Record<string, unknown>) => void;
  /** How long to wait for its sockets (default 20 s: tsx compiles on first start). */
  readyTimeoutMs?: number;
}

/** A started responder. */
export interface ResponderRun {
  process: LabProcess;
  argv: string[];
  /** Every log line so far, parsed. */
  log: Array<Record<string, unknown>>;
}

/** Options for Lab.startVm. */
export interface LabVmOptions {
  firmware: VmFirmware;
  name?: string;
  memoryMiB?: number;
  diskPath?: string;
}

const activeLabs = new Set<Lab>();
let exitHookInstalled = false;
let signalHooksInstalled = false;

function onSignal(sig: NodeJS.Signals): void {
  for (const lab of activeLabs) lab.teardownSync();
  process.stderr.write(`\ninterrupted (${sig}): the lab's processes were stopped and its namespaces deleted\n`);
  process.exit(sig === 'SIGINT' ? 130 : 143);
}

function installHooks(): void {
  if (!exitHookInstalled) {
    // Stays installed: a no-op without active labs.
    exitHookInstalled = true;
    process.on('exit', () => { for (const lab of activeLabs) lab.teardownSync(); });
  }
  if (!signalHooksInstalled) {
    signalHooksInstalled = true;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}

/** Gives SIGINT/SIGTERM back to their default (or the program's own) handling once no lab is up. */
function uninstallSignalHooksIfIdle(): void {
  if (activeLabs.size > 0 || !signalHooksInstalled) return;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  signalHooksInstalled = false;
}

let labCounter = 0;

/** argv that runs this checkout's peerboot CLI: through tsx from src/, or the built dist/. */
export function peerbootCliArgv(): string[] {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return [process.execPath, '--import', 'tsx', join(repoRoot(), 'src', 'cli', 'main.ts')];
  return [process.execPath, join(repoRoot(), 'dist', 'cli', 'main.js')];
}

/** The `peerboot responder` flags for these options: the documented CLI, so the lab runs what an admin would type. */
export function responderFlags(iface: string, o: ResponderOptions): string[] {
  const flags = ['responder', '--interface', iface, '--root', o.root, '--bios', o.bios, '--uefi', o.uefi];
  if (o.ipxeScript !== undefined) flags.push('--ipxe-script', o.ipxeScript);
  if (o.httpPort !== undefined) flags.push('--http-port', String(o.httpPort));
  if (o.allow.kind === 'unknown') flags.push('--allow-unknown');
  if (o.allow.kind === 'macs') flags.push('--allow-mac', o.allow.macs.join(','));
  return flags;
}

/** A lab: create with Lab.create, always finish with teardown(). */
export class Lab {
  readonly tracker: ProcessTracker;
  private torndown = false;

  private constructor(
    readonly plan: LabNetworkPlan,
    readonly workDir: string,
    private readonly say: (message: string) => void,
  ) {
    this.tracker = new ProcessTracker(workDir);
  }

  /** Builds the namespaces and the switch (after removing labs left by dead processes). */
  static async create(o: LabOptions): Promise<Lab> {
    mkdirSync(o.workDir, { recursive: true });
    removeStaleLabs();
    const plan = planLabNetwork(o.prefix ?? labPrefix(process.pid, String(labCounter++)), o.peers ?? 1);
    const lab = new Lab(plan, o.workDir, o.log ?? (() => {}));
    installHooks();
    activeLabs.add(lab);
    try {
      createLabNetwork(plan);
    } catch (err) {
      activeLabs.delete(lab);
      uninstallSignalHooksIfIdle();
      throw err;
    }
    return lab;
  }

  peer(index = 1): LabPeer {
    const p = this.plan.peers[index - 1];
    if (!p) throw new Error(`this lab has no peer ${index}`);
    return p;
  }

  /** Starts the unchanged DHCP-only server (with IPv6 RAs unless disabled); resolves once it listens. */
  async startDhcpServer(o: { ipv6Ra?: boolean; pingCheck?: boolean; nextServer?: string } = {}): Promise<LabProcess> {
    const argv = dhcpOnlyDnsmasqArgs({
      iface: LAB_IFACE,
      range: this.plan.dhcpRange,
      netmask: this.plan.netmask,
      leaseFile: join(this.workDir, 'dhcp-server.leases'),
      ipv6RaPrefix: o.ipv6Ra === false ? null : this.plan.ipv6Prefix,
      pingCheck: o.pingCheck ?? false,
      ...(o.nextServer !== undefined ? { nextServer: o.nextServer } : {}),
    });
    const proc = this.tracker.start({ name: 'dhcp-server', netns: this.plan.dhcpNs, argv });
    await waitForSocket(this.plan.dhcpNs, 'udp', 67, proc, 10_000);
    this.say(`DHCP server (dnsmasq, DHCP only) is up on ${this.plan.dhcpServerIp}, leasing ${this.plan.dhcpRange.join('-')}`);
    return proc;
  }

  /** Starts dnsmasq as a stand-in proxyDHCP + TFTP responder on a peer (fixture recording, lab checks). */
  async startProxyDnsmasq(peer: LabPeer, o: { root: string; bios: string; uefi: string; ipxeScript: string }): Promise<LabProcess> {
    const argv = proxyDnsmasqArgs({
      iface: LAB_IFACE,
      serverIp: peer.ip,
      subnet: this.plan.subnet,
      tftpRoot: o.root,
      biosFile: o.bios,
      uefiFile: o.uefi,
      ipxeScript: o.ipxeScript,
      leaseFile: join(this.workDir, `proxy-${peer.index}.leases`),
    });
    const proc = this.tracker.start({ name: `proxy-dnsmasq-${peer.index}`, netns: peer.netns, argv });
    await waitForSocket(peer.netns, 'udp', 4011, proc, 10_000);
    this.say(`stand-in responder (dnsmasq proxyDHCP + TFTP) is up on ${peer.ip}`);
    return proc;
  }

  /** busybox httpd serving `root` on a peer (for the dnsmasq stand-in's HTTP path). */
  async startHttpd(peer: LabPeer, root: string, port: number): Promise<LabProcess> {
    const proc = this.tracker.start({
      name: `httpd-${peer.index}`, netns: peer.netns,
      argv: ['busybox', 'httpd', '-f', '-p', `${peer.ip}:${port}`, '-h', root],
    });
    await waitForSocket(peer.netns, 'tcp', port, proc, 10_000);
    return proc;
  }

  /** Starts `peerboot responder` on a peer; resolves once its DHCP, 4011 and TFTP sockets listen. */
  async startResponder(peer: LabPeer, o: ResponderOptions): Promise<ResponderRun> {
    const argv = [...(o.cliArgv ?? peerbootCliArgv()), ...responderFlags(LAB_IFACE, o)];
    const log: Array<Record<string, unknown>> = [];
    const onLine = (line: string) => {
      const entry = parseLogLine(line);
      if (!entry) return;
      log.push(entry);
      o.onLog?.(entry);
    };
    const proc = this.tracker.start({
      name: `responder-${peer.index}`, netns: peer.netns, argv, cwd: repoRoot(),
      onStdoutLine: onLine, onStderrLine: onLine,
    });
    const timeout = o.readyTimeoutMs ?? 20_000;
    await waitForSocket(peer.netns, 'udp', 67, proc, timeout);
    await waitForSocket(peer.netns, 'udp', 4011, proc, timeout);
    await waitForSocket(peer.netns, 'udp', 69, proc, timeout);
    if (o.httpPort !== undefined) await waitForSocket(peer.netns, 'tcp', o.httpPort, proc, timeout);
    this.say(`peerboot responder is up on ${peer.ip} (${peer.netns})`);
    return { process: proc, argv, log };
  }

  /** tcpdump writing a pcap of the VM's tap (it sees every frame the VM sends or receives). */
  async startCapture(name: string, filter: string): Promise<{ process: LabProcess; path: string }> {
    const path = join(this.workDir, `${name}.pcap`);
    const proc = this.tracker.start({
      name: `tcpdump-${name}`, netns: this.plan.bridgeNs,
      argv: ['tcpdump', '-i', LAB_TAP, '-n', '--immediate-mode', '-U', '-s', '0', '-w', path, filter],
    });
    await waitForStderr(proc, /listening on/, 10_000);
    return { process: proc, path };
  }

  /** Live packet events from the VM's tap (first DISCOVER, RRQs, HTTP connections) for timings. */
  async startPacketWatch(): Promise<PacketWatch> {
    const watch = new PacketWatch();
    const proc = this.tracker.start({
      name: 'tcpdump-watch', netns: this.plan.bridgeNs,
      argv: ['tcpdump', '-i', LAB_TAP, '-n', '--immediate-mode', '-l', '-tt', '-v', PacketWatch.FILTER],
      onStdoutLine: (line) => watch.feed(line),
    });
    await waitForStderr(proc, /listening on/, 10_000);
    watch.process = proc;
    return watch;
  }

  /** Powers on the lab machine (QEMU in the bridge namespace, on tap0). */
  startVm(o: LabVmOptions): VmRun {
    const name = o.name ?? `vm-${o.firmware}`;
    const run = startVm(this.tracker, this.plan.bridgeNs, {
      firmware: o.firmware,
      tap: LAB_TAP,
      mac: LAB_VM_MAC,
      uuid: LAB_VM_UUID,
      ...vmFilesIn(this.workDir, name),
      ...(o.memoryMiB !== undefined ? { memoryMiB: o.memoryMiB } : {}),
      ...(o.diskPath !== undefined ? { diskPath: o.diskPath } : {}),
    }, name);
    this.say(`VM powered on (${o.firmware} firmware, MAC ${LAB_VM_MAC})`);
    return run;
  }

  /** Stops every process the lab started (by PID) and deletes its namespaces. Idempotent. */
  async teardown(): Promise<void> {
    if (this.torndown) return;
    try {
      await this.tracker.stopAll(2000);
    } finally {
      this.teardownSync();
    }
  }

  /** The synchronous part of teardown (exit hooks): SIGKILL what is left, delete namespaces. */
  teardownSync(): void {
    if (this.torndown) return;
    this.torndown = true;
    this.tracker.killAllSync();
    destroyLabNetwork(this.plan.prefix);
    activeLabs.delete(this);
    uninstallSignalHooksIfIdle();
  }
}

/** Creates a lab, runs `fn`, and always tears the lab down. */
export async function withLab<T>(o: LabOptions, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await Lab.create(o);
  try {
    return await fn(lab);
  } finally {
    await lab.teardown();
  }
}

function parseLogLine(line: string): Record<string, unknown> | null {
  const t = line.trim();
  if (t.length === 0) return null;
  if (t.startsWith('{')) {
    try {
      const v: unknown = JSON.parse(t);
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not JSON after all
    }
  }
  return { msg: t };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `ss` in the namespace until something listens on proto/port; fails if `proc` exits first. */
async function waitForSocket(netns: string, proto: 'udp' | 'tcp', port: number, proc: LabProcess, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const r = spawnSync('ip', ['netns', 'exec', netns, 'ss', '-Hn', proto === 'udp' ? '-ul' : '-tl', `sport = :${port}`], { encoding: 'utf8' });
    if (r.status === 0 && (r.stdout ?? '').trim().length > 0) return;
    if (proc.exit) {
      throw new Error(`${proc.name} exited (${proc.exit.code ?? proc.exit.signal}) before listening on ${proto}/${port}; see ${proc.stderrPath}`);
    }
    if (performance.now() > deadline) throw new Error(`${proc.name} did not listen on ${proto}/${port} within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

async function waitForStderr(proc: LabProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    let text = '';
    try { text = readFileSync(proc.stderrPath, 'utf8'); } catch { /* not yet */ }
    if (pattern.test(text)) return;
    if (proc.exit) throw new Error(`${proc.name} exited before it was ready: ${text.trim()}`);
    if (performance.now() > deadline) throw new Error(`${proc.name} not ready within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}
