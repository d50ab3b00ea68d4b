// Goal: Secure Boot, proven (most UEFI machines in the field have it on). OVMF with Secure Boot on
// and the Microsoft keys enrolled (OVMF_CODE_4M.secboot.fd + a fresh OVMF_VARS_4M.ms.fd, q35 + SMM,
// 512 MiB) boots Debian's Microsoft-signed shim → Debian-signed GRUB network image → Debian-signed
// kernel → initramfs marker, every file over TFTP from `peerboot responder --uefi shimx64.efi`; the
// marker must show Secure Boot on (EFI stub line, SecureBoot variable = 1, kernel message, lockdown).
// Negative: the same firmware downloads the unsigned `ipxe.efi` from us completely and refuses it
// ("Access Denied"), and nothing boots — so the check is real.
// Method: the firmware lab (src/lab) as in firmware-boot.test.ts. Condition (docs/lab-notes.md,
// "GRUB 2.06 ignores proxyDHCP"): Debian 12's signed GRUB 2.06 ignores proxyDHCP and takes its
// TFTP server from the DHCP server's siaddr, so the unchanged DHCP server gets ONE setting,
// next-server = the peer (`startDhcpServer({ nextServer })`); the offer, the 4011 ACK
// (file=shimx64.efi) and all TFTP still come from our responder. Boot times go to
// test-results/e2e/timings.txt.
// Needs root, the lab packages, the lab kernel and the signed chain (bash scripts/install-deps.sh);
// without them the tests FAIL when CI is set and are skipped otherwise.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { repoRoot } from '../../src/lab/boot-root.js';
import { withLab } from '../../src/lab/lab.js';
import type { PacketEvent } from '../../src/lab/packet-watch.js';
import { missingLabPrerequisites } from '../../src/lab/preflight.js';
import { FIRMWARE_FILES } from '../../src/lab/qemu-vm.js';
import { buildSecureBootRoot, missingSecureBootPayload, parseSecureBootFacts, SECURE_BOOT_FILES } from '../../src/testkit/secure-boot-payload.js';
import { parseBootedMarker } from '../../src/lab/serial-log.js';

const resultsDir = join(repoRoot(), 'test-results', 'e2e');
const rootDir = join(resultsDir, 'secure-boot-root');

const problems = [...missingLabPrerequisites({ needKernel: true }), ...missingSecureBootPayload()];
for (const f of [FIRMWARE_FILES.ovmfCodeSecureBoot, FIRMWARE_FILES.ovmfVarsMicrosoft]) {
  if (!existsSync(f)) problems.push(`${f} is missing: bash scripts/install-deps.sh (package ovmf)`);
}
const blocked = problems.length > 0 ? `Secure Boot lab unavailable: ${problems.join('; ')}` : null;
const skip = blocked !== null && !process.env.CI ? blocked : false;

interface SbRun {
  seconds: number;
  hitLine: string;
  serial: string;
  events: PacketEvent[];
  responderLog: Array<Record<string, unknown>>;
}

/** Only one QEMU at a time on this machine: wait until no other test's VM is running. */
async function waitForNoOtherQemu(maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (spawnSync('pgrep', ['-f', 'qemu-system'], { encoding: 'utf8' }).stdout.trim().length > 0) {
    if (performance.now() > deadline) throw new Error('another QEMU kept running; only one VM at a time fits on this machine');
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function bootSecure(name: string, nbp: string, waitFor: RegExp, timeoutMs: number): Promise<SbRun> {
  const workDir = join(resultsDir, name);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  await waitForNoOtherQemu(600_000);
  return withLab({ workDir }, async (lab) => {
    const peer = lab.peer(1);
    // GRUB 2.06 takes its TFTP server from siaddr, not from the proxy offer (docs/lab-notes.md,
    // "GRUB 2.06 ignores proxyDHCP").
    await lab.startDhcpServer({ nextServer: peer.ip });
    const watch = await lab.startPacketWatch();
    const r = await lab.startResponder(peer, {
      root: rootDir, bios: SECURE_BOOT_FILES.bios, uefi: nbp, allow: { kind: 'unknown' },
    });
    const vm = lab.startVm({ firmware: 'uefi-sb', name: 'vm' });
    try {
      const hit = await vm.waitForMarker(waitFor, timeoutMs);
      // Let the packet watch and the responder's log catch up with the last transfer.
      await new Promise((res) => setTimeout(res, 500));
      watch.flush();
      return { seconds: hit.elapsedMs / 1000, hitLine: hit.line, serial: vm.serialText(), events: [...watch.events], responderLog: r.log };
    } finally {
      writeFileSync(join(workDir, 'serial.txt'), vm.serialText());
      writeFileSync(join(workDir, 'packets.json'), JSON.stringify(watch.events, null, 1));
      writeFileSync(join(workDir, 'responder.log.json'), JSON.stringify(r.log, null, 1));
    }
  });
}

/** The responder's 'tftp transfer' log lines for `file`. */
function transfers(log: Array<Record<string, unknown>>, file: string): Array<Record<string, unknown>> {
  return log.filter((e) => e.msg === 'tftp transfer' && String(e.file).replace(/^\//, '') === file);
}

function rrqs(events: PacketEvent[], file: string): PacketEvent[] {
  return events.filter((e) => e.kind === 'tftp-read' && e.filename.replace(/^\//, '') === file);
}

function record(text: string): void {
  // TCG boot times depend heavily on the machine's load; keep it beside the number.
  const line = `${text} [load average ${loadavg()[0]!.toFixed(1)}]`;
  console.log(line);
  appendFileSync(join(resultsDir, 'timings.txt'), `${new Date().toISOString()} ${line}\n`);
}

describe('Secure Boot: OVMF with Microsoft keys through the peerboot responder', { skip }, () => {
  before(() => {
    if (blocked) throw new Error(blocked);
    mkdirSync(resultsDir, { recursive: true });
    rmSync(rootDir, { recursive: true, force: true });
    buildSecureBootRoot({ dir: rootDir });
  });

  test('signed chain shim → GRUB → kernel boots to the marker with Secure Boot enforced', { timeout: 300_000 }, async () => {
    const r = await bootSecure('secure-boot-signed', SECURE_BOOT_FILES.shim, /PEERBOOT-BOOTED|PEERBOOT-GRUB-FAILED|error: bad shim signature|Access Denied/, 240_000);
    const m = parseBootedMarker(r.hitLine);
    assert.ok(m, `no marker: stopped at '${r.hitLine}'`);
    const sb = parseSecureBootFacts(r.hitLine);
    record(`e2e secure-boot-signed: marker after ${r.seconds.toFixed(1)} s (shim → GRUB → kernel over TFTP from the peer; ${r.hitLine.trim()})`);
    assert.equal(m.arch, 'efi-sb');
    assert.equal(m.via, 'grub-tftp', 'the kernel came through our grub.cfg');
    // Three independent views of Secure Boot, plus the EFI stub's own line.
    assert.match(r.serial, /EFI stub: UEFI Secure Boot is enabled/);
    assert.equal(sb.securebootVar, '1', 'SecureBoot EFI variable');
    assert.equal(sb.kmsg, 'Secure_boot_enabled');
    assert.equal(sb.lockdown, 'integrity');
    // The whole chain came from our peer, in the order of docs/lab-notes.md, "What each Secure Boot
    // stage asks of TFTP".
    for (const file of [SECURE_BOOT_FILES.shim, SECURE_BOOT_FILES.grub, SECURE_BOOT_FILES.grubCfg, SECURE_BOOT_FILES.kernel, SECURE_BOOT_FILES.initrd]) {
      const reads = rrqs(r.events, file);
      assert.ok(reads.length > 0, `no TFTP read of ${file}`);
      assert.ok(reads.every((e) => e.to.startsWith('10.77.0.11:')), `${file} asked from ${reads.map((e) => e.to).join(', ')}`);
      assert.ok(transfers(r.responderLog, file).some((e) => e.outcome === 'complete'), `our TFTP server completed ${file}`);
    }
    const order = [SECURE_BOOT_FILES.shim, SECURE_BOOT_FILES.grub, SECURE_BOOT_FILES.grubCfg, SECURE_BOOT_FILES.kernel, SECURE_BOOT_FILES.initrd]
      .map((f) => rrqs(r.events, f)[0]!.atEpochMs);
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'shim, grubx64.efi, grub.cfg, vmlinuz, initrd.gz in that order');
    assert.equal(r.responderLog.some((e) => /no Authenticode signature/.test(String(e.msg))), false, 'no unsigned-NBP warning for shim');
    // The 4011 ACK / proxy offer named shim.
    assert.ok(r.responderLog.some((e) => JSON.stringify(e).includes(SECURE_BOOT_FILES.shim)), 'the responder logged offering shimx64.efi');
  });

  test('the same firmware refuses the unsigned ipxe.efi after downloading it, and nothing boots', { timeout: 240_000 }, async () => {
    const r = await bootSecure('secure-boot-unsigned', SECURE_BOOT_FILES.unsignedNbp, /Access Denied|PEERBOOT-BOOTED|iPXE initialising/, 180_000);
    record(`e2e secure-boot-unsigned: refused after ${r.seconds.toFixed(1)} s (${r.hitLine.trim()})`);
    assert.match(r.hitLine, /Access Denied/);
    assert.doesNotMatch(r.serial, /PEERBOOT-BOOTED|iPXE initialising|EFI stub/);
    // The refusal is about the signature, not the transfer (docs/lab-notes.md, "Proof that Secure
    // Boot was on"): the NBP came in whole.
    assert.match(r.serial, /NBP file downloaded successfully/);
    assert.ok(rrqs(r.events, SECURE_BOOT_FILES.unsignedNbp).length > 0, 'the firmware asked us for ipxe.efi');
    const size = statSync(join(rootDir, SECURE_BOOT_FILES.unsignedNbp)).size;
    const whole = transfers(r.responderLog, SECURE_BOOT_FILES.unsignedNbp).filter((e) => e.outcome === 'complete');
    assert.ok(whole.some((e) => e.bytes === size), `the responder logged a complete ${size}-byte transfer of ipxe.efi`);
    // The responder warned at start that this NBP is unsigned (and did not for shim in the test above).
    assert.ok(r.responderLog.some((e) => e.level === 'warn' && /no Authenticode signature/.test(String(e.msg))), 'the responder warned about the unsigned NBP');
  });
});
