// Goal: `peerboot windows-root` turns a toolkit folder (copype layout) into a boot root with the
// files at the paths bootmgr asks for and a readable BCD per firmware, and prints responder flags
// that `peerboot responder` accepts; an incomplete toolkit is refused naming the missing files; the
// responder refuses a --bcd that does not parse (bad input stops start-up, it is never served)
// before touching the network.
// Method: spawn the real CLI (through tsx) on a synthetic toolkit tree with placeholder binaries.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { readBcdStore } from '../../src/windows/bcd/bcd-store.js';

const repo = new URL('../..', import.meta.url).pathname;
function peerboot(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const work = mkdtempSync(join(tmpdir(), 'pb-winroot-'));
const toolkit = join(work, 'WinPE_amd64');
for (const f of ['media/Boot/boot.sdi', 'media/Boot/Fonts/wgl4_boot.ttf', 'media/sources/boot.wim', 'mount/Windows/Boot/PXE/pxeboot.n12',
  'mount/Windows/Boot/PXE/bootmgr.exe', 'mount/Windows/Boot/PXE/abortpxe.com', 'mount/Windows/Boot/EFI/bootmgfw.efi']) {
  mkdirSync(dirname(join(toolkit, f)), { recursive: true });
  writeFileSync(join(toolkit, f), `placeholder ${f}`);
}
test.after(() => rmSync(work, { recursive: true, force: true }));

test('builds the root, one readable BCD per firmware, and prints the responder flags', () => {
  const out = join(work, 'root');
  const r = peerboot('windows-root', '--toolkit', toolkit, '--out', out, '--no-signature-check', '--abortpxe', '--tftp-blksize', '1456', '--tftp-windowsize', '8');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(out, 'Boot', 'pxeboot.n12'), 'utf8'), 'placeholder mount/Windows/Boot/PXE/pxeboot.n12');
  assert.equal(readFileSync(join(out, 'sources', 'boot.wim'), 'utf8'), 'placeholder media/sources/boot.wim');
  for (const bcd of [join(out, 'Boot', 'BCD'), join(out, 'Boot', 'EFI', 'BCD')]) assert.ok(readBcdStore(readFileSync(bcd)).length >= 3);
  assert.match(r.stdout, /--bios '\\Boot\\pxeboot\.n12' --uefi '\\Boot\\bootmgfw\.efi' --bcd '\\Boot\\BCD' --uefi-bcd '\\Boot\\EFI\\BCD' --no-deployment-bios '\\Boot\\abortpxe\.com'/);
});

test('--wimboot copies the admin\'s wimboot and writes the fast-lane iPXE script with relative URLs', () => {
  const out = join(work, 'root-wimboot');
  writeFileSync(join(work, 'wimboot'), 'placeholder wimboot');
  const r = peerboot('windows-root', '--toolkit', toolkit, '--out', out, '--no-signature-check', '--wimboot', join(work, 'wimboot'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(out, 'wimboot'), 'utf8'), 'placeholder wimboot');
  const script = readFileSync(join(out, 'wimboot.ipxe'), 'utf8');
  assert.match(script, /^#!ipxe\n/);
  assert.match(script, /^kernel wimboot \|\| goto failed$/m);
  assert.match(script, /^set peerboot-bcd Boot\/EFI\/BCD$/m);
  assert.match(r.stdout, /--ipxe-script wimboot\.ipxe --http-port/);
  const missing = peerboot('windows-root', '--toolkit', toolkit, '--out', out, '--no-signature-check', '--wimboot', join(work, 'nope'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--wimboot .*nope/);
});

test('an incomplete toolkit is refused (exit 1) naming the missing file', () => {
  const partial = join(work, 'partial');
  rmSync(partial, { recursive: true, force: true });
  spawnSync('cp', ['-r', toolkit, partial]);
  unlinkSync(join(partial, 'mount/Windows/Boot/PXE/bootmgr.exe'));
  const r = peerboot('windows-root', '--toolkit', partial, '--out', join(work, 'root2'), '--firmware', 'bios');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /missing bootmgr\.exe/);
  // UEFI alone does not need it.
  assert.equal(peerboot('windows-root', '--toolkit', partial, '--out', join(work, 'root3'), '--firmware', 'uefi', '--no-signature-check').code, 0);
});

test('placeholder boot managers are refused unless --no-signature-check (which CA signed them is checked)', () => {
  const r = peerboot('windows-root', '--toolkit', toolkit, '--out', join(work, 'root4'), '--firmware', 'uefi');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bootmgfw\.efi is not a PE\/COFF image: no MZ signature; copy the real boot manager/);
  const ca2023 = peerboot('windows-root', '--toolkit', toolkit, '--out', join(work, 'root5'), '--firmware', 'uefi', '--boot-managers', 'ca2023', '--no-signature-check');
  assert.equal(ca2023.code, 1);
  assert.match(ca2023.stderr, /missing bootmgfw_EX\.efi/);
});

test('the responder refuses a --bcd that does not parse, before binding anything', () => {
  const out = join(work, 'root');
  writeFileSync(join(out, 'Boot', 'broken.bcd'), 'regf but not really');
  const r = peerboot('responder', '--interface', 'lo', '--root', out, '--bios', '\\Boot\\pxeboot.n12', '--uefi', '\\Boot\\bootmgfw.efi', '--bcd', '\\Boot\\broken.bcd');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--bcd \\Boot\\broken\.bcd: .*rebuild it with 'peerboot windows-root'/);
  const missing = peerboot('responder', '--interface', 'lo', '--root', out, '--bios', '\\Boot\\pxeboot.n12', '--uefi', '\\Boot\\bootmgfw.efi', '--uefi-bcd', '\\Boot\\nope.bcd');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--uefi-bcd \\Boot\\nope\.bcd: no such file/);
});
