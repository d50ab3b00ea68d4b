/**
 * The lab's network: one switch and the machines plugged into it, all inside network namespaces
 * named with a unique prefix (`pb<pid>x-…`) so parallel runs never collide and stale labs can be
 * found and removed. Nothing touches the root namespace: veth pairs are created with both ends
 * already inside lab namespaces, there is no default route, no forwarding (a new namespace has
 * ip_forward=0), and addresses come only from 10.77.0.0/24 and fd77::/64 (docs/lab-notes.md, "Lab
 * safety: own namespaces, private addresses, stop by PID").
 *
 *   <prefix>-br    bridge br0 (the switch) + tap0 for QEMU (QEMU runs in this namespace)
 *   <prefix>-dhcp  eth0 10.77.0.2/24, fd77::2/64: the unchanged DHCP-only server
 *   <prefix>-peerN eth0 10.77.0.1N/24: a peerboot machine running the responder
 *
 * `planLabNetwork` is pure (names, addresses and the `ip` commands); `createLabNetwork` runs them.
 */
import { readdirSync } from 'node:fs';
import { runChecked, runQuiet } from './lab-processes.js';

/** Inside every lab namespace the machine's own interface has this name. */
export const LAB_IFACE = 'eth0';
/** QEMU's tap, in the bridge namespace. */
export const LAB_TAP = 'tap0';
export const LAB_BRIDGE = 'br0';

/** A peerboot machine on the lab switch. */
export interface LabPeer {
  /** 1-based. */
  index: number;
  netns: string;
  ip: string;
  /** The bridge port (veth end in the bridge namespace) that plugs this peer in. */
  bridgePort: string;
}

/** Names and addresses of one lab. */
export interface LabNetworkPlan {
  prefix: string;
  bridgeNs: string;
  dhcpNs: string;
  dhcpServerIp: string;
  dhcpServerIp6: string;
  /** Lease range of the DHCP-only server. */
  dhcpRange: [string, string];
  /**
   * SLAAC-only ULA prefix announced by the DHCP namespace (docs/lab-notes.md, "iPXE waits about
   * 16 s for IPv6 autoconfiguration").
   */
  ipv6Prefix: string;
  netmask: string;
  subnet: string;
  peers: LabPeer[];
  /** Every namespace of the lab, bridge first. */
  namespaces: string[];
  /** The `ip` commands that build it, in order (each an argv). */
  commands: string[][];
}

/** A prefix unique to this process (and, with `tag`, to one lab within it). */
export function labPrefix(pid = process.pid, tag = ''): string {
  return `pb${pid}x${tag}`;
}

/** Names, addresses and the plumbing commands for a lab with `peerCount` peers (1–9). */
export function planLabNetwork(prefix: string, peerCount = 1): LabNetworkPlan {
  if (!/^[a-z0-9]{2,24}$/.test(prefix)) throw new Error(`lab prefix must be 2-24 lowercase letters/digits: ${prefix}`);
  if (peerCount < 1 || peerCount > 9) throw new Error(`a lab has 1-9 peers, not ${peerCount}`);
  const bridgeNs = `${prefix}-br`;
  const dhcpNs = `${prefix}-dhcp`;
  const peers: LabPeer[] = Array.from({ length: peerCount }, (_, i) => ({
    index: i + 1,
    netns: `${prefix}-peer${i + 1}`,
    ip: `10.77.0.${11 + i}`,
    bridgePort: `peer${i + 1}`,
  }));
  const plan: Omit<LabNetworkPlan, 'commands'> = {
    prefix,
    bridgeNs,
    dhcpNs,
    dhcpServerIp: '10.77.0.2',
    dhcpServerIp6: 'fd77::2',
    dhcpRange: ['10.77.0.100', '10.77.0.199'],
    ipv6Prefix: 'fd77::',
    netmask: '255.255.255.0',
    subnet: '10.77.0.0',
    peers,
    namespaces: [bridgeNs, dhcpNs, ...peers.map((p) => p.netns)],
  };
  const ns = (name: string) => ['ip', '-n', name];
  const commands: string[][] = [];
  for (const name of plan.namespaces) {
    commands.push(['ip', 'netns', 'add', name]);
    commands.push([...ns(name), 'link', 'set', 'lo', 'up']);
  }
  // The switch: no STP, no forwarding delay, no multicast snooping (IPv6 RAs and DHCP broadcasts
  // must reach every port at once).
  commands.push([...ns(bridgeNs), 'link', 'add', LAB_BRIDGE, 'type', 'bridge',
    'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
  commands.push([...ns(bridgeNs), 'link', 'set', LAB_BRIDGE, 'up']);
  const plug = (machineNs: string, port: string, ip: string, ip6?: string) => {
    commands.push(['ip', 'link', 'add', LAB_IFACE, 'netns', machineNs, 'type', 'veth', 'peer', 'name', port, 'netns', bridgeNs]);
    commands.push([...ns(bridgeNs), 'link', 'set', port, 'master', LAB_BRIDGE]);
    commands.push([...ns(bridgeNs), 'link', 'set', port, 'up']);
    commands.push([...ns(machineNs), 'addr', 'add', `${ip}/24`, 'dev', LAB_IFACE]);
    if (ip6 !== undefined) commands.push([...ns(machineNs), 'addr', 'add', `${ip6}/64`, 'dev', LAB_IFACE, 'nodad']);
    commands.push([...ns(machineNs), 'link', 'set', LAB_IFACE, 'up']);
  };
  plug(dhcpNs, 'dhcp', plan.dhcpServerIp, plan.dhcpServerIp6);
  for (const p of peers) plug(p.netns, p.bridgePort, p.ip);
  commands.push([...ns(bridgeNs), 'tuntap', 'add', 'dev', LAB_TAP, 'mode', 'tap']);
  commands.push([...ns(bridgeNs), 'link', 'set', LAB_TAP, 'master', LAB_BRIDGE]);
  commands.push([...ns(bridgeNs), 'link', 'set', LAB_TAP, 'up']);
  return { ...plan, commands };
}

/** Builds the lab's namespaces; on any failure removes what was built and rethrows. */
export function createLabNetwork(plan: LabNetworkPlan): void {
  try {
    for (const argv of plan.commands) runChecked(argv);
  } catch (err) {
    destroyLabNetwork(plan.prefix);
    throw err;
  }
}

/** The lab namespaces that exist now for `prefix`. */
export function labNamespaces(prefix: string): string[] {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(`${prefix}-`));
}

/**
 * Deletes every namespace of the lab. Anything still running inside them was started by the lab
 * (nothing else uses these namespaces), so it is SIGKILLed by PID first; deleting a namespace with
 * live processes would only unlink its name. Synchronous so it also works from a process 'exit' hook.
 */
export function destroyLabNetwork(prefix: string): void {
  const names = labNamespaces(prefix);
  for (const name of names) {
    const r = runPids(name);
    for (const pid of r) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  for (const name of names) runQuiet(['ip', 'netns', 'del', name]);
}

function runPids(netns: string): number[] {
  try {
    return runChecked(['ip', 'netns', 'pids', netns])
      .split(/\s+/)
      .filter((s) => /^\d+$/.test(s))
      .map(Number)
      .filter((pid) => pid !== process.pid);
  } catch {
    return [];
  }
}

/**
 * Removes labs left behind by processes that no longer exist (a test run killed with SIGKILL
 * cannot clean up). Only prefixes of the form `pb<pid>x…` whose PID is gone are touched.
 */
export function removeStaleLabs(): string[] {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return [];
  }
  const stale = new Set<string>();
  for (const n of names) {
    const m = /^(pb(\d+)x[a-z0-9]*)-/.exec(n);
    if (!m || !m[1] || !m[2]) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || isAlive(pid)) continue;
    stale.add(m[1]);
  }
  for (const prefix of stale) destroyLabNetwork(prefix);
  return [...stale];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Plugs a peer's cable in or pulls it (its bridge port up/down), e.g. to start a responder "late". */
export function setPeerLink(plan: LabNetworkPlan, peer: LabPeer, up: boolean): void {
  runChecked(['ip', '-n', plan.bridgeNs, 'link', 'set', peer.bridgePort, up ? 'up' : 'down']);
}
