/**
 * The Windows toolkit folder: which files a Windows boot profile needs, where they sit in the folder
 * layouts admins actually have, and where peerboot serves them
 * (docs/protocol-notes.md, "Windows boot manager paths and option 252").
 *
 * Layouts recognised (searched case-insensitively, in this order, optionally under an architecture
 * folder amd64/, x86/ or arm64/ as in the ADK's "Windows Preinstallation Environment" folder):
 *   - a ready TFTP root as Microsoft's "Configure a PXE server to load Windows PE" builds it:
 *     Boot\pxeboot.n12, Boot\bootmgr.exe, Boot\boot.sdi, Boot\Fonts\wgl4_boot.ttf, Boot\boot.wim …
 *   - `copype` output: media\Boot\boot.sdi, media\Boot\Fonts\wgl4_boot.ttf, media\sources\boot.wim,
 *     and the PXE programs from the mounted image: mount\Windows\Boot\PXE\*, mount\Windows\Boot\EFI\*
 *   - the image's own tree (WAIK/ADK): Windows\Boot\PXE\*, Windows\Boot\EFI\*, Windows\Boot\Fonts\*
 *   - the ADK: Media\Boot\…, en-us\winpe.wim
 * A file not at any of those places is still found when its name occurs exactly once in the tree.
 *
 * Pure except listToolkitTree (the one function that reads the disk).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { WindowsFirmware } from './bcd/ramdisk-bcd.js';

export type { WindowsFirmware };
export type WindowsArch = 'amd64' | 'x86' | 'arm64';

export type ToolkitRole =
  | 'pxeboot.n12' | 'pxeboot.com' | 'abortpxe.com' | 'bootmgr.exe' | 'bootmgfw.efi'
  | 'boot.sdi' | 'boot.wim' | 'wgl4_boot.ttf';

export interface ToolkitFileSpec {
  readonly role: ToolkitRole;
  /** Names the file may have (the first is the one shown to users). */
  readonly names: readonly string[];
  readonly purpose: string;
  readonly firmware: readonly WindowsFirmware[];
  /** When a profile needs it: always, or only when the named option is on. */
  readonly neededWhen: 'always' | 'f12Prompt' | 'abortPxe';
  /** Relative paths ('/'-separated) tried in order, case-insensitively. */
  readonly candidates: readonly string[];
  /** Where peerboot serves it (the path the Windows boot programs ask for; backslashes). */
  readonly servedPath: string;
}

/** Where bootmgr looks for the BCD when DHCP option 252 names none (docs/protocol-notes.md, "Windows boot manager paths and option 252"). */
export const DEFAULT_BCD_PATH = '\\Boot\\BCD';

const PXE_DIRS = ['Boot', 'Windows/Boot/PXE', 'mount/Windows/Boot/PXE', ''];
const EFI_DIRS = ['Boot', 'Boot/EFI', 'Windows/Boot/EFI', 'mount/Windows/Boot/EFI', ''];
const inDirs = (dirs: readonly string[], name: string) => dirs.map((d) => (d ? `${d}/${name}` : name));

/** Every file a Windows profile can use, with why. */
export const TOOLKIT_FILES: readonly ToolkitFileSpec[] = [
  {
    role: 'pxeboot.n12', names: ['pxeboot.n12'], firmware: ['bios'], neededWhen: 'always',
    purpose: 'BIOS network boot program that starts without a key press; loads bootmgr.exe from its own directory',
    candidates: inDirs(PXE_DIRS, 'pxeboot.n12'), servedPath: '\\Boot\\pxeboot.n12',
  },
  {
    role: 'pxeboot.com', names: ['pxeboot.com'], firmware: ['bios'], neededWhen: 'f12Prompt',
    purpose: 'BIOS network boot program that asks for F12 before booting',
    candidates: inDirs(PXE_DIRS, 'pxeboot.com'), servedPath: '\\Boot\\pxeboot.com',
  },
  {
    role: 'abortpxe.com', names: ['abortpxe.com'], firmware: ['bios'], neededWhen: 'abortPxe',
    purpose: 'BIOS program that ends network boot so the machine boots from its next device',
    candidates: inDirs(PXE_DIRS, 'abortpxe.com'), servedPath: '\\Boot\\abortpxe.com',
  },
  {
    role: 'bootmgr.exe', names: ['bootmgr.exe'], firmware: ['bios'], neededWhen: 'always',
    purpose: 'Windows Boot Manager for BIOS; reads the BCD',
    candidates: inDirs(PXE_DIRS, 'bootmgr.exe'), servedPath: '\\Boot\\bootmgr.exe',
  },
  {
    role: 'bootmgfw.efi', names: ['bootmgfw.efi'], firmware: ['uefi'], neededWhen: 'always',
    purpose: 'Windows Boot Manager for UEFI (Microsoft-signed, works with Secure Boot); reads the BCD',
    candidates: inDirs(EFI_DIRS, 'bootmgfw.efi'), servedPath: '\\Boot\\bootmgfw.efi',
  },
  {
    role: 'boot.sdi', names: ['boot.sdi'], firmware: ['bios', 'uefi'], neededWhen: 'always',
    purpose: 'System Deployment Image: the empty ramdisk the WIM is booted in (BCD ramdisksdipath)',
    candidates: ['Boot/boot.sdi', 'media/Boot/boot.sdi', 'Windows/Boot/DVD/PCAT/boot.sdi', 'boot.sdi'], servedPath: '\\Boot\\boot.sdi',
  },
  {
    role: 'boot.wim', names: ['boot.wim', 'winpe.wim'], firmware: ['bios', 'uefi'], neededWhen: 'always',
    purpose: 'the Windows PE image booted from the ramdisk (BCD device/osdevice ramdisk=[boot]…)',
    candidates: ['sources/boot.wim', 'media/sources/boot.wim', 'Boot/boot.wim', 'boot.wim', 'en-us/winpe.wim', 'winpe.wim'],
    servedPath: '\\sources\\boot.wim',
  },
  {
    role: 'wgl4_boot.ttf', names: ['wgl4_boot.ttf'], firmware: ['bios', 'uefi'], neededWhen: 'always',
    purpose: 'the boot manager font; without it bootmgr cannot draw its screens',
    candidates: ['Boot/Fonts/wgl4_boot.ttf', 'media/Boot/Fonts/wgl4_boot.ttf', 'Windows/Boot/Fonts/wgl4_boot.ttf',
      'mount/Windows/Boot/Fonts/wgl4_boot.ttf', 'Fonts/wgl4_boot.ttf', 'wgl4_boot.ttf'],
    servedPath: '\\Boot\\Fonts\\wgl4_boot.ttf',
  },
];

export interface ToolkitNeeds {
  firmware: WindowsFirmware;
  /** Serve pxeboot.com (press F12) instead of pxeboot.n12 as the BIOS program. */
  f12Prompt?: boolean;
  /** Send machines without a deployment to abortpxe.com (BIOS only). */
  abortPxe?: boolean;
  /** Look under this ADK architecture folder first. */
  arch?: WindowsArch;
}

/** The files a profile with these needs must have. */
export function requiredToolkitFiles(needs: ToolkitNeeds): ToolkitFileSpec[] {
  return TOOLKIT_FILES.filter((spec) => spec.firmware.includes(needs.firmware) && (
    spec.neededWhen === 'always'
    || (spec.neededWhen === 'f12Prompt' && needs.f12Prompt === true)
    || (spec.neededWhen === 'abortPxe' && needs.abortPxe === true)));
}

export interface LocatedToolkitFile {
  readonly spec: ToolkitFileSpec;
  /** Path inside the toolkit folder, '/'-separated, in the letter case it has on disk. */
  readonly path: string;
}

export interface ToolkitLookup {
  readonly found: ReadonlyMap<ToolkitRole, LocatedToolkitFile>;
  /** Names of needed files that are not in the tree (user-facing, e.g. "pxeboot.n12"). */
  readonly missing: readonly string[];
  /** Needed files whose name occurs several times outside the known places: which one is meant is unclear. */
  readonly ambiguous: readonly { name: string; paths: readonly string[] }[];
}

/** Case-insensitive lookup of a '/'- or '\'-separated relative path among the tree's files. */
export function findInTree(treePaths: readonly string[], relativePath: string): string | null {
  const want = normalise(relativePath);
  return treePaths.find((p) => normalise(p) === want) ?? null;
}

/**
 * Finds the files a profile needs in a toolkit tree (relative file paths, as listToolkitTree gives).
 * Optional files that happen to be present (pxeboot.com, abortpxe.com) are reported in `found` too.
 */
export function locateToolkitFiles(treePaths: readonly string[], needs: ToolkitNeeds): ToolkitLookup {
  const index = new Map<string, string>();
  for (const p of treePaths) if (!index.has(normalise(p))) index.set(normalise(p), p);
  const required = new Set(requiredToolkitFiles(needs).map((s) => s.role));
  const found = new Map<ToolkitRole, LocatedToolkitFile>();
  const missing: string[] = [];
  const ambiguous: { name: string; paths: string[] }[] = [];

  for (const spec of TOOLKIT_FILES.filter((s) => s.firmware.includes(needs.firmware))) {
    const prefixes = needs.arch ? [`${needs.arch}/`, ''] : [''];
    let path: string | null = null;
    for (const prefix of prefixes) {
      for (const candidate of spec.candidates) {
        path = index.get(normalise(prefix + candidate)) ?? null;
        if (path) break;
      }
      if (path) break;
    }
    if (!path) {
      const names = new Set(spec.names.map((n) => n.toLowerCase()));
      const byName = [...index.entries()].filter(([key]) => names.has(key.slice(key.lastIndexOf('/') + 1))).map(([, p]) => p);
      const inArch = needs.arch ? byName.filter((p) => normalise(p).startsWith(`${needs.arch}/`)) : byName;
      const pool = inArch.length > 0 ? inArch : byName;
      if (pool.length === 1) path = pool[0]!;
      else if (pool.length > 1 && required.has(spec.role)) ambiguous.push({ name: spec.names[0]!, paths: pool.sort() });
    }
    if (path) found.set(spec.role, { spec, path });
    else if (required.has(spec.role) && !ambiguous.some((a) => a.name === spec.names[0])) missing.push(spec.names[0]!);
  }
  return { found, missing, ambiguous };
}

/** Thrown when a toolkit folder lacks needed files; the message lists them and where they were looked for. */
export class ToolkitIncompleteError extends Error {
  readonly code = 'PEERBOOT_ERR_TOOLKIT_INCOMPLETE';
  constructor(readonly folder: string, readonly firmware: WindowsFirmware, readonly lookup: ToolkitLookup) {
    const parts: string[] = [];
    if (lookup.missing.length > 0) parts.push(`missing ${lookup.missing.join(', ')}`);
    for (const a of lookup.ambiguous) parts.push(`${a.name} found ${a.paths.length} times (${a.paths.join(', ')}; keep one or set the architecture)`);
    super(`toolkit folder ${folder} cannot make a ${firmware} Windows profile: ${parts.join('; ')} `
      + '(put them under Boot\\ as in Microsoft\'s PXE layout, e.g. Boot\\pxeboot.n12, Boot\\Fonts\\wgl4_boot.ttf, sources\\boot.wim)');
    this.name = 'ToolkitIncompleteError';
  }
}

/** locateToolkitFiles, refusing an incomplete or ambiguous tree with ToolkitIncompleteError. */
export function requireToolkitFiles(folder: string, treePaths: readonly string[], needs: ToolkitNeeds): ReadonlyMap<ToolkitRole, LocatedToolkitFile> {
  const lookup = locateToolkitFiles(treePaths, needs);
  if (lookup.missing.length > 0 || lookup.ambiguous.length > 0) throw new ToolkitIncompleteError(folder, needs.firmware, lookup);
  return lookup.found;
}

/** Limits on listing a toolkit folder (an ADK tree has a few thousand files). */
export const TOOLKIT_TREE_FILES_MAX = 50_000;
export const TOOLKIT_TREE_DEPTH_MAX = 16;

/**
 * Lists the regular files under `root` as '/'-separated relative paths, sorted. Follows symlinks to
 * files but never into directories (no loops). Refuses trees over the limits above.
 */
export async function listToolkitTree(root: string): Promise<string[]> {
  const rootStat = await stat(root);
  if (!rootStat.isDirectory()) throw new Error(`toolkit folder ${root} is not a directory`);
  const out: string[] = [];
  const walk = async (dir: string, relative: string, depth: number): Promise<void> => {
    if (depth > TOOLKIT_TREE_DEPTH_MAX) throw new Error(`toolkit folder ${root} nests deeper than ${TOOLKIT_TREE_DEPTH_MAX} levels at ${relative}`);
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(full, path, depth + 1);
      } else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(full).catch(() => null))?.isFile() === true)) {
        out.push(path);
        if (out.length > TOOLKIT_TREE_FILES_MAX) throw new Error(`toolkit folder ${root} has more than ${TOOLKIT_TREE_FILES_MAX} files; point at the folder that holds the boot files`);
      }
    }
  };
  await walk(root, '', 0);
  return out.sort();
}

function normalise(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\/+/, '').replace(/\/+/g, '/').toLowerCase();
}
