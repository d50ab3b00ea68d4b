// Goal: the Secure Boot boot root's pure parts say what the chain requires (docs/lab-notes.md,
// "What each Secure Boot stage asks of TFTP" and "Proof that Secure Boot was on"): GRUB 2.06
// syntax without `||`, absolute `/vmlinuz` + `/initrd.gz` paths, a failure line; an /init that
// loads efivarfs and reports byte 5 of SecureBoot, the kernel message and the lockdown mode; and
// the marker parser reads those fields back.
// Method: string checks on grubNetbootConfig / secureBootInitScript; parseSecureBootFacts on real
// and truncated marker lines; missingSecureBootPayload on an empty directory names the fix.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  GRUB_FAILED_MARKER, grubNetbootConfig, missingSecureBootPayload, parseSecureBootFacts, secureBootInitScript,
} from './secure-boot-payload.js';

test('grub.cfg: no `||` (a syntax error in GRUB 2.06), absolute kernel/initrd paths, failure marker', () => {
  const cfg = grubNetbootConfig();
  assert.doesNotMatch(cfg, /\|\|/);
  assert.match(cfg, /^linux \/vmlinuz console=ttyS0,115200 .*peerboot\.arch=efi-sb peerboot\.via=grub-tftp$/m);
  assert.match(cfg, /^initrd \/initrd\.gz$/m);
  assert.ok(cfg.indexOf('boot\n') < cfg.indexOf(GRUB_FAILED_MARKER), 'the failure line comes after boot');
});

test('/init loads efivarfs, reads byte 5 of SecureBoot, dmesg and the lockdown mode into the marker', () => {
  const init = secureBootInitScript();
  assert.match(init, /insmod \/lib\/efivarfs\.ko/);
  assert.match(init, /SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c/);
  assert.match(init, /sbvar=\$\{5:-short\}/, 'the 5th byte: 4 attribute bytes come first');
  assert.match(init, /PEERBOOT-BOOTED arch=\$arch .* secureboot_var=\$sbvar kmsg=\$kmsg lockdown=\$lockdown/);
});

test('parseSecureBootFacts reads the marker fields; absent ones are "missing"', () => {
  const line = 'PEERBOOT-BOOTED arch=efi-sb uptime=3.16 bootif=none via=grub-tftp secureboot_var=1 kmsg=Secure_boot_enabled lockdown=integrity';
  assert.deepEqual(parseSecureBootFacts(line), { securebootVar: '1', kmsg: 'Secure_boot_enabled', lockdown: 'integrity' });
  assert.deepEqual(parseSecureBootFacts('PEERBOOT-BOOTED arch=efi'), { securebootVar: 'missing', kmsg: 'missing', lockdown: 'missing' });
});

test('a cache without the signed binaries is refused naming the fetch script', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-sb-'));
  try {
    const problems = missingSecureBootPayload(dir);
    assert.match(problems[0] ?? '', /shimx64\.efi, grubx64\.efi, mmx64\.efi .*fetch-lab-secureboot\.sh/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
