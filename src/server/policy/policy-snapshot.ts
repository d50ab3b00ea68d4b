/**
 * Everything policies are built from, read once per configuration revision: settings, sites,
 * collections (with member sets), profiles, deployments, machines with their winning deployment,
 * and signed manifests. Building 10,000 agents' policies then needs no further database reads.
 */
import type { SignedManifest } from '../../contract/manifest.js';
import type { BootProfile, Collection, Deployment, Machine, Site } from '../../contract/schemas.js';
import type { PxeSettingsRecord, Repository } from '../store/repository.js';
import { membershipOf } from './collection-membership.js';

export type IndexedCollection = Collection & { memberSet: Set<string> };

/** The deployment a known machine gets, and why it won. */
export interface MachineDeployment {
  deployment: Deployment;
  reason: string;
}

export interface PolicySnapshot {
  revision: number;
  settings: PxeSettingsRecord;
  sites: Map<string, Site>;
  collections: Map<string, IndexedCollection>;
  profiles: Map<string, BootProfile>;
  deployments: Deployment[];
  machines: Machine[];
  machineDeployments: Map<string, MachineDeployment>;
  packages: Map<string, SignedManifest>;
}

/**
 * Picks one deployment per machine when several target it: `required` beats `available`, then the
 * newest deployment wins (1E PXE Everywhere: "the last one wins"; ConfigMgr prefers the highest
 * deployment ID). Pure.
 */
export function resolveMachineDeployment(machine: Machine, deployments: Deployment[], collections: Map<string, IndexedCollection>): MachineDeployment | null {
  let best: Deployment | null = null;
  for (const d of deployments) {
    const c = collections.get(d.collectionId);
    if (!c || c.memberKind !== 'machine') continue;
    if (!membershipOf(c, { id: machine.id, name: machine.name, labels: machine.labels, addresses: [] })) continue;
    if (!best) { best = d; continue; }
    const rank = (x: Deployment) => (x.intent === 'required' ? 1 : 0);
    if (rank(d) > rank(best) || (rank(d) === rank(best) && (d.createdAt > best.createdAt || (d.createdAt === best.createdAt && d.id > best.id)))) best = d;
  }
  if (!best) return null;
  return { deployment: best, reason: `${best.intent} deployment ${best.id} via collection ${best.collectionId}` };
}

/** Reads a consistent snapshot (inside one transaction, so the revision matches the rows). */
export async function loadPolicySnapshot(repo: Repository): Promise<PolicySnapshot> {
  const revision = await repo.getRevision();
  const [settings, sites, collections, profiles, deployments, machines] = [
    await repo.getPxeSettings(), await repo.listSites(), await repo.listCollections(), await repo.listProfiles(),
    await repo.listDeployments(), await repo.listMachines(),
  ];
  const collectionMap = new Map(collections.map((c) => [c.id, { ...c, memberSet: new Set(c.members) }]));
  const machineDeployments = new Map<string, MachineDeployment>();
  for (const m of machines) {
    const md = resolveMachineDeployment(m, deployments, collectionMap);
    if (md) machineDeployments.set(m.id, md);
  }
  const packages = new Map<string, SignedManifest>();
  for (const p of profiles) {
    if (p.packageId && !packages.has(p.packageId)) {
      const doc = await repo.getPackage(p.packageId);
      if (doc) packages.set(p.packageId, doc);
    }
  }
  return {
    revision, settings, sites: new Map(sites.map((s) => [s.id, s])), collections: collectionMap,
    profiles: new Map(profiles.map((p) => [p.id, p])), deployments, machines, machineDeployments, packages,
  };
}
