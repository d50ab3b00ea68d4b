// Goal: each firmware mode gets the QEMU flags it needs (docs/lab-notes.md, "QEMU flags per firmware
// mode"): sercon for BIOS, no NIC ROM for UEFI so EDK2's own PXE runs, SMM + 512 MiB for Secure
// Boot, -no-reboot always.
// Method: build the argv for each mode and look for the flags; write the sercon file and read it back.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIRMWARE_FILES, qemuArgs, writeSerconPortFile, type VmConfig } from './qemu-vm.js';

const base: VmConfig = {
  firmware: 'bios', tap: 'tap0', mac: '52:54:00:77:00:01', uuid: '7a11b007-0001-4c0d-8e5f-525400770001',
  serialPath: '/x/serial.log', serconPath: '/x/sercon.bin', varsPath: '/x/vars.fd',
};

function flagValue(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

test('bios: SeaBIOS, sercon on COM1, the NIC keeps its iPXE ROM, reboot-timeout', () => {
  const args = qemuArgs(base);
  assert.deepEqual(flagValue(args, '-bios'), [FIRMWARE_FILES.seabios]);
  assert.deepEqual(flagValue(args, '-fw_cfg'), ['name=etc/sercon-port,file=/x/sercon.bin']);
  assert.deepEqual(flagValue(args, '-boot'), ['reboot-timeout=2000']);
  assert.ok(args.includes('-no-reboot'));
  assert.deepEqual(flagValue(args, '-m'), ['256']);
  assert.deepEqual(flagValue(args, '-serial'), ['file:/x/serial.log']);
  const nic = flagValue(args, '-device').find((d) => d.startsWith('virtio-net-pci'));
  assert.ok(nic && !nic.includes('romfile'));
  assert.ok(flagValue(args, '-machine')[0]?.includes('accel=tcg'));
});

test('uefi: OVMF code read-only + the per-run vars, NIC without option ROM', () => {
  const args = qemuArgs({ ...base, firmware: 'uefi' });
  assert.deepEqual(flagValue(args, '-drive'), [
    `if=pflash,format=raw,unit=0,readonly=on,file=${FIRMWARE_FILES.ovmfCode}`,
    'if=pflash,format=raw,unit=1,file=/x/vars.fd',
  ]);
  assert.ok(flagValue(args, '-device').some((d) => d.startsWith('virtio-net-pci') && d.includes('romfile=')));
  assert.deepEqual(flagValue(args, '-bios'), []);
});

test('uefi-sb: q35 with SMM, secure pflash, 512 MiB', () => {
  const args = qemuArgs({ ...base, firmware: 'uefi-sb' });
  assert.equal(flagValue(args, '-machine')[0], 'q35,accel=tcg,smm=on');
  assert.ok(flagValue(args, '-global').includes('driver=cfi.pflash01,property=secure,value=on'));
  assert.deepEqual(flagValue(args, '-m'), ['512']);
  assert.ok(flagValue(args, '-drive')[0]?.endsWith(FIRMWARE_FILES.ovmfCodeSecureBoot));
});

test('an empty disk comes after the NIC in boot order', () => {
  const args = qemuArgs({ ...base, diskPath: '/x/disk.raw' });
  assert.ok(flagValue(args, '-device').some((d) => d.startsWith('virtio-blk-pci') && d.includes('bootindex=2')));
  assert.ok(flagValue(args, '-device').some((d) => d.startsWith('virtio-net-pci') && d.includes('bootindex=1')));
});

test('the sercon file holds 0x3f8 as 8 little-endian bytes', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'sercon-')), 'port.bin');
  writeSerconPortFile(path);
  assert.deepEqual([...readFileSync(path)], [0xf8, 0x03, 0, 0, 0, 0, 0, 0]);
});
