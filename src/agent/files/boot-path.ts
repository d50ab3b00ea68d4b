/**
 * Boot-path normalisation: the pure half of "no byte from outside the root, ever". Turns the path a
 * firmware asked for (TFTP filename or HTTP path, already percent-decoded) into path components, or
 * refuses it with a reason. Rules from docs/protocol-notes.md, "Boot file names and the boot root"
 * (tftp-hpa "PATH VALIDATION", dnsmasq --tftp-root/--tftp-lowercase) and
 * "Windows boot manager paths and option 252" (Windows boot manager sends `\Boot\x64\…` in any case).
 */

export type BootPathDecision =
  | { ok: true; components: string[] }
  | { ok: false; code: 'notFound' | 'accessViolation'; reason: string };

/** Longest request path we look at; anything longer is refused before any work. */
export const BOOT_PATH_LENGTH_MAX = 4096;
/** Longest single component (NAME_MAX on Linux, NTFS). */
export const BOOT_PATH_COMPONENT_LENGTH_MAX = 255;

// Windows reserved device names, with or without an extension (NUL.txt is still NUL).
const windowsDeviceName = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;
// Characters Windows forbids in names; `:` also covers drive letters and NTFS streams.
const forbiddenCharacter = /[:<>"|?*]/;
// NUL, C0 control characters and DEL: tftp-hpa and dnsmasq refuse them; they only serve to confuse logs.
// eslint-disable-next-line no-control-regex
const controlCharacter = /[\x00-\x1f\x7f]/;

const refuse = (reason: string): BootPathDecision => ({ ok: false, code: 'accessViolation', reason });

/**
 * Normalises `requestPath`:
 * - `\` becomes `/` (Windows NBPs and bootmgr send backslashes, see above);
 * - leading `/`, `./` prefixes, repeated `/` and `.` components are dropped (the root is the root);
 * - refused (accessViolation): control characters, `..`, drive letters and any `:`, `< > " | ? *`,
 *   Windows device names, over-long paths or components;
 * - an empty result (the root itself) is notFound.
 * Case is kept: BootRoot looks components up case-insensitively.
 */
export function normaliseBootPath(requestPath: string): BootPathDecision {
  if (requestPath.length > BOOT_PATH_LENGTH_MAX) return refuse(`path longer than ${BOOT_PATH_LENGTH_MAX} characters`);
  if (controlCharacter.test(requestPath)) return refuse('control character in path');
  const slashed = requestPath.replaceAll('\\', '/');
  if (/^[a-z]:/i.test(slashed)) return refuse('drive letter in path');
  const bad = forbiddenCharacter.exec(slashed);
  if (bad) return refuse(`character '${bad[0]}' not allowed in path`);
  const components: string[] = [];
  for (const component of slashed.split('/')) {
    if (component === '' || component === '.') continue;
    if (component === '..') return refuse("'..' in path");
    if (component.length > BOOT_PATH_COMPONENT_LENGTH_MAX) return refuse('path component too long');
    if (windowsDeviceName.test(component)) return refuse(`Windows device name '${component}' in path`);
    components.push(component);
  }
  if (components.length === 0) return { ok: false, code: 'notFound', reason: 'empty path (the root is a directory)' };
  return { ok: true, components };
}
