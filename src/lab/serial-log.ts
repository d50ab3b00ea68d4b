/**
 * Reading a VM's serial console log (QEMU `-serial file:`). Pure text functions. SeaBIOS "sercon"
 * and iPXE draw on COM1 with ANSI escape sequences and carriage returns (docs/lab-notes.md, "The
 * BIOS console reaches the serial port only through sercon"), so the raw log is cleaned before
 * anything is matched against it.
 */

/** The initramfs `/init` prints this, then powers off (src/lab/initramfs.ts). */
export const BOOTED_MARKER = 'PEERBOOT-BOOTED';

/** Fields of the marker line `PEERBOOT-BOOTED arch=… uptime=… bootif=… via=…`. */
export interface BootedMarker {
  /** iPXE's ${platform} (pcbios/efi) as passed on the kernel command line, or 'unknown'. */
  arch: string;
  /** Guest uptime in seconds when /init ran (kernel start to /init). */
  uptimeSec: number;
  /** BOOTIF= from the kernel command line (01-<mac>), or 'none'. */
  bootif: string;
  /** peerboot.via= from the kernel command line: the URL of the script that booted it. */
  via: string;
  line: string;
}

// CSI sequences (ESC [ … final byte), two-byte ESC sequences (charset selection, ESC c, ESC 7 …),
// and OSC strings ended by BEL or ESC \.
// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[@-_]/g;

/** The log as plain text: escape sequences removed, CR/CRLF turned into LF, other controls dropped. */
export function cleanSerialText(raw: string): string {
  return raw
    .replace(ANSI, '')
    .replace(/\r\n/g, '\n')
    .replace(/\r/g, '\n')
    // eslint-disable-next-line no-control-regex -- dropping control characters is the point
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

/** The first match of `pattern` in the cleaned log, with the whole line it sits on. */
export function findInSerial(clean: string, pattern: RegExp): { match: RegExpExecArray; line: string } | null {
  const re = new RegExp(pattern.source, pattern.flags.replace('g', ''));
  const match = re.exec(clean);
  if (!match) return null;
  const start = clean.lastIndexOf('\n', match.index) + 1;
  const endNl = clean.indexOf('\n', match.index);
  const line = clean.slice(start, endNl === -1 ? clean.length : endNl);
  return { match, line };
}

/** Parses the marker line, or null when `line` holds none. */
export function parseBootedMarker(line: string): BootedMarker | null {
  const at = line.indexOf(BOOTED_MARKER);
  if (at === -1) return null;
  const rest = line.slice(at + BOOTED_MARKER.length);
  const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(rest)?.[1];
  const uptime = Number(field('uptime'));
  return {
    arch: field('arch') || 'unknown',
    uptimeSec: Number.isFinite(uptime) ? uptime : NaN,
    bootif: field('bootif') || 'none',
    via: field('via') || 'unknown',
    line: line.slice(at).trim(),
  };
}

/** The last `count` non-empty lines, for error messages. */
export function tailLines(clean: string, count: number): string[] {
  return clean.split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0).slice(-count);
}
