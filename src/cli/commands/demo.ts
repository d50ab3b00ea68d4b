/**
 * `peerboot demo`: peerboot's main job on embedded defaults, end to end, on this one machine. It
 * builds a small lab in network namespaces (an unchanged DHCP-only server, one peerboot peer
 * running `peerboot responder`, a QEMU machine with an empty disk), PXE-boots the machine through
 * the peer into a tiny Linux, narrates each step in plain language, tears everything down and exits
 * 0 when the machine booted. The lab lives in src/lab (shared with the e2e tests).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootTimeline, describeBootPath, formatTimeline } from '../../lab/boot-timeline.js';
import { buildBootRoot } from '../../lab/boot-root.js';
import { runBranchDemo } from '../../lab/branch-demo.js';
import { Narrator } from '../../lab/demo-narration.js';
import { Lab } from '../../lab/lab.js';
import { missingLabPrerequisites } from '../../lab/preflight.js';
import { LAB_VM_MAC, type VmFirmware } from '../../lab/qemu-vm.js';
import { BOOTED_MARKER, parseBootedMarker } from '../../lab/serial-log.js';
import { UsageError, type Command } from '../command.js';
import { parseDecimalFlag, parseFlags } from '../options.js';

const usage = `Usage: peerboot demo [--firmware bios|uefi] [--transport http|tftp] [--timeout SECONDS] [--keep-logs] [--single]

Builds a throw-away branch office on this machine and shows peerboot at work:
  - a virtual switch and network namespaces (10.77.0.0/24, no link to your networks),
  - an ordinary DHCP server (dnsmasq, DHCP only: it knows nothing about PXE),
  - a peerboot server and three machines running 'peerboot agent', enrolled with a token;
    P2P PXE is enabled through the API, the agents fetch the boot package and elect a responder,
  - a QEMU virtual machine with an empty disk boots through the elected agent; then that agent is
    switched off and a second machine boots through the standby that took over.
It prints each step as it happens and the times, then removes the lab.

  --firmware bios|uefi   the VM's firmware: SeaBIOS + iPXE ROM, or OVMF with EDK2's own PXE (default bios)
  --transport http|tftp  with --single: how the kernel and initrd travel after iPXE starts (default http)
  --timeout SECONDS      give up after this long (default 240)
  --keep-logs            keep the lab's logs (responder JSON log, serial console, packets) afterwards
  --single               the smallest lab instead: one peer running 'peerboot responder' (proxyDHCP +
                         TFTP + HTTP, no server, no election) boots one machine

Needs root (network namespaces, a tap device) and the lab packages: run 'bash scripts/demo.sh',
which installs them first. Exits 0 when the VM printed its boot marker, 1 otherwise.
`;

const HTTP_PORT = 8080;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'build a branch office in network namespaces and PXE-boot VMs through elected peerboot agents',
  usage,
  async run(argv) {
    const { values } = parseFlags('demo', argv, {
      firmware: { type: 'string', default: 'bios' },
      transport: { type: 'string', default: 'http' },
      timeout: { type: 'string', default: '240' },
      'keep-logs': { type: 'boolean', default: false },
      single: { type: 'boolean', default: false },
      branch: { type: 'boolean', default: false }, // the default now; accepted for old scripts
    });
    const firmware = values.firmware as VmFirmware;
    if (firmware !== 'bios' && firmware !== 'uefi') throw new UsageError(`--firmware must be bios or uefi, not '${values.firmware}'`);
    const transport = values.transport;
    if (transport !== 'http' && transport !== 'tftp') throw new UsageError(`--transport must be http or tftp, not '${transport}'`);
    const timeoutS = parseDecimalFlag('--timeout', values.timeout, { min: 10, noun: 'number of seconds' });

    const problems = missingLabPrerequisites({ needKernel: true });
    if (problems.length > 0) throw new UsageError(problems.join('; '), 1);
    if (!values.single) return runBranchDemo({ firmware, timeoutMs: timeoutS * 1000, keepLogs: values['keep-logs'] ?? false });

    return runDemo({ firmware, transport, timeoutMs: timeoutS * 1000, keepLogs: values['keep-logs'] ?? false });
  },
};

interface DemoOptions {
  firmware: 'bios' | 'uefi';
  transport: 'http' | 'tftp';
  timeoutMs: number;
  keepLogs: boolean;
}

async function runDemo(o: DemoOptions): Promise<number> {
  const t0 = performance.now();
  const say = (line: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  const workDir = mkdtempSync(join(tmpdir(), 'peerboot-demo-'));
  const firmwareName = o.firmware === 'bios' ? 'SeaBIOS + iPXE network ROM' : 'OVMF (UEFI) with its built-in PXE';
  let ok = false;

  say('building the lab: a virtual switch and namespaces for a DHCP server, a peerboot peer and a VM');
  const lab = await Lab.create({ workDir });
  try {
    const peer = lab.peer(1);
    say(`lab up: namespaces ${lab.plan.namespaces.join(', ')} on 10.77.0.0/24 (no link to this host's networks)`);

    const root = join(workDir, 'boot-root');
    const files = buildBootRoot({ dir: root });
    say(`boot files ready on the peer: ${files.bios} and ${files.uefi} (iPXE), ${files.kernel} (Linux), ${files.initrd}, ${files.script}`);

    await lab.startDhcpServer();
    say(`DHCP server ready at ${lab.plan.dhcpServerIp}: plain dnsmasq, DHCP only, no PXE options (your existing DHCP server)`);

    const narrator = new Narrator({ dhcpServerIp: lab.plan.dhcpServerIp, peerIp: peer.ip });
    const watch = await lab.startPacketWatch();
    watch.onEvent((e) => {
      const line = narrator.packet(e);
      if (line) say(line);
    });
    const responder = await lab.startResponder(peer, {
      root, bios: files.bios, uefi: files.uefi, ipxeScript: files.script, allow: { kind: 'unknown' },
      ...(o.transport === 'http' ? { httpPort: HTTP_PORT } : {}),
      onLog: (entry) => {
        const line = narrator.responderLog(entry);
        if (line) say(line);
      },
    });
    say(`peerboot responder started on the peer ${peer.ip}: proxyDHCP (ports 67, 4011), TFTP${o.transport === 'http' ? `, HTTP :${HTTP_PORT}` : ''}`);
    say(`  (${responder.argv.slice(responder.argv.indexOf('responder')).join(' ')})`);

    const disk = join(workDir, 'empty-disk.raw');
    writeFileSync(disk, '');
    spawnSync('truncate', ['-s', '64M', disk]);
    const vm = lab.startVm({ firmware: o.firmware, name: 'vm', diskPath: disk });
    say(`VM powered on: ${firmwareName}, MAC ${LAB_VM_MAC}, an empty 64 MiB disk, network boot first`);

    try {
      const hit = await vm.waitForMarker(new RegExp(`${BOOTED_MARKER}[^\\n]*`), o.timeoutMs);
      const marker = parseBootedMarker(hit.line);
      watch.flush();
      const timeline = bootTimeline(watch.events, vm.startedAtEpochMs, {
        peerIp: peer.ip, nbpFiles: [files.bios, files.uefi], script: files.script, kernel: files.kernel,
        ...(o.transport === 'http' ? { httpPort: HTTP_PORT } : {}),
      }, responder.log);
      say(`the VM is running Linux from the peer: "${marker?.line ?? hit.line}"`);
      console.log('');
      console.log(`Booted ${(hit.elapsedMs / 1000).toFixed(1)} s after power-on: ${describeBootPath(timeline, firmwareName)}`);
      console.log(`Timeline after power-on: ${formatTimeline(timeline)}; Linux reached /init ${marker?.uptimeSec ?? '?'} s after it started.`);
      ok = true;
    } catch (err) {
      say(`the VM did not boot: ${(err as Error).message}`);
    } finally {
      writeFileSync(join(workDir, 'serial.txt'), vm.serialText());
    }
  } catch (err) {
    say(`the demo failed: ${(err as Error).message}`);
  } finally {
    say('tearing the lab down (stopping its processes, deleting its namespaces)');
    await lab.teardown();
    if (ok && !o.keepLogs) rmSync(workDir, { recursive: true, force: true });
    else say(`logs kept in ${workDir} (responder-1.stdout.log, serial.txt, vm.serial.log, tcpdump-watch.stdout.log)`);
  }
  say(ok ? 'done: the VM network-booted through the peerboot peer' : 'done: the VM did not boot');
  return ok ? 0 : 1;
}
