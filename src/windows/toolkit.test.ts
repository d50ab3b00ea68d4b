// Goal: the toolkit lookup finds every file a BIOS or UEFI Windows profile needs in the real folder
// layouts (Microsoft's PXE TFTP root, copype output with a mounted image, the ADK with architecture
// folders), in any letter case, and refuses an incomplete or ambiguous tree with the missing names.
// Method: synthetic trees with the real folder layout — lists of paths for the pure lookup, and real
// files with placeholder bytes in a temp dir for listToolkitTree (the I/O edge).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DEFAULT_BCD_PATH, findInTree, listToolkitTree, locateToolkitFiles, requiredToolkitFiles, requireToolkitFiles,
  ToolkitIncompleteError, TOOLKIT_FILES,
} from './toolkit.js';

/** Microsoft "Configure a PXE server to load Windows PE": a ready TFTP root, in mixed case. */
const PXE_ROOT = [
  'Boot/PXEBOOT.N12', 'Boot/pxeboot.com', 'Boot/abortpxe.com', 'Boot/bootmgr.exe', 'Boot/wdsnbp.com',
  'Boot/BOOT.SDI', 'Boot/Fonts/wgl4_boot.ttf', 'Boot/Fonts/segmono_boot.ttf', 'Boot/EFI/bootmgfw.efi', 'sources/boot.wim',
];

/** copype amd64 C:\WinPE_amd64 after `dism /mount-image … /mountdir:mount`. */
const COPYPE = [
  'fwfiles/efisys.bin', 'fwfiles/etfsboot.com',
  'media/bootmgr', 'media/bootmgr.efi', 'media/Boot/BCD', 'media/Boot/boot.sdi', 'media/Boot/Fonts/wgl4_boot.ttf',
  'media/EFI/Boot/bootx64.efi', 'media/EFI/Microsoft/Boot/BCD', 'media/sources/boot.wim',
  'mount/Windows/Boot/PXE/pxeboot.n12', 'mount/Windows/Boot/PXE/pxeboot.com', 'mount/Windows/Boot/PXE/abortpxe.com',
  'mount/Windows/Boot/PXE/bootmgr.exe', 'mount/Windows/Boot/PXE/wdsnbp.com', 'mount/Windows/Boot/EFI/bootmgfw.efi',
  'mount/Windows/Boot/EFI/wdsmgfw.efi', 'mount/Windows/Boot/Fonts/wgl4_boot.ttf', 'mount/Windows/System32/winload.exe',
];

/** ADK "Windows Preinstallation Environment" with two architectures and PXE files extracted per architecture. */
const ADK = ['amd64', 'x86'].flatMap((arch) => [
  `${arch}/Media/Boot/boot.sdi`, `${arch}/Media/Boot/Fonts/wgl4_boot.ttf`, `${arch}/en-us/winpe.wim`,
  `${arch}/Windows/Boot/PXE/pxeboot.n12`, `${arch}/Windows/Boot/PXE/bootmgr.exe`, `${arch}/Windows/Boot/EFI/bootmgfw.efi`,
]);

const paths = (lookup: ReturnType<typeof locateToolkitFiles>) => Object.fromEntries([...lookup.found].map(([role, f]) => [role, f.path]));

test('what each firmware needs (and when the optional programs become needed)', () => {
  const names = (needs: Parameters<typeof requiredToolkitFiles>[0]) => requiredToolkitFiles(needs).map((s) => s.role).sort();
  assert.deepEqual(names({ firmware: 'bios' }), ['boot.sdi', 'boot.wim', 'bootmgr.exe', 'pxeboot.n12', 'wgl4_boot.ttf']);
  assert.deepEqual(names({ firmware: 'bios', f12Prompt: true, abortPxe: true }), ['abortpxe.com', 'boot.sdi', 'boot.wim', 'bootmgr.exe', 'pxeboot.com', 'pxeboot.n12', 'wgl4_boot.ttf']);
  assert.deepEqual(names({ firmware: 'uefi', abortPxe: true }), ['boot.sdi', 'boot.wim', 'bootmgfw.efi', 'wgl4_boot.ttf']);
  assert.equal(DEFAULT_BCD_PATH, '\\Boot\\BCD');
  // bootmgr.exe must sit next to pxeboot.n12: pxeboot loads it from its own directory
  // (docs/protocol-notes.md, "Windows boot manager paths and option 252").
  const served = (role: string) => TOOLKIT_FILES.find((s) => s.role === role)!.servedPath;
  assert.equal(served('pxeboot.n12').replace(/[^\\]+$/, ''), served('bootmgr.exe').replace(/[^\\]+$/, ''));
  assert.equal(served('boot.sdi'), '\\Boot\\boot.sdi');
  assert.equal(served('boot.wim'), '\\sources\\boot.wim');
  assert.equal(served('wgl4_boot.ttf'), '\\Boot\\Fonts\\wgl4_boot.ttf');
});

test('Microsoft PXE root, any letter case: BIOS and UEFI complete', () => {
  const bios = locateToolkitFiles(PXE_ROOT, { firmware: 'bios', f12Prompt: true, abortPxe: true });
  assert.deepEqual(bios.missing, []);
  assert.deepEqual(paths(bios), {
    'pxeboot.n12': 'Boot/PXEBOOT.N12', 'pxeboot.com': 'Boot/pxeboot.com', 'abortpxe.com': 'Boot/abortpxe.com',
    'bootmgr.exe': 'Boot/bootmgr.exe', 'boot.sdi': 'Boot/BOOT.SDI', 'boot.wim': 'sources/boot.wim', 'wgl4_boot.ttf': 'Boot/Fonts/wgl4_boot.ttf',
  });
  const uefi = locateToolkitFiles(PXE_ROOT, { firmware: 'uefi' });
  assert.deepEqual(uefi.missing, []);
  assert.equal(uefi.found.get('bootmgfw.efi')!.path, 'Boot/EFI/bootmgfw.efi');
});

test('copype output with the image mounted: PXE programs from mount\\, media files from media\\', () => {
  const bios = locateToolkitFiles(COPYPE, { firmware: 'bios' });
  assert.deepEqual(bios.missing, []);
  assert.equal(bios.found.get('pxeboot.n12')!.path, 'mount/Windows/Boot/PXE/pxeboot.n12');
  assert.equal(bios.found.get('boot.wim')!.path, 'media/sources/boot.wim');
  assert.equal(bios.found.get('wgl4_boot.ttf')!.path, 'media/Boot/Fonts/wgl4_boot.ttf');
  assert.equal(locateToolkitFiles(COPYPE, { firmware: 'uefi' }).found.get('bootmgfw.efi')!.path, 'mount/Windows/Boot/EFI/bootmgfw.efi');
});

test('ADK with architecture folders: the chosen architecture wins; without one the tree is ambiguous', () => {
  const x86 = locateToolkitFiles(ADK, { firmware: 'bios', arch: 'x86' });
  assert.deepEqual(x86.missing, []);
  assert.ok([...x86.found.values()].every((f) => f.path.startsWith('x86/')), JSON.stringify(paths(x86)));
  assert.equal(x86.found.get('boot.wim')!.path, 'x86/en-us/winpe.wim');
  const unclear = locateToolkitFiles(ADK, { firmware: 'uefi' });
  assert.deepEqual(unclear.ambiguous.map((a) => a.name).sort(), ['boot.sdi', 'boot.wim', 'bootmgfw.efi', 'wgl4_boot.ttf']);
  assert.throws(() => requireToolkitFiles('/srv/adk', ADK, { firmware: 'uefi' }), /boot\.sdi found 2 times \(amd64\/Media\/Boot\/boot\.sdi, x86\/Media\/Boot\/boot\.sdi; keep one or set the architecture\)/);
});

test('a file outside the known places is found by its unique name', () => {
  const tree = [...PXE_ROOT.filter((p) => !p.endsWith('boot.wim')), 'images/winpe/BOOT.WIM'];
  assert.equal(locateToolkitFiles(tree, { firmware: 'bios' }).found.get('boot.wim')!.path, 'images/winpe/BOOT.WIM');
});

test('an incomplete tree is refused with the names of the missing files', () => {
  const tree = PXE_ROOT.filter((p) => !/pxeboot\.n12|wgl4_boot|bootmgfw/i.test(p));
  const lookup = locateToolkitFiles(tree, { firmware: 'bios' });
  assert.deepEqual(lookup.missing, ['pxeboot.n12', 'wgl4_boot.ttf']);
  assert.throws(() => requireToolkitFiles('/srv/win', tree, { firmware: 'bios' }),
    (e: unknown) => e instanceof ToolkitIncompleteError && /\/srv\/win cannot make a bios Windows profile: missing pxeboot\.n12, wgl4_boot\.ttf/.test(e.message));
  assert.throws(() => requireToolkitFiles('/srv/win', tree, { firmware: 'uefi' }), /missing bootmgfw\.efi, wgl4_boot\.ttf/);
  // Optional programs are missing only when asked for.
  const noAbort = PXE_ROOT.filter((p) => !p.includes('abortpxe'));
  assert.deepEqual(locateToolkitFiles(noAbort, { firmware: 'bios' }).missing, []);
  assert.deepEqual(locateToolkitFiles(noAbort, { firmware: 'bios', abortPxe: true }).missing, ['abortpxe.com']);
});

test('findInTree: backslash or slash, any case, leading separator ignored', () => {
  assert.equal(findInTree(PXE_ROOT, '\\boot\\fonts\\WGL4_BOOT.TTF'), 'Boot/Fonts/wgl4_boot.ttf');
  assert.equal(findInTree(PXE_ROOT, '/Boot//pxeboot.n12'), 'Boot/PXEBOOT.N12');
  assert.equal(findInTree(PXE_ROOT, 'Boot/missing.efi'), null);
});

test('listToolkitTree lists a real folder (placeholder binaries, symlinked file) and feeds the lookup', async () => {
  const root = mkdtempSync(join(tmpdir(), 'peerboot-toolkit-'));
  try {
    for (const p of COPYPE) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), `placeholder for ${p}\n`);
    }
    mkdirSync(join(root, 'extra'));
    symlinkSync(join(root, 'media/sources/boot.wim'), join(root, 'extra/linked.wim'));
    symlinkSync(join(root, 'media'), join(root, 'extra/media-link')); // directory symlink: not followed
    const tree = await listToolkitTree(root);
    assert.deepEqual(tree, [...COPYPE, 'extra/linked.wim'].sort());
    const found = requireToolkitFiles(root, tree, { firmware: 'bios', f12Prompt: true });
    assert.equal(found.get('pxeboot.com')!.path, 'mount/Windows/Boot/PXE/pxeboot.com');
    await assert.rejects(listToolkitTree(join(root, 'media/bootmgr')), /not a directory/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
