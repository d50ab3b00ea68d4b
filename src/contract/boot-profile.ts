/**
 * What each kind of boot profile needs on disk. Shared by the server (which refuses a package that
 * lacks a file its profile names) and the CLI (which names the missing file before uploading).
 * Defaults follow the toolkits admins have: Debian's `ipxe` package (/usr/lib/ipxe/undionly.kpxe,
 * ipxe.efi), a distribution kernel + initrd, and the PXE files of a Windows ADK/WinPE boot.wim
 * (Windows/Boot/PXE/pxeboot.n12, bootmgr.exe; Windows/Boot/EFI/bootmgfw.efi; boot.sdi; boot.wim).
 */
import type { BootProfile, BootProfileCreate, ProfileKind } from './schemas.js';

/** The stored shape of a profile's boot fields (everything but id, name, packageId, createdAt). */
export type ProfileSpec = Pick<BootProfile, 'files' | 'kernel' | 'initrd' | 'cmdline' | 'ipxeScript' | 'extraFiles'>;

/** The boot fields of a stored profile. */
export function specOf(p: BootProfile): ProfileSpec {
  return { files: p.files, kernel: p.kernel, initrd: p.initrd, cmdline: p.cmdline, ipxeScript: p.ipxeScript, extraFiles: p.extraFiles };
}

/** Defaults per kind: the names the toolkits ship under. */
export function profileDefaults(kind: ProfileKind): ProfileSpec {
  switch (kind) {
    case 'linux':
      return { files: { bios: 'undionly.kpxe', uefiX64: 'ipxe.efi', arm64: null }, kernel: 'vmlinuz', initrd: ['initrd.img'], cmdline: '', ipxeScript: null, extraFiles: [] };
    case 'ipxe':
      return { files: { bios: 'undionly.kpxe', uefiX64: 'ipxe.efi', arm64: null }, kernel: null, initrd: [], cmdline: '', ipxeScript: null, extraFiles: [] };
    case 'windows':
      // WDS layout: the BIOS NBP pxeboot.n12 chains bootmgr.exe; UEFI boots bootmgfw.efi directly;
      // both read \Boot\BCD (generated on the agent) which points at boot.sdi + boot.wim.
      return { files: { bios: 'pxeboot.n12', uefiX64: 'bootmgfw.efi', arm64: null }, kernel: null, initrd: [], cmdline: '', ipxeScript: null, extraFiles: ['bootmgr.exe', 'boot.sdi', 'boot.wim'] };
  }
}

/** Applies defaults to a create request: fields left out take the kind's default. */
export function profileSpecFromCreate(body: BootProfileCreate): ProfileSpec {
  const d = profileDefaults(body.kind);
  return {
    files: {
      bios: body.files?.bios !== undefined ? body.files.bios : d.files.bios,
      uefiX64: body.files?.uefiX64 !== undefined ? body.files.uefiX64 : d.files.uefiX64,
      arm64: body.files?.arm64 !== undefined ? body.files.arm64 : d.files.arm64,
    },
    kernel: body.kernel !== undefined ? body.kernel : d.kernel,
    initrd: body.initrd ?? d.initrd,
    cmdline: body.cmdline ?? d.cmdline,
    ipxeScript: body.ipxeScript !== undefined ? body.ipxeScript : d.ipxeScript,
    extraFiles: body.extraFiles ?? d.extraFiles,
  };
}

/** Every file path a package for this profile must contain, in a stable order, without duplicates. */
export function requiredFilesOf(spec: ProfileSpec): string[] {
  const paths = [spec.files.bios, spec.files.uefiX64, spec.files.arm64, spec.kernel, ...spec.initrd, ...spec.extraFiles];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of paths) {
    if (!p) continue;
    const key = p.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

/** Required paths missing from `present` (compared case-insensitively: TFTP clients vary case, see files/). */
export function missingFilesOf(spec: ProfileSpec, present: Iterable<string>): string[] {
  const have = new Set([...present].map((p) => p.toLowerCase()));
  return requiredFilesOf(spec).filter((p) => !have.has(p.toLowerCase()));
}
