/**
 * `peerboot admin site …` as pure functions: the WAN flags of `set-wan` turned into the API's
 * SiteWanPatch (Mbit/s on the command line, bytes/s in the API: 1 Mbit/s = 125000 bytes/s), a site
 * found by name or id, and the site table.
 */
import type { Static } from '@sinclair/typebox';
import { maxWanCapBytesPerSecond, minWanCapBytesPerSecond, type Site, type SiteWan, type SiteWanPatch } from '../contract/schemas.js';
import { UsageError } from './command.js';
import { parseDecimalFlag } from './options.js';

export const bytesPerMbit = 125_000;

export interface SetWanFlags {
  capMbit?: string;
  noCap?: boolean;
  adaptive?: boolean;
  noAdaptive?: boolean;
}

/** The patch for `set-wan`'s flags, or a UsageError saying which flags to give. */
export function wanPatchOfFlags(f: SetWanFlags): Static<typeof SiteWanPatch> {
  if (f.capMbit !== undefined && f.noCap) throw new UsageError('--cap-mbit and --no-cap contradict each other: give one');
  if (f.adaptive && f.noAdaptive) throw new UsageError('--adaptive and --no-adaptive contradict each other: give one');
  const patch: Static<typeof SiteWanPatch> = {};
  if (f.capMbit !== undefined) {
    const minMbit = minWanCapBytesPerSecond / bytesPerMbit;
    const maxMbit = maxWanCapBytesPerSecond / bytesPerMbit;
    const mbit = parseDecimalFlag('--cap-mbit', f.capMbit, { min: minMbit, max: maxMbit, noun: 'rate in Mbit/s', hint: '(or --no-cap)' });
    patch.capBytesPerSecond = Math.round(mbit * bytesPerMbit);
  }
  if (f.noCap) patch.capBytesPerSecond = null;
  if (f.adaptive) patch.adaptive = true;
  if (f.noAdaptive) patch.adaptive = false;
  if (Object.keys(patch).length === 0) throw new UsageError('set-wan needs --cap-mbit N, --no-cap, --adaptive or --no-adaptive');
  return patch;
}

/** The site named `ref` (exact name first, then id), or a UsageError listing what exists. */
export function findSite(sites: readonly Site[], ref: string): Site {
  const byName = sites.filter((s) => s.name === ref);
  if (byName.length === 1) return byName[0]!;
  const byId = sites.find((s) => s.id === ref);
  if (byId) return byId;
  const known = sites.map((s) => s.name).join(', ') || 'none';
  throw new UsageError(`no site named or with id '${ref}' (sites: ${known}; see peerboot admin site list)`);
}

/** "20 Mbit/s", "0.5 Mbit/s", "no cap". */
export function formatWanCap(capBytesPerSecond: number | null): string {
  if (capBytesPerSecond === null) return 'no cap';
  const mbit = capBytesPerSecond / bytesPerMbit;
  return `${Number.isInteger(mbit) ? mbit : Number(mbit.toFixed(3))} Mbit/s`;
}

export function describeWan(wan: SiteWan): string {
  return `WAN cap ${formatWanCap(wan.capBytesPerSecond)}, adaptive ${wan.adaptive ? 'on' : 'off'}`;
}

/** The `site list` table: name, subnets, WAN cap, adaptive; columns padded to the widest cell. */
export function renderSiteTable(sites: readonly Site[]): string {
  const rows = [['NAME', 'SUBNETS', 'WAN CAP', 'ADAPTIVE'], ...sites.map((s) => [
    s.name, s.subnets.join(',') || '-', formatWanCap(s.wan.capBytesPerSecond), s.wan.adaptive ? 'yes' : 'no',
  ])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}
