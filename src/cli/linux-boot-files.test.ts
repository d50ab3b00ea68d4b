// Goal: `package import --kind linux` finds the kernel and initrd of the folders admins have by the
// names distributions use (the old import demanded `initrd.img` and failed on initrd.gz), and says
// which flag decides when the folder is ambiguous. Method: the pure finder on path lists.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findInitrdFor, findKernel, findLinuxBootFiles } from './linux-boot-files.js';

test('distribution layouts', () => {
  assert.deepEqual(findLinuxBootFiles(['vmlinuz', 'initrd.gz']), { ok: true, kernel: 'vmlinuz', initrd: 'initrd.gz' });
  assert.deepEqual(findLinuxBootFiles(['debian-installer/amd64/linux', 'debian-installer/amd64/initrd.gz', 'pxelinux.0']),
    { ok: true, kernel: 'debian-installer/amd64/linux', initrd: 'debian-installer/amd64/initrd.gz' });
  assert.deepEqual(findLinuxBootFiles(['vmlinuz-6.1.0-18-amd64', 'initrd.img-6.1.0-17-amd64', 'initrd.img-6.1.0-18-amd64', 'config-6.1.0-18-amd64']),
    { ok: true, kernel: 'vmlinuz-6.1.0-18-amd64', initrd: 'initrd.img-6.1.0-18-amd64' });
  assert.deepEqual(findLinuxBootFiles(['vmlinuz-linux', 'initramfs-linux.img', 'initramfs-linux-fallback.img']),
    { ok: true, kernel: 'vmlinuz-linux', initrd: 'initramfs-linux.img' });
  assert.deepEqual(findLinuxBootFiles(['casper/vmlinuz', 'casper/initrd', 'old/casper/vmlinuz']), { ok: true, kernel: 'casper/vmlinuz', initrd: 'casper/initrd' });
});

test('ambiguous or incomplete folders name the flag that decides', () => {
  const none = findLinuxBootFiles(['initrd.gz']);
  assert.ok(!none.ok && /no kernel found .* --kernel/.test(none.reason));
  const noInitrd = findLinuxBootFiles(['vmlinuz']);
  assert.ok(!noInitrd.ok && /no initrd .* --initrd/.test(noInitrd.reason));
  const two = findLinuxBootFiles(['vmlinuz-6.1', 'vmlinuz-6.5', 'initrd.img-6.1']);
  assert.ok(!two.ok && /several kernels found \(vmlinuz-6\.1, vmlinuz-6\.5\); name one with --kernel/.test(two.reason));
  const twoInitrds = findLinuxBootFiles(['vmlinuz', 'initrd.gz', 'initrd.img']);
  assert.ok(!twoInitrds.ok && /several initrds .* --initrd/.test(twoInitrds.reason));
});

// A kernel the admin names (--kernel) takes its initrd from the folder even when other kernels sit
// beside it; an initrd the admin names needs no initrd* file in the folder.
test('one named file, the other found for it', () => {
  const paths = ['vmlinuz-6.1.0-17-amd64', 'vmlinuz-6.1.0-18-amd64', 'initrd.img-6.1.0-17-amd64', 'initrd.img-6.1.0-18-amd64'];
  assert.deepEqual(findInitrdFor('vmlinuz-6.1.0-17-amd64', paths), { ok: true, path: 'initrd.img-6.1.0-17-amd64' });
  assert.deepEqual(findKernel(['bzImage', 'rootfs.cpio.gz']), { ok: true, path: 'bzImage' });
  const none = findInitrdFor('bzImage', ['bzImage', 'rootfs.cpio.gz']);
  assert.ok(!none.ok && /no initrd .* --initrd PATH/.test(none.reason));
});
