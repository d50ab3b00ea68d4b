/**
 * The Secure Boot boot root (docs/lab-notes.md, "The Secure Boot chain and its files"): Debian's
 * Microsoft-signed shim as the UEFI NBP, Debian's signed GRUB *network* image served as
 * `grubx64.efi` (shim asks for that fixed name next to its own boot file name), a `grub/grub.cfg`
 * (GRUB's built-in prefix is `/grub`), the lab's Debian-signed cloud kernel, and an initramfs whose
 * `/init` reports whether Secure Boot was on.
 * For the negative test the unsigned Debian `ipxe.efi` sits in the same root.
 *
 * The signed binaries come from scripts/fetch-lab-secureboot.sh (`apt-get download` + `dpkg-deb
 * -x` into .cache/lab/sb/; never installed). `grubNetbootConfig` and `secureBootInitScript` are
 * pure; `buildSecureBootRoot` does the file work.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { IPXE_FILES, labKernelPath, repoRoot } from '../lab/boot-root.js';
import { BUSYBOX_PATH } from '../lab/initramfs.js';
import { BOOTED_MARKER } from '../lab/serial-log.js';

/** Names inside the Secure Boot boot root (relative, as `peerboot responder` takes them). */
export const SECURE_BOOT_FILES = {
  /** shim 16.1, signed by Microsoft UEFI CA 2011 (and 2023): the NBP. */
  shim: 'shimx64.efi',
  /** grubnetx64.efi.signed (Debian signer): shim fetches `grubx64.efi` from its own directory. */
  grub: 'grubx64.efi',
  /** MokManager; served for completeness, never requested in the lab. */
  mokManager: 'mmx64.efi',
  /** GRUB's built-in prefix is `/grub`; its memdisk config sources `$prefix/grub.cfg`. */
  grubCfg: 'grub/grub.cfg',
  kernel: 'vmlinuz',
  initrd: 'initrd.gz',
  /** Debian's iPXE EFI binary: NOT signed for Secure Boot (the negative test's NBP). */
  unsignedNbp: 'ipxe.efi',
  /** The responder requires a BIOS file; the Secure Boot tests never use it. */
  bios: 'undionly.kpxe',
} as const;

/** Where scripts/fetch-lab-secureboot.sh puts the signed binaries. */
export function secureBootCacheDir(): string {
  return join(repoRoot(), '.cache', 'lab', 'sb');
}

/** The lab's efivarfs module (scripts/fetch-lab-kernel.sh copies it beside the kernel). */
export function labEfivarfsModulePath(): string {
  return join(repoRoot(), '.cache', 'lab', 'efivarfs.ko');
}

/** What is missing for the Secure Boot boot root, each as one line naming the fix; empty when ready. */
export function missingSecureBootPayload(cacheDir = secureBootCacheDir()): string[] {
  const problems: string[] = [];
  const signed = [SECURE_BOOT_FILES.shim, SECURE_BOOT_FILES.grub, SECURE_BOOT_FILES.mokManager]
    .filter((f) => !existsSync(join(cacheDir, f)));
  if (signed.length > 0) problems.push(`no signed ${signed.join(', ')} in ${cacheDir}: run 'bash scripts/fetch-lab-secureboot.sh'`);
  if (!existsSync(labKernelPath()) || !existsSync(labEfivarfsModulePath())) {
    problems.push(`no lab kernel or efivarfs.ko in ${dirname(labKernelPath())}: run 'bash scripts/fetch-lab-kernel.sh'`);
  }
  return problems;
}

/**
 * GRUB's config. GRUB 2.06 (Debian 12) resolves `/vmlinuz` against `root=(tftp,<siaddr>)`; paths
 * start with `/` and the TFTP server maps them into its root. Under Secure Boot GRUB's `linux`
 * asks shim to verify the kernel ("bad shim signature" otherwise). A failure prints
 * GRUB_FAILED_MARKER and reboots, which ends the QEMU run at once (-no-reboot).
 */
export function grubNetbootConfig(via = 'grub-tftp'): string {
  const args = ['console=ttyS0,115200', 'loglevel=4', 'panic=-1', 'peerboot.arch=efi-sb', `peerboot.via=${via}`];
  // GRUB 2.06 script has no `||` (a syntax error there): plain commands, then a failure line.
  return [
    'set timeout=0',
    'echo "peerboot lab: GRUB loaded grub.cfg over TFTP"',
    `linux /${SECURE_BOOT_FILES.kernel} ${args.join(' ')}`,
    `initrd /${SECURE_BOOT_FILES.initrd}`,
    'boot',
    `echo "${GRUB_FAILED_MARKER}"`,
    'reboot',
    '',
  ].join('\n');
}

/** grub.cfg prints this when `boot` returned (kernel refused or missing); then it reboots. */
export const GRUB_FAILED_MARKER = 'PEERBOOT-GRUB-FAILED';

/**
 * `/init` for the Secure Boot initramfs. Besides the usual marker fields it reports three
 * independent views of Secure Boot (docs/lab-notes.md, "Proof that Secure Boot was on"):
 *   secureboot_var  byte 5 of the EFI variable SecureBoot (efivarfs is a module in the cloud
 *                   kernel, CONFIG_EFIVAR_FS=m, so the initramfs carries and loads it; the first
 *                   4 bytes of an efivarfs file are the attributes; same section)
 *   kmsg            Secure_boot_enabled when dmesg has the kernel's "Secure boot enabled" line
 *   lockdown        the bracketed mode of /sys/kernel/security/lockdown (integrity under SB)
 */
export function secureBootInitScript(): string {
  return `#!/bin/sh
# peerboot lab Secure Boot initramfs: print the boot marker with Secure Boot facts, power off.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin
read up _ < /proc/uptime
arch=efi; via=unknown
for w in $(cat /proc/cmdline); do
  case "$w" in
    peerboot.arch=*) arch="\${w#peerboot.arch=}" ;;
    peerboot.via=*) via="\${w#peerboot.via=}" ;;
  esac
done
insmod /lib/efivarfs.ko 2>/dev/null
mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null
sbvar=missing
f=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
if [ -e "$f" ]; then
  set -- $(od -An -tu1 -v "$f")
  sbvar=\${5:-short}
fi
kmsg=Secure_boot_unknown
if dmesg | grep -q 'Secure boot enabled'; then kmsg=Secure_boot_enabled; fi
if dmesg | grep -q 'Secure boot disabled'; then kmsg=Secure_boot_disabled; fi
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
lockdown=unknown
if [ -r /sys/kernel/security/lockdown ]; then
  lockdown=$(sed -n 's/.*\\[\\([a-z]*\\)\\].*/\\1/p' /sys/kernel/security/lockdown)
fi
printf '\\n%s\\n' "${BOOTED_MARKER} arch=$arch uptime=$up bootif=none via=$via secureboot_var=$sbvar kmsg=$kmsg lockdown=$lockdown" > /dev/ttyS0
sync
poweroff -f
sleep 5
echo o > /proc/sysrq-trigger
`;
}

/** The Secure Boot fields of a marker line (absent fields are 'missing'). */
export interface SecureBootFacts {
  securebootVar: string;
  kmsg: string;
  lockdown: string;
}

/** Reads the Secure Boot fields that secureBootInitScript adds to the marker. */
export function parseSecureBootFacts(markerLine: string): SecureBootFacts {
  const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(markerLine)?.[1] ?? 'missing';
  return { securebootVar: field('secureboot_var'), kmsg: field('kmsg'), lockdown: field('lockdown') };
}

/** Builds the Secure Boot initramfs (gzip'd newc cpio: busybox, efivarfs.ko, /init). */
export function buildSecureBootInitramfs(outPath: string, efivarfsKo = labEfivarfsModulePath(), busybox = BUSYBOX_PATH): void {
  for (const [path, fix] of [[busybox, 'install busybox-static (bash scripts/install-deps.sh)'], [efivarfsKo, "run 'bash scripts/fetch-lab-kernel.sh'"]] as const) {
    if (!existsSync(path)) throw new Error(`${path} is missing: ${fix}`);
  }
  const staging = mkdtempSync(join(tmpdir(), 'peerboot-sb-initramfs-'));
  try {
    for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'lib']) mkdirSync(join(staging, d));
    copyFileSync(busybox, join(staging, 'bin', 'busybox'));
    chmodSync(join(staging, 'bin', 'busybox'), 0o755);
    symlinkSync('busybox', join(staging, 'bin', 'sh'));
    copyFileSync(efivarfsKo, join(staging, 'lib', 'efivarfs.ko'));
    writeFileSync(join(staging, 'init'), secureBootInitScript(), { mode: 0o755 });
    mkdirSync(dirname(outPath), { recursive: true });
    const r = spawnSync('sh', ['-c',
      'cd "$1" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet | gzip -9 > "$2"',
      'sh', staging, outPath], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(`building the Secure Boot initramfs failed: ${(r.stderr ?? '').trim() || `exit ${r.status}`} (needs cpio and gzip)`);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Options for buildSecureBootRoot. */
export interface SecureBootRootOptions {
  dir: string;
  /** Default secureBootCacheDir(). */
  cacheDir?: string;
  /** Default labKernelPath(). */
  kernelPath?: string;
}

/** Fills `dir` with the signed chain, kernel, initramfs, grub.cfg and the unsigned ipxe.efi. */
export function buildSecureBootRoot(o: SecureBootRootOptions): typeof SECURE_BOOT_FILES {
  const cacheDir = o.cacheDir ?? secureBootCacheDir();
  const problems = missingSecureBootPayload(cacheDir);
  if (problems.length > 0) throw new Error(problems.join('; '));
  for (const p of [IPXE_FILES.bios, IPXE_FILES.uefi]) {
    if (!existsSync(p)) throw new Error(`${p} is missing: bash scripts/install-deps.sh (package ipxe)`);
  }
  const f = SECURE_BOOT_FILES;
  mkdirSync(join(o.dir, dirname(f.grubCfg)), { recursive: true });
  for (const name of [f.shim, f.grub, f.mokManager]) copyFileSync(join(cacheDir, name), join(o.dir, name));
  copyFileSync(o.kernelPath ?? labKernelPath(), join(o.dir, f.kernel));
  copyFileSync(IPXE_FILES.uefi, join(o.dir, f.unsignedNbp));
  copyFileSync(IPXE_FILES.bios, join(o.dir, f.bios));
  writeFileSync(join(o.dir, f.grubCfg), grubNetbootConfig());
  buildSecureBootInitramfs(join(o.dir, f.initrd));
  return f;
}
