/**
 * A Windows boot root: the toolkit's files copied to the paths the Windows boot programs ask for
 * (toolkit.ts `servedPath`, backslashes → directories), plus the BCD store peerboot generates
 * (ramdisk-bcd.ts; self-checked with readBcdStore before it is written), and the values the
 * responder needs: the NBP per firmware and the BCD path for DHCP option 252 (protocol-reference §5).
 *
 * One BCD per firmware, because the OS loader differs (winload.exe for BIOS, winload.efi for UEFI):
 *   BIOS  \Boot\BCD       bootmgr's default path, so BIOS also boots where option 252 is lost
 *   UEFI  \Boot\EFI\BCD   named to bootmgfw.efi by option 252
 *
 * `planWindowsBootRoot` is pure (tree listing in, plan out); `writeWindowsBootRoot` does the I/O.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildRamdiskBcd, type RamdiskBcdOptions, type WindowsFirmware } from './bcd/ramdisk-bcd.js';
import { listToolkitTree, requireToolkitFiles, type ToolkitNeeds, type ToolkitRole, type WindowsArch } from './toolkit.js';

/** Where each firmware's generated BCD is served. */
export const WINDOWS_BCD_PATHS: Readonly<Record<WindowsFirmware, string>> = {
  bios: '\\Boot\\BCD',
  uefi: '\\Boot\\EFI\\BCD',
};

/** BCD settings the admin may choose (paths come from the toolkit layout). */
export type WindowsBcdSettings = Omit<RamdiskBcdOptions, 'firmware' | 'wimPath' | 'sdiPath'>;

export interface WindowsBootRootRequest {
  /** Firmware to serve; a BIOS+UEFI root holds both NBPs and both BCDs. */
  firmware: readonly WindowsFirmware[];
  f12Prompt?: boolean;
  abortPxe?: boolean;
  arch?: WindowsArch;
  bcd?: WindowsBcdSettings;
}

/** One file of the plan: copied from the toolkit, or generated. */
export type WindowsBootRootFile =
  | { servedPath: string; kind: 'copy'; toolkitPath: string; role: ToolkitRole }
  | { servedPath: string; kind: 'bcd'; firmware: WindowsFirmware; bytes: Uint8Array };

/** What the responder is configured with for this root. */
export interface WindowsBootProfile {
  /** BIOS NBP (\Boot\pxeboot.n12, or pxeboot.com with f12Prompt), as sent in `file`. */
  biosFile?: string;
  /** UEFI x64 NBP (\Boot\bootmgfw.efi). */
  uefiX64File?: string;
  /** abortpxe.com for BIOS machines without a deployment (when abortPxe). */
  biosNoDeploymentFile?: string;
  /** Option 252 per firmware. */
  bcdPath: Partial<Record<WindowsFirmware, string>>;
}

export interface WindowsBootRootPlan {
  files: WindowsBootRootFile[];
  profile: WindowsBootProfile;
}

/** Path inside the root directory for a served backslash path (`\Boot\BCD` → `Boot/BCD`). */
export function rootRelativePath(servedPath: string): string {
  return servedPath.replace(/\\/g, '/').replace(/^\/+/, '');
}

/**
 * Plans the root from a toolkit listing. Throws ToolkitIncompleteError naming every missing file
 * (for each firmware asked for), and InvalidBcdOptionError for BCD settings bootmgr cannot use.
 */
export function planWindowsBootRoot(folder: string, treePaths: readonly string[], request: WindowsBootRootRequest): WindowsBootRootPlan {
  if (request.firmware.length === 0) throw new Error('a Windows boot root needs at least one firmware (bios or uefi)');
  const files = new Map<string, WindowsBootRootFile>();
  const profile: WindowsBootProfile = { bcdPath: {} };
  for (const firmware of request.firmware) {
    const needs: ToolkitNeeds = {
      firmware,
      ...(request.f12Prompt !== undefined ? { f12Prompt: request.f12Prompt } : {}),
      ...(request.abortPxe !== undefined ? { abortPxe: request.abortPxe } : {}),
      ...(request.arch !== undefined ? { arch: request.arch } : {}),
    };
    const found = requireToolkitFiles(folder, treePaths, needs);
    for (const [role, located] of found) {
      // Optional files that merely happen to exist are not served unless asked for.
      if (role === 'pxeboot.com' && request.f12Prompt !== true) continue;
      if (role === 'abortpxe.com' && request.abortPxe !== true) continue;
      files.set(located.spec.servedPath.toLowerCase(), { servedPath: located.spec.servedPath, kind: 'copy', toolkitPath: located.path, role });
    }
    const served = (role: ToolkitRole) => found.get(role)?.spec.servedPath;
    const bcdPath = WINDOWS_BCD_PATHS[firmware];
    const bytes = buildRamdiskBcd({
      ...request.bcd,
      firmware,
      wimPath: served('boot.wim')!,
      sdiPath: served('boot.sdi')!,
    });
    files.set(bcdPath.toLowerCase(), { servedPath: bcdPath, kind: 'bcd', firmware, bytes });
    profile.bcdPath[firmware] = bcdPath;
    if (firmware === 'bios') {
      profile.biosFile = served(request.f12Prompt === true ? 'pxeboot.com' : 'pxeboot.n12')!;
      if (request.abortPxe === true) profile.biosNoDeploymentFile = served('abortpxe.com')!;
    } else {
      profile.uefiX64File = served('bootmgfw.efi')!;
    }
  }
  return { files: [...files.values()].sort((a, b) => a.servedPath.localeCompare(b.servedPath)), profile };
}

/** Lists the toolkit folder, plans, and writes the root under `outDir`; returns the plan. */
export async function writeWindowsBootRoot(toolkitFolder: string, outDir: string, request: WindowsBootRootRequest): Promise<WindowsBootRootPlan> {
  const plan = planWindowsBootRoot(toolkitFolder, await listToolkitTree(toolkitFolder), request);
  for (const file of plan.files) {
    const target = join(outDir, rootRelativePath(file.servedPath));
    await mkdir(dirname(target), { recursive: true });
    if (file.kind === 'copy') await copyFile(join(toolkitFolder, file.toolkitPath), target);
    else await writeFile(target, file.bytes);
  }
  return plan;
}
