// Goal: the wimboot fast lane script loads wimboot and then the BCD of the client's own firmware,
// the font, boot.sdi and boot.wim over HTTP under the names wimboot expects (docs/protocol-notes.md,
// "WinPE through wimboot"), never the other firmware's BCD, and refuses paths or bases iPXE could
// not use.
// Method: generate scripts for BIOS+UEFI and single-firmware profiles; check lines and order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidWimbootOptionError, servedPathToUrlPath, wimbootIpxeScript } from './wimboot-script.js';

const base = { httpBase: 'http://10.77.0.11:8080', wimbootPath: 'wimboot' };

test('BIOS+UEFI: BCD chosen by ${platform}, then wimboot and the four files by name, in order', () => {
  const s = wimbootIpxeScript({ ...base, bcdPath: { bios: '\\Boot\\BCD', uefi: '\\Boot\\EFI\\BCD' }, bootmgrPath: '\\Boot\\bootmgr.exe' });
  const lines = s.split('\n');
  assert.equal(lines[0], '#!ipxe');
  assert.ok(lines.includes('set peerboot-bcd http://10.77.0.11:8080/Boot/EFI/BCD'));
  assert.ok(lines.includes('set peerboot-bcd http://10.77.0.11:8080/Boot/BCD'));
  const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
  const order = [
    'kernel http://10.77.0.11:8080/wimboot ',
    'iseq ${platform} pcbios && initrd http://10.77.0.11:8080/Boot/bootmgr.exe bootmgr.exe',
    'initrd ${peerboot-bcd} BCD ',
    'initrd http://10.77.0.11:8080/Boot/Fonts/wgl4_boot.ttf wgl4_boot.ttf ',
    'initrd http://10.77.0.11:8080/Boot/boot.sdi boot.sdi ',
    'initrd http://10.77.0.11:8080/sources/boot.wim boot.wim ',
    'boot ',
  ].map(at);
  assert.ok(order.every((i) => i > 0), `all lines present: ${order.join(',')}`);
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  // efi jumps to the UEFI BCD (the label right after `:efi`).
  assert.equal(lines[lines.indexOf(':efi') + 1], 'set peerboot-bcd http://10.77.0.11:8080/Boot/EFI/BCD');
  assert.equal(lines[lines.indexOf(':pcbios') + 1], 'set peerboot-bcd http://10.77.0.11:8080/Boot/BCD');
});

test('a firmware without a BCD stops with a message instead of taking the other one', () => {
  const s = wimbootIpxeScript({ ...base, bcdPath: { uefi: '\\Boot\\EFI\\BCD' }, gui: true });
  const lines = s.split('\n');
  assert.deepEqual(lines.slice(lines.indexOf(':pcbios') + 1, lines.indexOf(':pcbios') + 3), ['echo peerboot: no BIOS BCD in this profile', 'exit 1']);
  assert.equal(s.match(/set peerboot-bcd/g)?.length, 1);
  assert.match(s, /^kernel http:\/\/10\.77\.0\.11:8080\/wimboot gui \|\| goto failed$/m);
  assert.doesNotMatch(s, /bootmgr\.exe/, 'no bootmgr line unless given');
});

test('without httpBase the URLs are relative (iPXE resolves them against the script URL)', () => {
  const s = wimbootIpxeScript({ wimbootPath: 'wimboot', bcdPath: { bios: '\\Boot\\BCD' } });
  assert.match(s, /^kernel wimboot \|\| goto failed$/m);
  assert.match(s, /^set peerboot-bcd Boot\/BCD$/m);
  assert.match(s, /^initrd sources\/boot\.wim boot\.wim \|\| goto failed$/m);
});

test('paths are URL-encoded per segment; bad bases and paths are refused', () => {
  assert.equal(servedPathToUrlPath('\\Boot\\my file#1.wim'), '/Boot/my%20file%231.wim');
  assert.throws(() => servedPathToUrlPath('\\Boot\\..\\x'), InvalidWimbootOptionError);
  assert.throws(() => wimbootIpxeScript({ ...base, httpBase: 'http://10.77.0.11:8080/x', bcdPath: { bios: 'a' } }), /without a path/);
  assert.throws(() => wimbootIpxeScript({ ...base, bcdPath: {} }), /needs a BCD/);
});
