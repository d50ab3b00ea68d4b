/**
 * The boot root a lab responder serves: Debian's iPXE binaries as the NBPs, the lab kernel, the
 * marker initramfs and an iPXE script. Files are copied (never symlinked: a responder must refuse
 * symlinks that leave its root). The script names the kernel and initrd relatively, so iPXE
 * resolves them against the script's own URL and the same script works over TFTP and HTTP.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInitramfs } from './initramfs.js';

/** Debian's ipxe package: the BIOS NBP (uses the ROM's UNDI) and the x64 UEFI NBP. */
export const IPXE_FILES = {
  bios: '/usr/lib/ipxe/undionly.kpxe',
  uefi: '/usr/lib/ipxe/ipxe.efi',
} as const;

/** The repository checkout this module belongs to (src/lab/ or dist/lab/ → two levels up). */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** Where scripts/fetch-lab-kernel.sh puts the kernel the lab machine boots. */
export function labKernelPath(): string {
  return join(repoRoot(), '.cache', 'lab', 'vmlinuz');
}

/** Names of the files inside a boot root (relative to it, as the responder's flags take them). */
export interface BootRootFiles {
  bios: string;
  uefi: string;
  script: string;
  kernel: string;
  initrd: string;
}

export const BOOT_ROOT_FILES: BootRootFiles = {
  bios: 'undionly.kpxe',
  uefi: 'ipxe.efi',
  script: 'boot.ipxe',
  kernel: 'vmlinuz',
  initrd: 'initrd.gz',
};

/**
 * The iPXE script. `${platform}` is pcbios or efi; `${filename}` is the boot file name iPXE got
 * from DHCP (the script's URL), so the marker tells which path booted. On any failure it prints
 * a line and reboots, which ends the QEMU run at once (-no-reboot) instead of idling to a timeout.
 */
export function bootIpxeScript(files: BootRootFiles = BOOT_ROOT_FILES, extraKernelArgs = ''): string {
  // initrd=: the EFI stub of this kernel loads the initrd itself by that name (iPXE 2019 predates
  // the LoadFile2 initrd protocol); BIOS ignores it. panic=-1: a panic reboots, ending the run now.
  const args = ['console=ttyS0', 'loglevel=4', 'panic=-1', `initrd=${files.initrd}`,
    'peerboot.arch=${platform}', 'peerboot.via=${filename}',
    'BOOTIF=01-${net0/mac:hexhyp}', extraKernelArgs].filter((a) => a.length > 0).join(' ');
  return [
    '#!ipxe',
    'echo peerboot lab: script loaded from ${filename}',
    `kernel ${files.kernel} ${args} || goto failed`,
    `initrd ${files.initrd} || goto failed`,
    'boot || goto failed',
    ':failed',
    'echo PEERBOOT-IPXE-FAILED',
    'reboot',
    '',
  ].join('\n');
}

/** Options for buildBootRoot. */
export interface BootRootOptions {
  dir: string;
  /** Default: labKernelPath(). */
  kernelPath?: string;
  /** An already built initramfs to copy; built fresh when absent. */
  initrdPath?: string;
  extraKernelArgs?: string;
}

/** Fills `dir` with the NBPs, kernel, initrd and script; returns the file names. */
export function buildBootRoot(o: BootRootOptions): BootRootFiles {
  const files = BOOT_ROOT_FILES;
  const kernel = o.kernelPath ?? labKernelPath();
  for (const [what, path] of [['kernel', kernel], ['BIOS NBP', IPXE_FILES.bios], ['UEFI NBP', IPXE_FILES.uefi]] as const) {
    if (!existsSync(path)) {
      const fix = what === 'kernel' ? 'bash scripts/fetch-lab-kernel.sh' : 'bash scripts/install-deps.sh (package ipxe)';
      throw new Error(`${what} ${path} is missing: run ${fix}`);
    }
  }
  mkdirSync(o.dir, { recursive: true });
  copyFileSync(IPXE_FILES.bios, join(o.dir, files.bios));
  copyFileSync(IPXE_FILES.uefi, join(o.dir, files.uefi));
  copyFileSync(kernel, join(o.dir, files.kernel));
  if (o.initrdPath !== undefined) copyFileSync(o.initrdPath, join(o.dir, files.initrd));
  else buildInitramfs(join(o.dir, files.initrd));
  writeFileSync(join(o.dir, files.script), bootIpxeScript(files, o.extraKernelArgs ?? ''));
  return files;
}
