/**
 * Package distribution per site: for each package the site's responders must hold, how many hold
 * it completely and how many of its chunks have arrived across them (agents report chunksHeld and
 * chunksTotal per package in their status).
 */
import type { Agent, PackageSummary, Site } from '../../../src/contract/schemas.js';

export interface PackageProgress {
  packageId: string;
  /** name@version, or the id when the package list does not have it (yet). */
  label: string;
  respondersReady: number;
  responders: number;
  chunksHeld: number;
  chunksTotal: number;
  /** 0..1: chunks held over chunks wanted, or ready responders over responders when sizes are unknown. */
  fraction: number;
}

export interface SiteProgress {
  siteId: string;
  name: string;
  responders: number;
  packages: PackageProgress[];
}

export function packageProgress(sites: ReadonlyArray<Pick<Site, 'id' | 'name'>>, agents: readonly Agent[], packages: readonly PackageSummary[]): SiteProgress[] {
  const labels = new Map(packages.map((p) => [p.id, `${p.name}@${p.version}`]));
  return sites.map((site) => {
    const responders = agents.filter((a) => a.siteId === site.id && a.role === 'responder');
    const byPackage = new Map<string, PackageProgress>();
    for (const a of responders) {
      for (const p of a.packages) {
        const row = byPackage.get(p.packageId) ?? { packageId: p.packageId, label: labels.get(p.packageId) ?? p.packageId, respondersReady: 0, responders: 0, chunksHeld: 0, chunksTotal: 0, fraction: 0 };
        row.responders += 1;
        if (p.ready) row.respondersReady += 1;
        const total = p.chunksTotal ?? 0;
        row.chunksTotal += total;
        row.chunksHeld += p.ready ? total : Math.min(p.chunksHeld ?? 0, total);
        byPackage.set(p.packageId, row);
      }
    }
    const rows = [...byPackage.values()].map((r) => ({ ...r, fraction: r.chunksTotal > 0 ? r.chunksHeld / r.chunksTotal : r.responders > 0 ? r.respondersReady / r.responders : 0 }));
    rows.sort((x, y) => x.label.localeCompare(y.label));
    return { siteId: site.id, name: site.name, responders: responders.length, packages: rows };
  });
}
