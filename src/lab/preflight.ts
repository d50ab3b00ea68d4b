/**
 * What the firmware lab needs before it can run, checked up front so the demo and the tests fail
 * with one clear line naming the fix instead of somewhere inside QEMU or `ip`.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { IPXE_FILES, labKernelPath } from './boot-root.js';
import { BUSYBOX_PATH } from './initramfs.js';
import { FIRMWARE_FILES } from './qemu-vm.js';

/** Programs the lab runs, and the Debian package that provides each. */
export const LAB_PROGRAMS: ReadonlyArray<[program: string, pkg: string]> = [
  ['ip', 'iproute2'],
  ['ss', 'iproute2'],
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['dnsmasq', 'dnsmasq-base'],
  ['tcpdump', 'tcpdump'],
  ['cpio', 'cpio'],
  ['gzip', 'gzip'],
];

/** Firmware and boot files, and the package that provides each. */
export const LAB_FILES: ReadonlyArray<[path: string, pkg: string]> = [
  [FIRMWARE_FILES.seabios, 'seabios'],
  [FIRMWARE_FILES.ovmfCode, 'ovmf'],
  [FIRMWARE_FILES.ovmfVars, 'ovmf'],
  ['/usr/lib/ipxe/qemu/efi-virtio.rom', 'ipxe-qemu'],
  [IPXE_FILES.bios, 'ipxe'],
  [IPXE_FILES.uefi, 'ipxe'],
  [BUSYBOX_PATH, 'busybox-static'],
  ['/dev/net/tun', 'the tun kernel module (modprobe tun)'],
];

function onPath(program: string): boolean {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter);
  for (const d of [...dirs, '/usr/sbin', '/sbin']) {
    try {
      accessSync(join(d, program), constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

/**
 * Everything missing, each as one line naming the fix; empty when the lab can run.
 * `needKernel`: also require the lab kernel (.cache/lab/vmlinuz).
 */
export function missingLabPrerequisites(o: { needKernel: boolean }): string[] {
  const problems: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    problems.push('the firmware lab needs root (network namespaces, tap devices): re-run as root, e.g. sudo bash scripts/demo.sh or sudo bash scripts/test.sh');
  }
  const packages = new Set<string>();
  for (const [program, pkg] of LAB_PROGRAMS) if (!onPath(program)) packages.add(pkg);
  for (const [path, pkg] of LAB_FILES) if (!existsSync(path)) packages.add(pkg);
  if (packages.size > 0) {
    problems.push(`missing ${[...packages].join(', ')}: run 'bash scripts/install-deps.sh' as root`);
  }
  if (o.needKernel && !existsSync(labKernelPath())) {
    problems.push(`no lab kernel at ${labKernelPath()}: run 'bash scripts/fetch-lab-kernel.sh'`);
  }
  return problems;
}
