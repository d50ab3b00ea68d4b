/**
 * The WinPE fast lane (bootmgr's TFTP is slow for a boot.wim of hundreds of MB; HTTP is not): an
 * iPXE script that boots a Windows boot root through wimboot over HTTP instead of bootmgr over TFTP
 * (docs/protocol-notes.md, "WinPE through wimboot": kernel wimboot, then the files bootmgr
 * (optional), BCD, boot.sdi and boot.wim as initrds under those names, then boot; one script for
 * BIOS and UEFI). wimboot is not in Debian, so it is offered only when the admin supplies it
 * (a file in the boot root). Pure: options in, script text out.
 *
 * The BCD is chosen by iPXE's ${platform} (efi / pcbios) from the per-firmware BCDs that
 * windows-boot-root.ts writes. Every file is fetched with an absolute http:// URL built from the
 * served backslash path, so the script works wherever iPXE fetched it from.
 */
import { DEFAULT_SDI_PATH, DEFAULT_WIM_PATH, type WindowsFirmware } from './bcd/ramdisk-bcd.js';

export interface WimbootScriptOptions {
  /**
   * `http://IP:PORT` of the peer's HTTP boot server (no trailing path). Absent: relative URLs, which
   * iPXE resolves against the script's own URL (over HTTP when the responder offered it so).
   */
  httpBase?: string;
  /** wimboot's path in the boot root (admin-supplied). */
  wimbootPath: string;
  /** BCD per firmware (WindowsBootProfile.bcdPath); at least one. */
  bcdPath: Partial<Record<WindowsFirmware, string>>;
  sdiPath?: string;
  wimPath?: string;
  /** The font, so bootmgr can draw its screens. Default \Boot\Fonts\wgl4_boot.ttf. */
  fontPath?: string;
  /** BIOS bootmgr (bootmgr.exe); wimboot can also take it from the WIM, so optional. */
  bootmgrPath?: string;
  /** wimboot's `gui` argument: keep bootmgr's graphical output. */
  gui?: boolean;
}

/** Thrown for options that would give a script iPXE cannot run; names the fix. */
export class InvalidWimbootOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWimbootOptionError';
  }
}

/** `\Boot\BCD` → `/Boot/BCD`, each segment URL-encoded (no `..`, no control characters). */
export function servedPathToUrlPath(path: string): string {
  const parts = path.replace(/\\/g, '/').split('/').filter((p) => p.length > 0);
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (parts.length === 0 || parts.some((p) => p === '..' || p === '.' || /[\x00-\x1f\x7f]/.test(p))) {
    throw new InvalidWimbootOptionError(`${JSON.stringify(path)} is not a file path in the boot root`);
  }
  return `/${parts.map(encodeURIComponent).join('/')}`;
}

/** The iPXE script. */
export function wimbootIpxeScript(o: WimbootScriptOptions): string {
  if (o.httpBase !== undefined && !/^https?:\/\/[^/\s]+$/.test(o.httpBase)) {
    throw new InvalidWimbootOptionError(`httpBase must be http://HOST:PORT without a path, got ${JSON.stringify(o.httpBase)}`);
  }
  const url = (path: string) => o.httpBase === undefined ? servedPathToUrlPath(path).slice(1) : `${o.httpBase}${servedPathToUrlPath(path)}`;
  const { bios, uefi } = o.bcdPath;
  if (bios === undefined && uefi === undefined) throw new InvalidWimbootOptionError('wimboot needs a BCD: give bcdPath.bios and/or bcdPath.uefi');
  const lines = ['#!ipxe', 'echo peerboot: Windows PE through wimboot over HTTP'];
  // Pick the BCD by firmware; a firmware without one stops with a message (never the other's BCD:
  // its loader, winload.exe vs winload.efi, cannot run there).
  lines.push(`iseq \${platform} efi && goto efi || goto pcbios`);
  for (const [label, path] of [['efi', uefi], ['pcbios', bios]] as const) {
    lines.push(`:${label}`);
    if (path === undefined) lines.push(`echo peerboot: no ${label === 'efi' ? 'UEFI' : 'BIOS'} BCD in this profile`, 'exit 1');
    else lines.push(`set peerboot-bcd ${url(path)}`, 'goto load');
  }
  lines.push(':load', `kernel ${url(o.wimbootPath)}${o.gui === true ? ' gui' : ''} || goto failed`);
  if (o.bootmgrPath !== undefined) lines.push(`iseq \${platform} pcbios && initrd ${url(o.bootmgrPath)} bootmgr.exe ||`);
  lines.push(
    'initrd ${peerboot-bcd} BCD || goto failed',
    `initrd ${url(o.fontPath ?? '\\Boot\\Fonts\\wgl4_boot.ttf')} wgl4_boot.ttf || goto failed`,
    `initrd ${url(o.sdiPath ?? DEFAULT_SDI_PATH)} boot.sdi || goto failed`,
    `initrd ${url(o.wimPath ?? DEFAULT_WIM_PATH)} boot.wim || goto failed`,
    'boot || goto failed',
    ':failed',
    'echo peerboot: wimboot boot failed',
    'exit 1',
    '',
  );
  return lines.join('\n');
}
