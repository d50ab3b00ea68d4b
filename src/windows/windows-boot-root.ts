/**
 * A Windows boot root: the toolkit's files copied to the paths the Windows boot programs ask for
 * (toolkit.ts `servedPath`, backslashes → directories), plus the BCD store peerboot generates
 * (ramdisk-bcd.ts; self-checked with readBcdStore before it is written), and the values the
 * responder needs: the NBP per firmware and the BCD path for DHCP option 252 (docs/protocol-notes.md,
 * "Windows boot manager paths and option 252").
 *
 * One BCD per firmware, because the OS loader differs (winload.exe for BIOS, winload.efi for UEFI):
 *   BIOS  \Boot\BCD       bootmgr's default path, so BIOS also boots where option 252 is lost
 *   UEFI  \Boot\EFI\BCD   named to bootmgfw.efi by option 252
 *
 * `planWindowsBootRoot` is pure (tree listing in, plan out); `writeWindowsBootRoot` does the I/O.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildRamdiskBcd, type RamdiskBcdOptions, type WindowsFirmware } from './bcd/ramdisk-bcd.js';
import { bootManagerGenerations, NotPeImageError, type BootManagerGeneration } from './boot-manager-signature.js';
import { findInTree, listToolkitTree, requireToolkitFiles, ToolkitIncompleteError, type ToolkitNeeds, type ToolkitRole, type WindowsArch } from './toolkit.js';

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
  /**
   * UEFI boot managers to import (default ['pca2011']): 'pca2011' is the classic bootmgfw.efi
   * (Microsoft Windows Production PCA 2011), 'ca2023' the ADK's EFI_EX\bootmgfw_EX.efi (Windows
   * UEFI CA 2023), for machines whose db trusts only the new CA. The first is the default NBP;
   * a deployment picks the other through WindowsBootProfile.uefiX64Files.
   */
  uefiBootManagers?: readonly BootManagerGeneration[];
  /** Skip the Authenticode CA check of imported boot managers (labs with placeholder files). */
  skipSignatureCheck?: boolean;
}

/** Where the 2023-signed boot manager sits in ADK layouts, and where it is served. */
const EFI_EX_CANDIDATES = ['Boot/EFI_EX/bootmgfw_EX.efi', 'Windows/Boot/EFI_EX/bootmgfw_EX.efi', 'mount/Windows/Boot/EFI_EX/bootmgfw_EX.efi', 'EFI_EX/bootmgfw_EX.efi', 'bootmgfw_EX.efi'];
export const CA2023_BOOT_MANAGER_PATH = '\\Boot\\EFI_EX\\bootmgfw.efi';

/** One file of the plan: copied from the toolkit, or generated. */
export type WindowsBootRootFile =
  | { servedPath: string; kind: 'copy'; toolkitPath: string; role: ToolkitRole; generation?: BootManagerGeneration }
  | { servedPath: string; kind: 'bcd'; firmware: WindowsFirmware; bytes: Uint8Array };

/** What the responder is configured with for this root. */
export interface WindowsBootProfile {
  /** BIOS NBP (\Boot\pxeboot.n12, or pxeboot.com with f12Prompt), as sent in `file`. */
  biosFile?: string;
  /** UEFI x64 NBP (\Boot\bootmgfw.efi): the first of uefiBootManagers. */
  uefiX64File?: string;
  /** Every imported UEFI boot manager by signing generation, for per-deployment choice. */
  uefiX64Files?: Partial<Record<BootManagerGeneration, string>>;
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
      const generations = request.uefiBootManagers ?? ['pca2011'];
      if (generations.length === 0) throw new Error('uefiBootManagers must name pca2011 and/or ca2023');
      profile.uefiX64Files = {};
      for (const generation of generations) {
        if (generation === 'pca2011') {
          profile.uefiX64Files.pca2011 = served('bootmgfw.efi')!;
          const copy = files.get(served('bootmgfw.efi')!.toLowerCase());
          if (copy?.kind === 'copy') copy.generation = 'pca2011';
          continue;
        }
        const prefixes = request.arch ? [`${request.arch}/`, ''] : [''];
        const path = prefixes.flatMap((p) => EFI_EX_CANDIDATES.map((c) => p + c)).map((c) => findInTree(treePaths, c)).find((p) => p !== null);
        if (!path) {
          throw new ToolkitIncompleteError(folder, 'uefi', { found: new Map(), missing: ['bootmgfw_EX.efi (Windows UEFI CA 2023 boot manager, ADK folder EFI_EX)'], ambiguous: [] });
        }
        files.set(CA2023_BOOT_MANAGER_PATH.toLowerCase(), { servedPath: CA2023_BOOT_MANAGER_PATH, kind: 'copy', toolkitPath: path, role: 'bootmgfw.efi', generation: 'ca2023' });
        profile.uefiX64Files.ca2023 = CA2023_BOOT_MANAGER_PATH;
      }
      if (!generations.includes('pca2011')) files.delete(served('bootmgfw.efi')!.toLowerCase());
      profile.uefiX64File = profile.uefiX64Files[generations[0]!]!;
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
    if (file.kind === 'copy') {
      if (file.generation !== undefined && request.skipSignatureCheck !== true) {
        await checkBootManagerSignature(join(toolkitFolder, file.toolkitPath), file.toolkitPath, file.generation);
      }
      await copyFile(join(toolkitFolder, file.toolkitPath), target);
    } else {
      await writeFile(target, file.bytes);
    }
  }
  return plan;
}

const CA_NAMES: Record<BootManagerGeneration, string> = {
  pca2011: 'Microsoft Windows Production PCA 2011',
  ca2023: 'Windows UEFI CA 2023',
};

/** Thrown when an imported boot manager is not signed for the generation it is imported as. */
export class BootManagerSignatureError extends Error {
  readonly code = 'PEERBOOT_ERR_BOOT_MANAGER_SIGNATURE';
  constructor(message: string) {
    super(message);
    this.name = 'BootManagerSignatureError';
  }
}

/** Refuses a boot manager whose Authenticode signatures do not name the expected CA. */
async function checkBootManagerSignature(fullPath: string, shownPath: string, expected: BootManagerGeneration): Promise<void> {
  let found: BootManagerGeneration[];
  try {
    found = bootManagerGenerations(await readFile(fullPath));
  } catch (err) {
    if (err instanceof NotPeImageError) throw new BootManagerSignatureError(`${shownPath} is ${err.message}; copy the real boot manager from the ADK or the mounted boot.wim`);
    throw err;
  }
  if (!found.includes(expected)) {
    throw new BootManagerSignatureError(`${shownPath} is not signed by ${CA_NAMES[expected]} (${found.length > 0 ? `found ${found.map((g) => CA_NAMES[g]).join(', ')}` : 'no Windows boot manager signature'}); `
      + (expected === 'ca2023' ? 'take bootmgfw_EX.efi from an ADK of 2023 or later' : 'take bootmgfw.efi from the ADK or the mounted boot.wim'));
  }
}
