/**
 * `peerboot demo --branch` (the whole branch-office story, failover included, on one machine without
 * hardware): one simulated branch office in network namespaces —
 * the unchanged DHCP-only server and the peerboot server on the "corporate" box, three managed
 * machines running `peerboot agent` — driven through the API like an admin would: enrollment
 * token, boot toolkit import, Enable. One machine PXE-boots through the elected agent; then the
 * demo stops that agent (as if its machine were switched off) and a second machine boots through
 * the standby, which took over. Everything is narrated and torn down at the end.
 */
import { rmSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentLab, SERVER_URL, type LogEntry } from './agent-branch.js';
import { buildBootRoot } from './boot-root.js';
import { enableSubnet, enrollmentToken, importProfilePackage } from './control-plane-setup.js';
import { Narrator } from './demo-narration.js';
import { LAB_TAP } from './lab-network.js';
import { startVm, vmFilesIn, type VmFirmware } from './qemu-vm.js';
import { BOOTED_MARKER, parseBootedMarker } from './serial-log.js';

export interface BranchDemoOptions {
  firmware: VmFirmware;
  timeoutMs: number;
  keepLogs: boolean;
}

const HTTP_PORT = 8469;
const MACHINES = [
  { name: 'machine A', mac: '52:54:00:77:00:0a', uuid: '7a11b007-000a-4c0d-8e5f-52540077000a' },
  { name: 'machine B', mac: '52:54:00:77:00:0b', uuid: '7a11b007-000b-4c0d-8e5f-52540077000b' },
];

export async function runBranchDemo(o: BranchDemoOptions): Promise<number> {
  const t0 = performance.now();
  const say = (line: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  const workDir = mkdtempSync(join(tmpdir(), 'peerboot-branch-demo-'));
  let ok = false;
  say('building the branch: a virtual switch, the corporate box (DHCP server + peerboot server) and three managed machines');
  const branch = await AgentLab.create({ workDir, agents: 3 });
  const lab = branch.lab;
  const agentName = (i: number) => `agent ${i} (${lab.peer(i).ip})`;
  const idToIndex = new Map<string, number>();
  const narrate = (i: number, e: LogEntry) => {
    if (typeof e.agentId === 'string' && e.component === 'agent') idToIndex.set(e.agentId, i);
    if (e.msg === 'enrolled') say(`${agentName(i)} enrolled with the server (site ${String(e.siteId)})`);
    else if (e.msg === 'package fetched') {
      // From the package swarm (src/agent/swarm/agent-packages.ts): where this agent's copy came from.
      const mib = (v: unknown) => (Number(v) / 1048576).toFixed(1);
      const from = Number(e.bytesFromWan) > 0 && Number(e.bytesFromPeers) > 0 ? `${mib(e.bytesFromWan)} MiB from the server, ${mib(e.bytesFromPeers)} MiB from neighbours`
        : Number(e.bytesFromWan) > 0 ? `${mib(e.bytesFromWan)} MiB from the server: the one copy for the branch` : `${mib(e.bytesFromPeers)} MiB from neighbours on the LAN, nothing from the server`;
      say(`${agentName(i)} holds the boot toolkit (${from}; every chunk and file checked against the signed manifest)`);
    }
    else if (e.msg === 'election role changed') say(`${agentName(i)} is now ${String(e.to)}: ${String(e.reason)}`);
    else if (e.msg === 'pxe responder listening') say(`${agentName(i)} answers PXE clients on the LAN now (proxyDHCP on ports 67 and 4011)`);
    else if (e.msg === 'proxyDHCP offer sent' || e.msg === 'proxyDHCP ack sent') {
      say(`${agentName(i)} answers ${String(e.mac)} (${String(e.arch)}${e.ipxe === true ? ', iPXE' : ''}): boot "${String(e.offered)}"`);
    } else if (e.msg === 'http request' && (e.status === 200 || e.status === 206)) say(`${agentName(i)} sent ${String(e.file).replace(/^\//, '')} over HTTP`);
    else if (e.msg === 'tftp transfer' && e.outcome === 'complete') say(`${agentName(i)} sent ${String(e.file)} over TFTP`);
  };
  try {
    await lab.startDhcpServer();
    say(`DHCP server ready at ${lab.plan.dhcpServerIp}: plain dnsmasq, DHCP only (your existing DHCP server)`);
    const narrator = new Narrator({ dhcpServerIp: lab.plan.dhcpServerIp, peerIp: lab.peer(1).ip });
    const watch = await lab.startPacketWatch();
    watch.onEvent((e) => { const line = narrator.packet(e); if (line) say(line); });

    await branch.startServer();
    say(`peerboot server up at ${SERVER_URL} on the corporate box; logged in as its first admin`);
    const token = await enrollmentToken(branch.admin, 'branch demo');
    say('admin: created an enrollment token for the branch machines');
    branch.setAgentArgs(['--token', token, '--status-interval', '2', '--policy-poll-interval', '5', '--http-port', String(HTTP_PORT)]);
    for (const i of [1, 2, 3]) {
      const run = branch.startAgent(i);
      const seen = { n: 0 };
      const follow = () => { while (seen.n < run.log.length) narrate(i, run.log[seen.n++]!); };
      const timer = setInterval(follow, 100);
      timer.unref();
      run.process.exited.then(() => { follow(); clearInterval(timer); }).catch(() => {});
    }
    say('started peerboot agent on the three managed machines');

    const toolkit = join(workDir, 'toolkit');
    const files = buildBootRoot({ dir: toolkit });
    const cmdline = 'console=ttyS0 loglevel=4 panic=-1 peerboot.arch=${platform} peerboot.via=${filename} BOOTIF=01-${net0/mac:hexhyp}';
    const pkg = await importProfilePackage(branch.admin, { name: 'branch-linux', kind: 'linux', kernel: files.kernel, initrd: [files.initrd], cmdline }, {
      [files.bios]: readFileSync(join(toolkit, files.bios)),
      [files.uefi]: readFileSync(join(toolkit, files.uefi)),
      [files.kernel]: readFileSync(join(toolkit, files.kernel)),
      [files.initrd]: readFileSync(join(toolkit, files.initrd)),
    });
    say(`admin: imported the boot toolkit (iPXE NBPs, a Linux kernel and initramfs) as profile branch-linux, package ${pkg.packageId}`);
    await enableSubnet(branch.admin, '10.77.0.0/24', { unknownComputers: { enabled: true, profileId: pkg.profileId } });
    say('admin: Enable — every agent on 10.77.0.0/24 becomes a responder; unknown computers boot branch-linux (pushed to the agents)');

    const settled = await branch.waitFor('an elected agent and a standby', () => {
      const roles = branch.roles();
      const active = [...roles].find(([, r]) => r === 'active')?.[0];
      const standby = [...roles].find(([, r]) => r === 'standby')?.[0];
      return active !== undefined && standby !== undefined && branch.serving().length === 1 ? { active, standby } : null;
    }, 180_000);
    say(`the branch elected ${agentName(settled.active)} to answer PXE; ${agentName(settled.standby)} stands by`);

    const boot = async (m: (typeof MACHINES)[number]) => {
      const vm = startVm(lab.tracker, lab.plan.bridgeNs, { firmware: o.firmware, tap: LAB_TAP, mac: m.mac, uuid: m.uuid, ...vmFilesIn(workDir, m.name.replace(' ', '-')) }, m.name.replace(' ', '-'));
      say(`${m.name} powered on (${o.firmware === 'bios' ? 'SeaBIOS + iPXE ROM' : 'OVMF UEFI PXE'}, MAC ${m.mac}, no disk), network boot`);
      try {
        const hit = await vm.waitForMarker(new RegExp(`${BOOTED_MARKER}[^\\n]*`), o.timeoutMs);
        const marker = parseBootedMarker(hit.line);
        say(`${m.name} runs Linux ${(hit.elapsedMs / 1000).toFixed(1)} s after power-on: "${marker?.line ?? hit.line}"`);
      } finally {
        await vm.stop();
      }
    };
    await boot(MACHINES[0]!);

    const killedAt = await branch.killAgent(settled.active, 'SIGKILL');
    say(`switching ${agentName(settled.active)} off (killed, no goodbye): the others notice its silence`);
    const takeover = await branch.waitFor('another agent answering PXE', () => {
      for (const [i, run] of branch.agents) {
        if (i === settled.active || run.process.exit) continue;
        const up = run.log.find((e) => e.msg === 'pxe responder listening' && Date.parse(String(e.time)) >= killedAt);
        if (up) return { i, ms: Date.parse(String(up.time)) - killedAt };
      }
      return null;
    }, 30_000);
    say(`${agentName(takeover.i)} took over ${(takeover.ms / 1000).toFixed(1)} s after the active agent went silent`);
    await boot(MACHINES[1]!);
    ok = true;
    say(`both machines booted: the first through ${agentName(settled.active)}, the second through ${agentName(takeover.i)} after the failover`);
  } catch (err) {
    say(`the demo failed: ${(err as Error).message}`);
  } finally {
    say('tearing the branch down (stopping its processes, deleting its namespaces)');
    await branch.teardown();
    if (ok && !o.keepLogs) rmSync(workDir, { recursive: true, force: true });
    else say(`logs kept in ${workDir}`);
  }
  return ok ? 0 : 1;
}
