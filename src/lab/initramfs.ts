/**
 * The tiny Linux initramfs the lab machine boots: busybox-static plus an `/init` that prints one
 * marker line to the serial console and powers the VM off. The marker is the proof a boot worked:
 * firmware → NBP → iPXE → kernel + initrd all ran (docs/lab-notes.md, "Scenarios and their serial
 * markers").
 *
 *   PEERBOOT-BOOTED arch=<peerboot.arch> uptime=<s> bootif=<BOOTIF> via=<peerboot.via>
 *
 * The values come from /proc/cmdline, which the iPXE script fills (see boot-root.ts). The archive
 * is a gzip'd newc cpio built with the `cpio` binary.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BOOTED_MARKER } from './serial-log.js';

/** busybox-static's binary on Debian. */
export const BUSYBOX_PATH = '/bin/busybox';

/** The `/init` script. Exported for the unit test that checks what it prints. */
export function initScript(): string {
  return `#!/bin/sh
# peerboot lab initramfs: print the boot marker on COM1, then power off (QEMU exits).
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin
read up _ < /proc/uptime
arch=""; bootif=none; via=unknown
for w in $(cat /proc/cmdline); do
  case "$w" in
    peerboot.arch=*) arch="\${w#peerboot.arch=}" ;;
    peerboot.via=*) via="\${w#peerboot.via=}" ;;
    BOOTIF=*) bootif="\${w#BOOTIF=}" ;;
  esac
done
if [ -z "$arch" ]; then
  if [ -d /sys/firmware/efi ]; then arch=efi; else arch=pcbios; fi
fi
printf '\\n%s\\n' "${BOOTED_MARKER} arch=$arch uptime=$up bootif=$bootif via=$via" > /dev/ttyS0
sync
poweroff -f
sleep 5
echo o > /proc/sysrq-trigger
`;
}

/** Builds the initramfs at `outPath` (gzip'd newc cpio). Throws naming the missing package. */
export function buildInitramfs(outPath: string, busybox = BUSYBOX_PATH): void {
  if (!existsSync(busybox)) {
    throw new Error(`${busybox} is missing: install busybox-static (bash scripts/install-deps.sh)`);
  }
  const staging = mkdtempSync(join(tmpdir(), 'peerboot-initramfs-'));
  try {
    for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(staging, d));
    copyFileSync(busybox, join(staging, 'bin', 'busybox'));
    chmodSync(join(staging, 'bin', 'busybox'), 0o755);
    symlinkSync('busybox', join(staging, 'bin', 'sh'));
    writeFileSync(join(staging, 'init'), initScript(), { mode: 0o755 });
    mkdirSync(dirname(outPath), { recursive: true });
    const r = spawnSync('sh', ['-c',
      'cd "$1" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet | gzip -9 > "$2"',
      'sh', staging, outPath], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(`building the initramfs failed: ${(r.stderr ?? '').trim() || `exit ${r.status}`} (needs cpio and gzip: bash scripts/install-deps.sh)`);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
