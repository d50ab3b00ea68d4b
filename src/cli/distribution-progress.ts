/**
 * Per-site, per-package distribution progress from what the API already carries: every agent's
 * status report lists, per package, whether it is ready and how many chunks it holds
 * (`GET /api/v1/agents`: Agent.packages). Pure: the CLI (`peerboot distribution`) fetches and
 * renders; the same function can back a server endpoint or the console.
 */
import type { Agent, PackageSummary, Site } from '../contract/schemas.js';

export interface PackageDistribution {
  packageId: string;
  /** "name vN" when the package is known, else the id. */
  label: string;
  /** Agents of the site whose policy names the package. */
  agents: number;
  agentsReady: number;
  chunksHeld: number;
  /** chunksTotal × agents: every agent holding every chunk. */
  chunksWanted: number;
  /** 0..1 */
  fraction: number;
}

export interface SiteDistribution {
  siteId: string | null;
  siteName: string;
  agents: number;
  packages: PackageDistribution[];
}

/** Groups agents by site and sums their per-package readiness. Sites without agents are left out. */
export function summarizeDistribution(agents: readonly Agent[], sites: readonly Site[], packages: readonly PackageSummary[], filter: { siteId?: string; packageId?: string } = {}): SiteDistribution[] {
  const siteName = new Map(sites.map((s) => [s.id, s.name]));
  const label = new Map(packages.map((p) => [p.id, `${p.name} v${p.version}`]));
  const bySite = new Map<string | null, Agent[]>();
  for (const a of agents) {
    if (filter.siteId && a.siteId !== filter.siteId) continue;
    const list = bySite.get(a.siteId) ?? [];
    list.push(a);
    bySite.set(a.siteId, list);
  }
  const out: SiteDistribution[] = [];
  for (const [siteId, members] of bySite) {
    const perPackage = new Map<string, PackageDistribution>();
    for (const a of members) {
      for (const p of a.packages) {
        if (filter.packageId && p.packageId !== filter.packageId) continue;
        const d = perPackage.get(p.packageId) ?? { packageId: p.packageId, label: label.get(p.packageId) ?? p.packageId, agents: 0, agentsReady: 0, chunksHeld: 0, chunksWanted: 0, fraction: 0 };
        const total = p.chunksTotal ?? 0;
        d.agents++;
        if (p.ready) d.agentsReady++;
        d.chunksHeld += p.ready ? total : Math.min(total, p.chunksHeld ?? 0);
        d.chunksWanted += total;
        perPackage.set(p.packageId, d);
      }
    }
    const list = [...perPackage.values()].map((d) => ({
      ...d,
      // Without chunk counts (older agents), readiness alone is the measure.
      fraction: d.chunksWanted > 0 ? d.chunksHeld / d.chunksWanted : d.agents > 0 ? d.agentsReady / d.agents : 0,
    })).sort((x, y) => x.label.localeCompare(y.label));
    out.push({ siteId, siteName: siteId === null ? '(no site)' : siteName.get(siteId) ?? siteId, agents: members.length, packages: list });
  }
  return out.sort((x, y) => x.siteName.localeCompare(y.siteName));
}

/** One text line per package: a bar, the percentage, agents ready. */
export function renderDistribution(sites: readonly SiteDistribution[], width = 30): string {
  const lines: string[] = [];
  for (const s of sites) {
    lines.push(`${s.siteName} (${s.agents} agent${s.agents === 1 ? '' : 's'})`);
    if (s.packages.length === 0) lines.push('  no packages wanted');
    const labelWidth = Math.max(...s.packages.map((p) => p.label.length), 8);
    for (const p of s.packages) {
      const filled = Math.round(p.fraction * width);
      const pct = `${(p.fraction * 100).toFixed(1)}%`.padStart(6);
      lines.push(`  ${p.label.padEnd(labelWidth)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}  ready ${p.agentsReady}/${p.agents}`);
    }
  }
  return lines.join('\n');
}
