// Goal: both Windows boot-manager generations can be imported into one root and chosen per
// deployment: PCA 2011 bootmgfw.efi at \Boot\bootmgfw.efi, the 2023 bootmgfw_EX.efi (ADK EFI_EX)
// at \Boot\EFI_EX\bootmgfw.efi, the first listed being the default NBP; each is refused unless its
// Authenticode signature names the expected CA (so a deployment asking for "2023" never gets 2011).
// Method: a temp toolkit in the copype layout with minimal PE files whose certificate tables name
// the CAs (built here from the PE/COFF layout), through writeWindowsBootRoot.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { MICROSOFT_SECURE_BOOT_CAS } from './boot-manager-signature.js';
import { ToolkitIncompleteError } from './toolkit.js';
import { BootManagerSignatureError, CA2023_BOOT_MANAGER_PATH, writeWindowsBootRoot } from './windows-boot-root.js';

/** MZ + PE32+ header whose certificate table holds one entry naming `ca`. */
function signedPe(ca: string, tag: string): Buffer {
  const body = Buffer.from(`0\x82..CN=${ca};${tag}`, 'latin1');
  const entryLength = 8 + body.length;
  const pe = Buffer.alloc(0x200 + Math.ceil(entryLength / 8) * 8);
  pe.write('MZ', 0, 'latin1');
  pe.writeUInt32LE(0x80, 0x3c);
  pe.writeUInt32LE(0x4550, 0x80);
  pe.writeUInt16LE(240, 0x80 + 20);
  pe.writeUInt16LE(0x20b, 0x98);
  pe.writeUInt32LE(16, 0x98 + 108);
  pe.writeUInt32LE(0x200, 0x98 + 112 + 32);
  pe.writeUInt32LE(Math.ceil(entryLength / 8) * 8, 0x98 + 112 + 36);
  pe.writeUInt32LE(entryLength, 0x200);
  pe.writeUInt16LE(0x200, 0x204);
  pe.writeUInt16LE(2, 0x206);
  body.copy(pe, 0x208);
  return pe;
}

const work = mkdtempSync(join(tmpdir(), 'pb-winroot-unit-'));
after(() => rmSync(work, { recursive: true, force: true }));
function toolkit(name: string, files: Record<string, Buffer | string>): string {
  const dir = join(work, name);
  for (const [p, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), bytes);
  }
  return dir;
}
const common = { 'media/Boot/boot.sdi': 'sdi', 'media/Boot/Fonts/wgl4_boot.ttf': 'font', 'media/sources/boot.wim': 'wim' };
const pca2011 = signedPe(MICROSOFT_SECURE_BOOT_CAS.windowsPca2011, 'old');
const ca2023 = signedPe(MICROSOFT_SECURE_BOOT_CAS.windowsUefiCa2023, 'new');

test('both generations imported; the first listed is the default NBP; each served byte-exact', async () => {
  const tk = toolkit('both', { ...common, 'mount/Windows/Boot/EFI/bootmgfw.efi': pca2011, 'mount/Windows/Boot/EFI_EX/bootmgfw_EX.efi': ca2023 });
  const out = join(work, 'root-both');
  const plan = await writeWindowsBootRoot(tk, out, { firmware: ['uefi'], uefiBootManagers: ['ca2023', 'pca2011'] });
  assert.deepEqual(plan.profile.uefiX64Files, { ca2023: CA2023_BOOT_MANAGER_PATH, pca2011: '\\Boot\\bootmgfw.efi' });
  assert.equal(plan.profile.uefiX64File, CA2023_BOOT_MANAGER_PATH);
  assert.deepEqual(readFileSync(join(out, 'Boot', 'EFI_EX', 'bootmgfw.efi')), ca2023);
  assert.deepEqual(readFileSync(join(out, 'Boot', 'bootmgfw.efi')), pca2011);
  // Default (pca2011 only): the EFI_EX manager is not served.
  const classic = await writeWindowsBootRoot(tk, join(work, 'root-classic'), { firmware: ['uefi'] });
  assert.deepEqual(classic.profile.uefiX64Files, { pca2011: '\\Boot\\bootmgfw.efi' });
  assert.equal(classic.files.some((f) => f.servedPath === CA2023_BOOT_MANAGER_PATH), false);
});

test('a boot manager signed by the other CA, or unsigned, is refused naming what was found', async () => {
  // Someone put the 2011 manager into EFI_EX.
  const swapped = toolkit('swapped', { ...common, 'mount/Windows/Boot/EFI/bootmgfw.efi': pca2011, 'mount/Windows/Boot/EFI_EX/bootmgfw_EX.efi': pca2011 });
  await assert.rejects(writeWindowsBootRoot(swapped, join(work, 'r1'), { firmware: ['uefi'], uefiBootManagers: ['ca2023'] }),
    (e: unknown) => e instanceof BootManagerSignatureError && /bootmgfw_EX\.efi is not signed by Windows UEFI CA 2023 \(found Microsoft Windows Production PCA 2011\)/.test(e.message));
  const shimLike = toolkit('thirdparty', { ...common, 'mount/Windows/Boot/EFI/bootmgfw.efi': signedPe(MICROSOFT_SECURE_BOOT_CAS.thirdPartyUefiCa2011, 'x') });
  await assert.rejects(writeWindowsBootRoot(shimLike, join(work, 'r2'), { firmware: ['uefi'] }),
    /is not signed by Microsoft Windows Production PCA 2011 \(no Windows boot manager signature\)/);
  // Skipping the check is explicit.
  await writeWindowsBootRoot(shimLike, join(work, 'r3'), { firmware: ['uefi'], skipSignatureCheck: true });
});

test('asking for the 2023 manager in a toolkit without EFI_EX names the missing file', async () => {
  const tk = toolkit('old-adk', { ...common, 'mount/Windows/Boot/EFI/bootmgfw.efi': pca2011 });
  await assert.rejects(writeWindowsBootRoot(tk, join(work, 'r4'), { firmware: ['uefi'], uefiBootManagers: ['ca2023'] }),
    (e: unknown) => e instanceof ToolkitIncompleteError && /missing bootmgfw_EX\.efi/.test(e.message));
});
