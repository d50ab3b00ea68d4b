// Goal: the iPXE script names kernel and initrd relatively (so it works over TFTP and HTTP), puts
// the marker's inputs on the kernel command line, and fails fast instead of idling.
// Method: inspect bootIpxeScript's text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOOT_ROOT_FILES, bootIpxeScript } from './boot-root.js';

test('the script loads vmlinuz + initrd.gz by relative name, with console and marker arguments', () => {
  const s = bootIpxeScript(BOOT_ROOT_FILES, 'quiet');
  const lines = s.split('\n');
  assert.equal(lines[0], '#!ipxe');
  const kernel = lines.find((l) => l.startsWith('kernel '));
  assert.ok(kernel);
  assert.match(kernel, /^kernel vmlinuz console=ttyS0 /);
  for (const arg of ['initrd=initrd.gz', 'panic=-1', 'peerboot.arch=${platform}', 'peerboot.via=${filename}', 'BOOTIF=01-${net0/mac:hexhyp}', 'quiet']) {
    assert.ok(kernel.includes(arg), arg);
  }
  assert.ok(lines.includes('initrd initrd.gz || goto failed'));
  assert.ok(lines.includes('boot || goto failed'));
  // After a failure it reboots, which ends a -no-reboot QEMU run at once.
  assert.deepEqual(lines.slice(lines.indexOf(':failed')), [':failed', 'echo PEERBOOT-IPXE-FAILED', 'reboot', '']);
  assert.equal(/tftp:\/\/|http:\/\//.test(s), false);
});
