// Goal: real firmware still boots when the elected responder dies, at each point of a boot where
// losing the server matters:
//   (a) SeaBIOS + iPXE ROM: the active agent is killed as the machine powers on → it boots from
//       the standby;
//   (b) OVMF native PXE: the active agent is killed right after the NBP (ipxe.efi) transfer,
//       before the kernel → iPXE's own DHCP is answered by the new active and it boots;
//   (c) SeaBIOS + iPXE ROM: the agent serving the boot (the active, or the peer load spreading
//       chose) is killed right after the iPXE script → the script's fallback to another ready peer
//       delivers the kernel and it boots.
// Takeover times (kill → another agent's proxyDHCP responder listening, from the agents' logs) and
// the time to the machine's next answered DISCOVER are printed and appended to
// test-results/agent/failover.txt.
// Method: the agent lab (support/agent-lab.ts): server + 3 agents (single-file bundle) in network
// namespaces on one bridge, the lab's DHCP-only dnsmasq with the IPv6 RA trick, a known machine
// (the VM's MAC) deployed with a Linux profile imported through the API (Debian's iPXE NBPs, the
// lab kernel, the marker initramfs); QEMU on the bridge, one VM at a time (waits while any other
// qemu-system runs: the lab owner's tests share the machine). A boot passes only on the
// initramfs marker; the packets on the VM's tap and the agents' logs show which agent served.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { labKernelPath, repoRoot } from '../../src/lab/boot-root.js';
import { buildInitramfs } from '../../src/lab/initramfs.js';
import type { PacketEvent } from '../../src/lab/packet-watch.js';
import type { PacketWatch } from '../../src/lab/packet-watch.js';
import { missingLabPrerequisites } from '../../src/lab/preflight.js';
import { LAB_VM_MAC, type VmFirmware } from '../../src/lab/qemu-vm.js';
import { parseBootedMarker } from '../../src/lab/serial-log.js';
import { AgentLab, agentBundleArgv } from '../../src/lab/agent-branch.js';
import { deployToMachine, enableSubnet, enrollmentToken, importProfilePackage } from '../../src/lab/control-plane-setup.js';

const resultsDir = join(repoRoot(), 'test-results', 'agent');
const problems = missingLabPrerequisites({ needKernel: true });
const blocked = problems.length > 0 ? `firmware lab unavailable: ${problems.join('; ')}` : null;
const skip = blocked !== null && !process.env.CI ? blocked : false;
const HTTP_PORT = 8469;

let lab: AgentLab;
let watch: PacketWatch;
const measured: Array<{ scenario: string; takeoverMs: number; nextOfferMs: number; bootS: number }> = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits while another test's QEMU runs (the machine has two cores; one VM at a time). */
async function waitForNoQemu(): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  while (Date.now() < deadline) {
    const r = spawnSync('pgrep', ['-x', 'qemu-system-x86_64'], { encoding: 'utf8' });
    if ((r.stdout ?? '').trim() === '') return;
    await sleep(2000);
  }
  throw new Error('another qemu-system-x86_64 kept running for 15 minutes');
}

const ipOf = (i: number) => lab.lab.peer(i).ip;

/** Waits until one agent serves PXE, another stands by, and that has held for 2 s (start-up settles roles). */
async function settled(): Promise<{ active: number; standby: number }> {
  let seen: { key: string; since: number } | null = null;
  return lab.waitFor('an active agent serving PXE and a standby, stable for 2 s', () => {
    const roles = lab.roles();
    const serving = lab.serving();
    const active = [...roles].find(([, r]) => r === 'active')?.[0];
    const standby = [...roles].find(([, r]) => r === 'standby')?.[0];
    if (serving.length !== 1 || active === undefined || active !== serving[0] || standby === undefined) { seen = null; return null; }
    const key = `${active}/${standby}`;
    if (!seen || seen.key !== key) { seen = { key, since: Date.now() }; return null; }
    return Date.now() - seen.since >= 2000 ? { active, standby } : null;
  }, 120_000);
}

/** Kill → another agent's proxyDHCP responder listening (from the agents' own log times). */
function takeoverMs(dead: number, killedAt: number): number | null {
  for (const run of lab.agents.values()) {
    if (run.index === dead) continue;
    const up = run.log.find((e) => e.msg === 'pxe responder listening' && Date.parse(String(e.time)) >= killedAt);
    if (up) return Date.parse(String(up.time)) - killedAt;
  }
  return null;
}

/** The first proxy offer/ack the VM received from an agent other than `dead`, after `sinceMs`. */
function offerFromOther(dead: number, sinceMs: number): PacketEvent | undefined {
  watch.flush();
  return watch.events.find((e) => e.kind === 'dhcp' && !e.fromClient && e.atEpochMs >= sinceMs && e.vendorClass?.startsWith('PXEClient') === true
    && e.from.startsWith('10.77.0.1') && !e.from.startsWith(`${ipOf(dead)}:`));
}

/**
 * Boots the lab VM once the LAN is settled (an active and a standby); `duringBoot` runs right after
 * power-on with the settled roles and the agents' log positions at that moment, and kills someone.
 */
async function bootVm(
  name: string, firmware: VmFirmware,
  duringBoot: (ctx: { active: number; standby: number; marks: Map<number, number> }) => Promise<{ killedAt: number; dead: number }>,
): Promise<{ marker: string; killedAt: number; dead: number; bootS: number; nextOfferMs: number | null; takeoverMs: number | null }> {
  await waitForNoQemu();
  const roles = await settled();
  const marks = new Map([...lab.agents].map(([i, run]) => [i, run.log.length]));
  const vm = lab.lab.startVm({ firmware, name });
  try {
    const { killedAt, dead } = await duringBoot({ ...roles, marks });
    const hit = await vm.waitForMarker(/PEERBOOT-BOOTED/, 240_000);
    const offer = offerFromOther(dead, killedAt);
    return { marker: hit.line, killedAt, dead, bootS: hit.elapsedMs / 1000, nextOfferMs: offer ? offer.atEpochMs - killedAt : null, takeoverMs: takeoverMs(dead, killedAt) };
  } finally {
    mkdirSync(join(lab.workDir, name), { recursive: true });
    await vm.stop();
  }
}

function record(scenario: string, r: { nextOfferMs: number | null; takeoverMs: number | null; bootS: number }): void {
  assert.ok(r.nextOfferMs !== null, 'the machine got an offer from another agent after the kill');
  assert.ok(r.takeoverMs !== null, 'another agent started answering PXE');
  assert.ok(r.takeoverMs <= 3000, `takeover took ${r.takeoverMs} ms (> 3 s)`);
  measured.push({ scenario, takeoverMs: r.takeoverMs, nextOfferMs: r.nextOfferMs, bootS: r.bootS });
  console.log(`agent failover boot ${scenario}: kill → another agent answering PXE ${r.takeoverMs} ms; → the machine's next offer ${r.nextOfferMs} ms; marker after ${r.bootS.toFixed(1)} s`);
}

/** Restarts the killed agent and waits until the LAN has an active and a standby again. */
async function heal(dead: number): Promise<void> {
  lab.startAgent(dead);
  await lab.waitFor(`agent ${dead} back`, () => lab.agents.get(dead)!.log.some((e) => e.msg === 'package ready'), 120_000);
  await settled();
}

describe('firmware boots through the agents while the active one dies', { skip }, () => {
  before(async () => {
    if (blocked) throw new Error(blocked);
    const workDir = join(resultsDir, 'failover-boot');
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    lab = await AgentLab.create({ workDir, agents: 3, agentArgv: agentBundleArgv(join(workDir, 'bundle')) });
    await lab.lab.startDhcpServer();
    watch = await lab.lab.startPacketWatch();
    await lab.startServer();
    const initrdPath = join(workDir, 'initrd.gz');
    buildInitramfs(initrdPath);
    // No initrd= here: the agent's generated script must name the initrd for OVMF's EFI stub itself.
    const cmdline = 'console=ttyS0 loglevel=4 panic=-1 peerboot.arch=${platform} peerboot.via=${filename} BOOTIF=01-${net0/mac:hexhyp}';
    const pkg = await importProfilePackage(lab.admin, { name: 'lab-linux', kind: 'linux', kernel: 'vmlinuz', initrd: ['initrd.gz'], cmdline }, {
      'undionly.kpxe': readFileSync('/usr/lib/ipxe/undionly.kpxe'),
      'ipxe.efi': readFileSync('/usr/lib/ipxe/ipxe.efi'),
      vmlinuz: readFileSync(labKernelPath()),
      'initrd.gz': readFileSync(initrdPath),
    });
    await deployToMachine(lab.admin, { name: 'lab-vm', mac: LAB_VM_MAC }, pkg.profileId);
    await enableSubnet(lab.admin, '10.77.0.0/24');
    lab.setAgentArgs(['--token', await enrollmentToken(lab.admin), '--status-interval', '2', '--policy-poll-interval', '5', '--http-port', String(HTTP_PORT)]);
    for (const i of [1, 2, 3]) lab.startAgent(i);
    for (const i of [1, 2, 3]) await lab.waitFor(`agent ${i} holding the package`, () => lab.agents.get(i)!.log.some((e) => e.msg === 'package ready'), 180_000);
    await settled();
  });

  after(async () => {
    if (measured.length > 0) {
      const ms = measured.map((m) => m.takeoverMs).sort((a, b) => a - b);
      const med = ms.length % 2 ? ms[(ms.length - 1) / 2]! : (ms[ms.length / 2 - 1]! + ms[ms.length / 2]!) / 2;
      const line = `${new Date().toISOString()} failover-boot (kill → another agent answering PXE; → the VM's next offer): ` +
        measured.map((m) => `${m.scenario} ${m.takeoverMs} ms; ${m.nextOfferMs} ms (boot ${m.bootS.toFixed(1)} s)`).join(', ') + `; takeover median ${med} ms, worst ${ms.at(-1)} ms`;
      console.log(line);
      appendFileSync(join(resultsDir, 'failover.txt'), `${line}\n`);
    }
    await lab?.teardown();
  });

  test('(a) BIOS: the active agent is killed as the machine powers on; the standby boots it', { timeout: 420_000 }, async () => {
    let standbyIp = '';
    const r = await bootVm('a-bios-kill-before', 'bios', async ({ active, standby }) => {
      standbyIp = ipOf(standby);
      return { killedAt: await lab.killAgent(active), dead: active };
    });
    record('(a) bios, killed at power-on', r);
    const m = parseBootedMarker(r.marker);
    assert.equal(m?.arch, 'pcbios');
    assert.equal(m?.bootif, `01-${LAB_VM_MAC.replace(/:/g, '-')}`);
    assert.match(m?.via ?? '', new RegExp(`^http://${standbyIp.replace(/\./g, '\\.')}:${HTTP_PORT}/s/`), 'the script came from the standby');
    await heal(r.dead);
  });

  test('(b) UEFI: the active agent is killed after the NBP, before the kernel; the machine still boots', { timeout: 420_000 }, async () => {
    const r = await bootVm('b-uefi-kill-after-nbp', 'uefi', async ({ active, marks }) => {
      const run = lab.agents.get(active)!;
      const from = marks.get(active) ?? 0;
      await lab.waitFor('the NBP (ipxe.efi) delivered by the active agent', () =>
        run.log.slice(from).some((e) => e.msg === 'tftp transfer' && e.outcome === 'complete' && String(e.file).endsWith('ipxe.efi')), 180_000);
      return { killedAt: await lab.killAgent(active), dead: active };
    });
    record('(b) uefi, killed after the NBP', r);
    const m = parseBootedMarker(r.marker);
    assert.equal(m?.arch, 'efi');
    assert.doesNotMatch(m?.via ?? '', new RegExp(ipOf(r.dead).replace(/\./g, '\\.')), 'the script did not come from the dead agent');
    await heal(r.dead);
  });

  test('(c) BIOS: the agent serving the boot is killed right after the script; the script falls back to a peer', { timeout: 420_000 }, async () => {
    let deadIp = '';
    const r = await bootVm('c-bios-kill-after-script', 'bios', async ({ marks }) => {
      // Load spreading may have pointed the machine at another ready peer: kill whichever served the script.
      const server = await lab.waitFor('the iPXE script served by an agent', () => {
        for (const [i, run] of lab.agents) {
          if (run.process.exit) continue;
          if (run.log.slice(marks.get(i) ?? 0).some((e) => e.msg === 'http request' && e.status === 200 && String(e.file).endsWith('.ipxe'))) return i;
        }
        return null;
      }, 180_000);
      deadIp = ipOf(server);
      return { killedAt: await lab.killAgent(server), dead: server };
    });
    const m = parseBootedMarker(r.marker);
    assert.match(m?.via ?? '', new RegExp(`^http://${deadIp.replace(/\./g, '\\.')}:${HTTP_PORT}/s/`), 'the script came from the agent that then died');
    const kernelFromOthers = [...lab.agents.values()].filter((a) => a.index !== r.dead && a.log.some((e) => e.msg === 'http request' && e.status === 200 && String(e.file).endsWith('/vmlinuz') && Date.parse(String(e.time)) >= r.killedAt));
    assert.ok(kernelFromOthers.length >= 1, 'the kernel came from another peer, through the script fallback');
    console.log(`agent failover boot (c): script from ${deadIp} (killed), kernel from ${kernelFromOthers.map((a) => a.ip).join(', ')}; marker after ${r.bootS.toFixed(1)} s`);
    await heal(r.dead);
  });
});
