/**
 * `peerboot windows-root`: builds a Windows boot root from a toolkit folder (ADK/WAIK layout) —
 * the boot programs copied to the paths bootmgr asks for, plus a BCD per firmware written by
 * peerboot (no Windows, no bcdedit) — and prints the `peerboot responder` flags that serve it
 * (backslash NBP paths, option 252 per firmware, abortpxe).
 * docs/protocol-notes.md, "Windows boot manager paths and option 252"; docs/windows.md.
 */
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidBcdOptionError, type WindowsFirmware } from '../../windows/bcd/ramdisk-bcd.js';
import { ToolkitIncompleteError, type WindowsArch } from '../../windows/toolkit.js';
import { wimbootIpxeScript } from '../../windows/wimboot-script.js';
import type { BootManagerGeneration } from '../../windows/boot-manager-signature.js';
import { BootManagerSignatureError, writeWindowsBootRoot, type WindowsBootProfile } from '../../windows/windows-boot-root.js';
import { UsageError, type Command } from '../command.js';
import { parseFlags, parseIntegerFlag } from '../options.js';

const usage = `Usage: peerboot windows-root --toolkit DIR --out DIR [--firmware bios,uefi] [--arch amd64|x86|arm64]
                             [--f12-prompt] [--abortpxe] [--tftp-blksize N] [--tftp-windowsize N]
                             [--boot-managers pca2011,ca2023] [--no-signature-check] [--wimboot FILE]

Copies pxeboot.n12, bootmgr.exe, bootmgfw.efi, wgl4_boot.ttf, boot.sdi and boot.wim from a Windows
toolkit folder (copype output, an ADK tree, or Microsoft's PXE layout) to the paths the Windows boot
programs ask for under --out, writes a BCD store per firmware (BIOS \\Boot\\BCD, UEFI
\\Boot\\EFI\\BCD), and prints the 'peerboot responder' flags that serve the result.

  --toolkit DIR        the toolkit folder (read only)
  --out DIR            the boot root to fill (created)
  --firmware LIST      bios, uefi or both (default bios,uefi)
  --arch ARCH          prefer files under this ADK architecture folder
  --f12-prompt         BIOS: pxeboot.com (press F12) instead of pxeboot.n12
  --abortpxe           also serve abortpxe.com, for BIOS machines without a deployment
  --tftp-blksize N     BCD ramdisktftpblocksize (bootmgr's TFTP block size for boot.wim; 8-65464)
  --tftp-windowsize N  BCD ramdisktftpwindowsize (RFC 7440 window; 1-65535)
  --boot-managers LIST UEFI boot managers to import, the first being the default NBP: pca2011
                       (bootmgfw.efi, Microsoft Windows Production PCA 2011) and/or ca2023
                       (EFI_EX\\bootmgfw_EX.efi, Windows UEFI CA 2023); default pca2011
  --no-signature-check do not check which CA signed the boot managers (placeholder files in labs)
  --wimboot FILE       fast lane: copy this wimboot (not in Debian; from ipxe.org) into the root
                       and write wimboot.ipxe, an iPXE script that boots WinPE through wimboot
                       over HTTP (serve it with --ipxe-script wimboot.ipxe --http-port N)
`;

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The responder flags for a profile (shell-quoted: the paths hold backslashes). */
export function responderFlagsFor(outDir: string, profile: WindowsBootProfile): string {
  const flags = ['--root', quote(outDir)];
  if (profile.biosFile) flags.push('--bios', quote(profile.biosFile));
  if (profile.uefiX64File) flags.push('--uefi', quote(profile.uefiX64File));
  const biosBcd = profile.bcdPath.bios;
  const uefiBcd = profile.bcdPath.uefi;
  if (biosBcd ?? uefiBcd) flags.push('--bcd', quote((biosBcd ?? uefiBcd)!));
  if (biosBcd && uefiBcd) flags.push('--uefi-bcd', quote(uefiBcd));
  if (profile.biosNoDeploymentFile) flags.push('--no-deployment-bios', quote(profile.biosNoDeploymentFile));
  return flags.join(' ');
}

export const windowsRootCommand: Command = {
  name: 'windows-root',
  summary: 'build a Windows PXE boot root (toolkit files + a generated BCD) for the responder',
  usage,
  async run(argv) {
    const parsed = parseFlags('windows-root', argv, {
      toolkit: { type: 'string' }, out: { type: 'string' }, firmware: { type: 'string' }, arch: { type: 'string' },
      'f12-prompt': { type: 'boolean' }, abortpxe: { type: 'boolean' },
      'tftp-blksize': { type: 'string' }, 'tftp-windowsize': { type: 'string' }, wimboot: { type: 'string' },
      'boot-managers': { type: 'string' }, 'no-signature-check': { type: 'boolean' },
    });
    const v = parsed.values;
    if (!v.toolkit) throw new UsageError("--toolkit is required. See 'peerboot windows-root --help'.");
    if (!v.out) throw new UsageError("--out is required. See 'peerboot windows-root --help'.");
    const firmware = (v.firmware ?? 'bios,uefi').split(',').map((f) => f.trim()).filter(Boolean);
    if (firmware.length === 0 || firmware.some((f) => f !== 'bios' && f !== 'uefi')) {
      throw new UsageError(`--firmware must list bios and/or uefi, got '${v.firmware}'`);
    }
    if (v.arch !== undefined && !['amd64', 'x86', 'arm64'].includes(v.arch)) throw new UsageError(`--arch must be amd64, x86 or arm64, got '${v.arch}'`);
    const managers = (v['boot-managers'] ?? 'pca2011').split(',').map((m) => m.trim()).filter(Boolean);
    if (managers.length === 0 || managers.some((m) => m !== 'pca2011' && m !== 'ca2023')) {
      throw new UsageError(`--boot-managers must list pca2011 and/or ca2023, got '${v['boot-managers']}'`);
    }
    // The ranges (RFC 2348, RFC 7440) are the BCD builder's to check; here only the form.
    const blockSize = v['tftp-blksize'] === undefined ? undefined : parseIntegerFlag('--tftp-blksize', v['tftp-blksize'], { noun: 'whole number' });
    const windowSize = v['tftp-windowsize'] === undefined ? undefined : parseIntegerFlag('--tftp-windowsize', v['tftp-windowsize'], { noun: 'whole number' });
    let plan;
    try {
      plan = await writeWindowsBootRoot(v.toolkit, v.out, {
        firmware: [...new Set(firmware)] as WindowsFirmware[],
        ...(v['f12-prompt'] ? { f12Prompt: true } : {}),
        ...(v.abortpxe ? { abortPxe: true } : {}),
        ...(v.arch !== undefined ? { arch: v.arch as WindowsArch } : {}),
        uefiBootManagers: [...new Set(managers)] as BootManagerGeneration[],
        ...(v['no-signature-check'] ? { skipSignatureCheck: true } : {}),
        bcd: {
          ...(blockSize !== undefined ? { tftpBlockSize: blockSize } : {}),
          ...(windowSize !== undefined ? { tftpWindowSize: windowSize } : {}),
        },
      });
    } catch (err) {
      if (err instanceof ToolkitIncompleteError || err instanceof InvalidBcdOptionError || err instanceof BootManagerSignatureError) throw new UsageError(err.message, 1);
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'ENOTDIR') throw new UsageError(e.message, 1);
      throw err;
    }
    if (v.wimboot !== undefined) {
      try {
        await copyFile(v.wimboot, join(v.out, 'wimboot'));
      } catch (err) {
        throw new UsageError(`--wimboot ${v.wimboot}: ${(err as Error).message}`, 1);
      }
      const bootmgr = plan.files.find((f) => f.kind === 'copy' && f.role === 'bootmgr.exe');
      await writeFile(join(v.out, 'wimboot.ipxe'), wimbootIpxeScript({
        wimbootPath: 'wimboot', bcdPath: plan.profile.bcdPath,
        ...(bootmgr ? { bootmgrPath: bootmgr.servedPath } : {}),
      }));
      console.log(`${'wimboot, wimboot.ipxe'.padEnd(28)} fast lane (iPXE + HTTP)`);
    }
    for (const f of plan.files) {
      console.log(`${f.servedPath.padEnd(28)} ${f.kind === 'copy' ? `from ${f.toolkitPath}` : `generated BCD (${f.firmware}, ${f.bytes.length} bytes)`}`);
    }
    if (plan.profile.uefiX64Files?.ca2023 !== undefined && plan.profile.uefiX64Files.pca2011 !== undefined) {
      console.log(`UEFI boot managers: PCA 2011 ${plan.profile.uefiX64Files.pca2011}, CA 2023 ${plan.profile.uefiX64Files.ca2023} (default: the first of --boot-managers)`);
    }
    console.log(`\nServe it with:\n  peerboot responder --interface IFACE ${responderFlagsFor(v.out, plan.profile)} --allow-mac MAC,...`);
    if (v.wimboot !== undefined) {
      console.log(`Fast lane: add --ipxe-script wimboot.ipxe --http-port 8080 (iPXE clients then load WinPE over HTTP;\n  firmware without iPXE needs an iPXE NBP such as undionly.kpxe / a signed iPXE as --bios/--uefi)`);
    }
    return 0;
  },
};
