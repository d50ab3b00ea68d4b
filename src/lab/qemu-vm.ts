/**
 * The lab's test machine: QEMU (TCG, one CPU) network-booting from a tap on the lab switch, its
 * serial console written to a file. `qemuArgs` is pure; `startVm` runs it through the
 * ProcessTracker and watches the serial log for a marker.
 *
 * Firmware modes (docs/lab-notes.md, "QEMU flags per firmware mode", and the sections it points to):
 *   bios    SeaBIOS bios-256k.bin + the iPXE NIC ROM QEMU attaches to virtio-net; the BIOS console
 *           is mirrored to COM1 by SeaBIOS "sercon" (fw_cfg etc/sercon-port = 0x3f8).
 *   uefi    OVMF_CODE_4M.fd + a fresh copy of OVMF_VARS_4M.fd; the NIC gets `romfile=` (empty) so
 *           EDK2's own PxeBcDxe boots, not the iPXE EFI driver inside efi-virtio.rom.
 *   uefi-sb OVMF secboot code + Microsoft-key vars, q35 with SMM, 512 MiB (256 MiB triple-faults).
 * `-no-reboot` makes QEMU exit instead of rebooting; with `reboot-timeout` a BIOS that finds
 * nothing to boot reboots (so exits) after 2 s instead of idling.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabProcess, ProcessTracker } from './lab-processes.js';
import { cleanSerialText, findInSerial, tailLines } from './serial-log.js';

export type VmFirmware = 'bios' | 'uefi' | 'uefi-sb';

/** Firmware images from Debian 12's seabios and ovmf packages. */
export const FIRMWARE_FILES = {
  seabios: '/usr/share/seabios/bios-256k.bin',
  ovmfCode: '/usr/share/OVMF/OVMF_CODE_4M.fd',
  ovmfVars: '/usr/share/OVMF/OVMF_VARS_4M.fd',
  ovmfCodeSecureBoot: '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd',
  ovmfVarsMicrosoft: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd',
} as const;

/** Everything that varies between VM runs. */
export interface VmConfig {
  firmware: VmFirmware;
  tap: string;
  mac: string;
  /** SMBIOS UUID: the firmware sends it in option 97 (first three fields little-endian). */
  uuid: string;
  serialPath: string;
  /** BIOS: the 8-byte sercon-port file (see writeSerconPortFile). */
  serconPath: string;
  /** UEFI: this run's writable copy of the variable store. */
  varsPath: string;
  /** Default 256 (512 for uefi-sb). */
  memoryMiB?: number;
  /** An (empty) disk to attach behind the NIC in boot order. */
  diskPath?: string;
  /** BIOS reboot-timeout in ms after "No bootable device"; default 2000. */
  rebootTimeoutMs?: number;
}

/** The VM's MAC and UUID in the lab (52:54:00 is QEMU's OUI; 77 marks the lab). */
export const LAB_VM_MAC = '52:54:00:77:00:01';
export const LAB_VM_UUID = '7a11b007-0001-4c0d-8e5f-525400770001';

/** QEMU's argv for one run. */
export function qemuArgs(c: VmConfig): string[] {
  const secure = c.firmware === 'uefi-sb';
  const memory = c.memoryMiB ?? (secure ? 512 : 256);
  const args = ['qemu-system-x86_64'];
  if (secure) {
    args.push('-machine', 'q35,accel=tcg,smm=on',
      '-global', 'driver=cfi.pflash01,property=secure,value=on',
      '-global', 'ICH9-LPC.disable_s3=1');
  } else {
    args.push('-machine', 'pc,accel=tcg');
  }
  args.push('-smp', '1', '-m', String(memory), '-display', 'none', '-monitor', 'none', '-no-reboot',
    '-uuid', c.uuid, '-serial', `file:${c.serialPath}`);
  const nic = ['virtio-net-pci', 'netdev=net0', `mac=${c.mac}`, 'bootindex=1'];
  if (c.firmware === 'bios') {
    args.push('-bios', FIRMWARE_FILES.seabios,
      '-fw_cfg', `name=etc/sercon-port,file=${c.serconPath}`,
      '-boot', `reboot-timeout=${c.rebootTimeoutMs ?? 2000}`);
  } else {
    const code = secure ? FIRMWARE_FILES.ovmfCodeSecureBoot : FIRMWARE_FILES.ovmfCode;
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${code}`,
      '-drive', `if=pflash,format=raw,unit=1,file=${c.varsPath}`);
    // Without this, the iPXE EFI driver in efi-virtio.rom boots instead of EDK2 (docs/lab-notes.md,
    // "QEMU's NIC ROM boots instead of OVMF's own PXE").
    nic.push('romfile=');
  }
  args.push('-netdev', `tap,id=net0,ifname=${c.tap},script=no,downscript=no`, '-device', nic.join(','));
  if (c.diskPath !== undefined) {
    args.push('-drive', `file=${c.diskPath},format=raw,if=none,id=disk0`,
      '-device', 'virtio-blk-pci,drive=disk0,bootindex=2');
  }
  return args;
}

/** SeaBIOS reads the sercon I/O port from fw_cfg as a little-endian 64-bit number. */
export function writeSerconPortFile(path: string, port = 0x3f8): void {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(port));
  writeFileSync(path, b);
}

/** Prepares the per-run files a config needs (sercon file, fresh UEFI vars). */
export function prepareVmFiles(c: VmConfig): void {
  if (c.firmware === 'bios') writeSerconPortFile(c.serconPath);
  else copyFileSync(c.firmware === 'uefi-sb' ? FIRMWARE_FILES.ovmfVarsMicrosoft : FIRMWARE_FILES.ovmfVars, c.varsPath);
  writeFileSync(c.serialPath, '');
}

/** A marker found on the serial console. */
export interface MarkerHit {
  line: string;
  match: RegExpExecArray;
  /** Milliseconds from QEMU start to the poll that saw it (poll interval 100 ms). */
  elapsedMs: number;
}

/** A running VM. */
export interface VmRun {
  readonly process: LabProcess;
  readonly config: VmConfig;
  /** performance.now() when QEMU was spawned. */
  readonly startedAtMs: number;
  /** Date.now() when QEMU was spawned (to relate tcpdump's wall-clock timestamps). */
  readonly startedAtEpochMs: number;
  /** The cleaned serial log so far. */
  serialText(): string;
  /**
   * Resolves when `pattern` appears on the serial console. Rejects on timeout or when QEMU exits
   * first, with the last serial lines in the message.
   */
  waitForMarker(pattern: RegExp, timeoutMs: number): Promise<MarkerHit>;
  /** Stops QEMU (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
}

/** Starts QEMU in `netns` (the namespace holding the tap). */
export function startVm(tracker: ProcessTracker, netns: string, config: VmConfig, name = 'qemu'): VmRun {
  prepareVmFiles(config);
  const startedAtMs = performance.now();
  const startedAtEpochMs = Date.now();
  const proc = tracker.start({ name, netns, argv: qemuArgs(config) });
  const serialText = () => {
    try {
      return cleanSerialText(readFileSync(config.serialPath, 'latin1'));
    } catch {
      return '';
    }
  };
  const waitForMarker = (pattern: RegExp, timeoutMs: number) =>
    new Promise<MarkerHit>((resolve, reject) => {
      const deadline = startedAtMs + timeoutMs;
      const poll = () => {
        // Look at exit before reading, so a marker written just before QEMU exited is still seen.
        const exitedBeforeRead = proc.exit !== null;
        const text = serialText();
        const hit = findInSerial(text, pattern);
        if (hit) {
          resolve({ ...hit, elapsedMs: performance.now() - startedAtMs });
          return;
        }
        const tail = () => tailLines(text, 8).map((l) => `    | ${l}`).join('\n');
        if (exitedBeforeRead && proc.exit) {
          reject(new Error(`QEMU exited (${proc.exit.code ?? proc.exit.signal}) before ${pattern} appeared on the serial console; last lines:\n${tail()}\n  QEMU stderr: ${readTail(proc.stderrPath)}`));
          return;
        }
        if (performance.now() >= deadline) {
          reject(new Error(`no ${pattern} on the serial console within ${(timeoutMs / 1000).toFixed(0)} s; last lines:\n${tail()}`));
          return;
        }
        setTimeout(poll, 100);
      };
      poll();
    });
  return {
    process: proc,
    config,
    startedAtMs,
    startedAtEpochMs,
    serialText,
    waitForMarker,
    stop: async () => { await tracker.stop(proc, 2000); },
  };
}

function readTail(path: string): string {
  if (!existsSync(path)) return '';
  return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' / ');
}

/** Per-run file paths for a VM under `dir`. */
export function vmFilesIn(dir: string, name = 'vm'): Pick<VmConfig, 'serialPath' | 'serconPath' | 'varsPath'> {
  return {
    serialPath: join(dir, `${name}.serial.log`),
    serconPath: join(dir, `${name}.sercon-port.bin`),
    varsPath: join(dir, `${name}.OVMF_VARS.fd`),
  };
}
