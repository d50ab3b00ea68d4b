// Goal: the generated iPXE script boots the profile from whichever peer served it (absolute paths,
// resolved against the script URL), falls through to each other ready peer on failure, and an
// explicit script is served unchanged. Method: generate for the fixture profile; check lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LINUX_PROFILE, UNKNOWN_PROFILE } from '../decision/policy-fixture.js';
import { initrdImageNames, kernelCommandLine, profileIpxeScript } from './ipxe-script.js';

test('a linux profile: kernel + initrd from the serving peer, then each fallback peer in order', () => {
  const s = profileIpxeScript(LINUX_PROFILE, 'pkg-linux', [{ baseUrl: 'http://10.77.0.12:8469' }, { baseUrl: 'tftp://10.77.0.13/' }])!;
  const lines = s.split('\n');
  assert.equal(lines[0], '#!ipxe');
  assert.ok(lines.includes('kernel /p/pkg-linux/vmlinuz console=ttyS0 initrd=initrd.gz || goto pb_try1'));
  assert.ok(lines.includes('initrd --name initrd.gz /p/pkg-linux/initrd.gz || goto pb_try1'));
  assert.ok(lines.includes('kernel http://10.77.0.12:8469/p/pkg-linux/vmlinuz console=ttyS0 initrd=initrd.gz || goto pb_try2'));
  assert.ok(lines.includes('initrd --name initrd.gz tftp://10.77.0.13/p/pkg-linux/initrd.gz || goto pb_failed'));
  assert.equal(lines.filter((l) => l === 'imgfree').length, 2, 'each fallback starts clean');
  assert.ok(lines.indexOf(':pb_try1') < lines.indexOf(':pb_try2') && lines.indexOf(':pb_try2') < lines.indexOf(':pb_failed'));
});

test('no fallbacks: the failure path follows the first attempt', () => {
  const s = profileIpxeScript(LINUX_PROFILE, 'pkg-linux')!;
  assert.match(s, /boot \|\| goto pb_failed/);
});

test('an explicit script is used as is; a profile without kernel or script has none', () => {
  assert.equal(profileIpxeScript(UNKNOWN_PROFILE, 'pkg-toolkit'), '#!ipxe\necho unknown\n');
  assert.equal(profileIpxeScript({ ...LINUX_PROFILE, kernel: null }, 'pkg-linux'), null);
  assert.equal(profileIpxeScript({ ...LINUX_PROFILE, kind: 'windows', kernel: null }, 'p'), null);
});

// The UEFI defect: Debian 12's ipxe.efi hands initrds to the kernel's EFI stub only through
// `initrd=NAME` on the command line; a profile cmdline without it panicked on OVMF.
test('each initrd reaches the kernel by name on every firmware, never named twice', () => {
  const two = { ...LINUX_PROFILE, initrd: ['boot/initrd.gz', 'firmware.cpio'], cmdline: 'console=ttyS0,115200 quiet' };
  const lines = profileIpxeScript(two, 'pkg-linux')!.split('\n');
  assert.ok(lines.includes('kernel /p/pkg-linux/vmlinuz console=ttyS0,115200 quiet initrd=initrd.gz initrd=firmware.cpio || goto pb_failed'));
  assert.ok(lines.includes('initrd --name initrd.gz /p/pkg-linux/boot/initrd.gz || goto pb_failed'));
  assert.ok(lines.includes('initrd --name firmware.cpio /p/pkg-linux/firmware.cpio || goto pb_failed'));
  // The admin who already names the initrd keeps exactly their command line.
  const own = profileIpxeScript({ ...LINUX_PROFILE, cmdline: 'initrd=initrd.gz console=ttyS0' }, 'pkg-linux')!;
  assert.equal(own.match(/initrd=/g)?.length, 1, own);
  // No initrd, no argument.
  assert.ok(profileIpxeScript({ ...LINUX_PROFILE, initrd: [] }, 'pkg-linux')!.includes('kernel /p/pkg-linux/vmlinuz console=ttyS0 || goto'));
});

test('initrd image names are safe for a command line and unique', () => {
  assert.deepEqual(initrdImageNames(['a/initrd.gz', 'b/initrd.gz', 'my initrd']), ['0-initrd.gz', '1-initrd.gz', 'my_initrd']);
  assert.equal(kernelCommandLine('  ', ['x']), 'initrd=x');
  assert.equal(kernelCommandLine('quiet myinitrd=1', ['x']), 'quiet myinitrd=1 initrd=x');
});
