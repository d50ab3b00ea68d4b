/**
 * The bench's private networks, all inside network namespaces it creates and always deletes:
 *
 * - loopback: one namespace; servers and clients talk over its 127.0.0.1. It also gets a veth pair
 *   with a private address, because glibc's getaddrinfo(AI_ADDRCONFIG) reports "no IPv4" when only
 *   `lo` is configured, and in.tftpd then refuses to start.
 * - path: client ns <-veth-> middle ns <-veth-> server ns. The middle namespace routes between the
 *   two links through a TUN device served by bench/net/delay-line (this kernel has no `tc netem`),
 *   which holds every packet for a fixed delay in each direction; random loss is an nftables rule
 *   (`numgen random mod 1000 < N drop`) on packets leaving the TUN device, so each direction sees it.
 *
 * Names start with `pbbn` + the bench's pid in base 36, so parallel runs never collide.
 */
import { inNetns, must, run, runSyncQuiet, startDaemon, stopDaemon } from './exec.js';
import type { ChildProcess } from 'node:child_process';

export interface LoopbackNet {
  kind: 'loopback';
  ns: string;
  serverNs: string;
  clientNs: string;
  serverIp: string;
  /** Source address of simulated machine i in a storm (all of 127/8 is local on Linux). */
  clientSource(i: number): Promise<string>;
  close(): Promise<void>;
}

export interface PathNet {
  kind: 'path';
  serverNs: string;
  clientNs: string;
  middleNs: string;
  serverIp: string;
  clientIp: string;
  /** One-way delay added in each direction (µs). */
  delayUs: number;
  /** Drop N per 1000 packets in each direction (0 removes the rule). */
  setLossPerMille(n: number): Promise<void>;
  /** Source address of simulated machine i in a storm (added to the client's link on first use; i < 240). */
  clientSource(i: number): Promise<string>;
  close(): Promise<void>;
}

export const netPrefix = `pbbn${process.pid.toString(36)}`;
const created = new Set<string>();

async function addNs(name: string): Promise<void> {
  await must(['ip', 'netns', 'add', name]);
  created.add(name);
  await must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
}

async function delNs(name: string): Promise<void> {
  await run(['ip', 'netns', 'del', name]);
  created.delete(name);
}

/** Exit-handler fallback: delete every namespace this process created. */
export function deleteAllNetnsSync(): void {
  for (const name of created) runSyncQuiet(['ip', 'netns', 'del', name]);
  created.clear();
}

export async function createLoopbackNet(): Promise<LoopbackNet> {
  const ns = `${netPrefix}l`;
  await addNs(ns);
  try {
    await must(['ip', '-n', ns, 'link', 'add', `${ns}a`, 'type', 'veth', 'peer', 'name', `${ns}b`]);
    await must(['ip', '-n', ns, 'addr', 'add', '10.231.9.1/30', 'dev', `${ns}a`]);
    await must(['ip', '-n', ns, 'link', 'set', `${ns}a`, 'up']);
    await must(['ip', '-n', ns, 'link', 'set', `${ns}b`, 'up']);
  } catch (err) {
    await delNs(ns);
    throw err;
  }
  const clientSource = (i: number) => Promise.resolve(`127.1.${i >> 8}.${(i & 0xff) + 1}`);
  return { kind: 'loopback', ns, serverNs: ns, clientNs: ns, serverIp: '127.0.0.1', clientSource, close: () => delNs(ns) };
}

export async function createPathNet(options: { delayUs: number; delayLineBin: string }): Promise<PathNet> {
  const c = `${netPrefix}c`;
  const m = `${netPrefix}m`;
  const s = `${netPrefix}s`;
  const tun = `${netPrefix}t`;
  let delayLine: ChildProcess | undefined;
  const close = async () => {
    if (delayLine) await stopDaemon(delayLine);
    for (const ns of [c, m, s]) await delNs(ns);
  };
  try {
    for (const ns of [c, m, s]) await addNs(ns);
    await must(['ip', 'link', 'add', `${c}0`, 'netns', c, 'type', 'veth', 'peer', 'name', `${m}0`, 'netns', m]);
    await must(['ip', 'link', 'add', `${s}0`, 'netns', s, 'type', 'veth', 'peer', 'name', `${m}1`, 'netns', m]);
    const ipn = (ns: string, ...args: string[]) => must(['ip', '-n', ns, ...args]);
    await ipn(c, 'addr', 'add', '10.231.1.2/24', 'dev', `${c}0`);
    await ipn(m, 'addr', 'add', '10.231.1.1/24', 'dev', `${m}0`);
    await ipn(m, 'addr', 'add', '10.231.2.1/24', 'dev', `${m}1`);
    await ipn(s, 'addr', 'add', '10.231.2.2/24', 'dev', `${s}0`);
    for (const [ns, dev] of [[c, `${c}0`], [m, `${m}0`], [m, `${m}1`], [s, `${s}0`]] as const) await ipn(ns, 'link', 'set', dev, 'up');
    await ipn(c, 'route', 'add', 'default', 'via', '10.231.1.1');
    await ipn(s, 'route', 'add', 'default', 'via', '10.231.2.1');
    // Middle: forward, and send everything that crosses between the links through the TUN device.
    await must(inNetns(m, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']));
    await ipn(m, 'tuntap', 'add', 'dev', tun, 'mode', 'tun');
    await must(inNetns(m, ['sysctl', '-q', '-w', `net.ipv4.conf.${tun}.rp_filter=0`]));
    await ipn(m, 'link', 'set', tun, 'up');
    await ipn(m, 'rule', 'add', 'iif', `${m}0`, 'table', '100');
    await ipn(m, 'route', 'add', '10.231.2.0/24', 'dev', tun, 'table', '100');
    await ipn(m, 'rule', 'add', 'iif', `${m}1`, 'table', '101');
    await ipn(m, 'route', 'add', '10.231.1.0/24', 'dev', tun, 'table', '101');
    delayLine = startDaemon(inNetns(m, [options.delayLineBin, tun, String(options.delayUs)]));
    let delayLineLog = '';
    delayLine.stderr?.on('data', (d: Buffer) => { delayLineLog += d.toString(); });
    // Wait until a packet crosses (the delay line has attached to the TUN device).
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      const r = await run(inNetns(c, ['ping', '-c', '1', '-W', '1', '10.231.2.2']));
      ok = r.code === 0;
      if (!ok) await new Promise((res) => setTimeout(res, 100));
    }
    if (!ok) throw new Error(`path network does not pass packets (delay-line: ${delayLineLog.trim() || 'no output'})`);
  } catch (err) {
    await close();
    throw err;
  }
  const setLossPerMille = async (n: number) => {
    await run(inNetns(m, ['nft', 'delete', 'table', 'inet', 'pbbloss']));
    if (n <= 0) return;
    const rules = `add table inet pbbloss; add chain inet pbbloss lossy { type filter hook forward priority 0; }; add rule inet pbbloss lossy iifname "${tun}" numgen random mod 1000 < ${n} drop`;
    await must(inNetns(m, ['nft', rules]));
  };
  const added = new Set<number>();
  const clientSource = async (i: number) => {
    if (i >= 240) throw new Error('at most 240 client addresses on the path network');
    const address = `10.231.1.${10 + i}`;
    if (!added.has(i)) {
      await must(['ip', '-n', c, 'addr', 'add', `${address}/24`, 'dev', `${c}0`]);
      added.add(i);
    }
    return address;
  };
  return {
    kind: 'path', serverNs: s, clientNs: c, middleNs: m, serverIp: '10.231.2.2', clientIp: '10.231.1.2',
    delayUs: options.delayUs, setLossPerMille, clientSource, close,
  };
}
