/**
 * Decides each agent's role and builds the policy document for a (site, role) pair. Pure: a
 * snapshot and an agent in, values with reasons out. Agents of one site with the same role get the
 * same document, so the server signs once per (site, role, revision), not once per agent.
 */
import type { AgentPolicy, PolicyMachine, PolicyProfile } from '../../contract/policy.js';
import { defaultSiteWan, type AgentRole } from '../../contract/schemas.js';
import { agentFacts, membershipOf } from './collection-membership.js';
import type { PolicySnapshot } from './policy-snapshot.js';

export type RoleReason = 'disabled' | 'noSite' | 'notTargeted' | 'targeted';

export interface RoleDecision {
  role: AgentRole;
  /** Coarse reason carried in the policy document. */
  reason: RoleReason;
  /** Fine reason for the console: which collection and how. */
  detail: string;
}

export interface AgentFactsForRole {
  id: string;
  hostname: string;
  siteId: string | null;
  labels: Record<string, string>;
  interfaces: Array<{ name: string; mac: string; addresses: string[] }>;
}

/** Is this agent a responder? Only when PXE is enabled, it has a site, and a target agent collection holds it. */
export function decideAgentRole(agent: AgentFactsForRole, snap: PolicySnapshot): RoleDecision {
  if (!snap.settings.enabled) return { role: 'idle', reason: 'disabled', detail: 'P2P PXE is disabled' };
  if (!agent.siteId || !snap.sites.has(agent.siteId)) return { role: 'idle', reason: 'noSite', detail: 'agent has no site yet (no status report with an address)' };
  const facts = agentFacts(agent);
  for (const id of snap.settings.targetCollectionIds) {
    const c = snap.collections.get(id);
    if (!c || c.memberKind !== 'agent') continue;
    const how = membershipOf(c, facts);
    if (how) return { role: 'responder', reason: 'targeted', detail: `member of collection ${c.name} (${how})` };
  }
  return { role: 'idle', reason: 'notTargeted', detail: 'not in any target collection' };
}

function policyProfileOf(p: PolicySnapshot['profiles'] extends Map<string, infer P> ? P : never): PolicyProfile {
  return {
    id: p.id, name: p.name, kind: p.kind, files: p.files, kernel: p.kernel, initrd: p.initrd, cmdline: p.cmdline,
    ipxeScript: p.ipxeScript, extraFiles: p.extraFiles, packageId: p.packageId,
  };
}

/**
 * The policy for agents of `siteId` with `decision`. Idle agents get settings only (nothing to hold,
 * nothing to serve); responders get the site's known machines, the profiles those machines and
 * unknown computers boot, the toolkit profile, and those profiles' package manifests.
 */
export function buildSitePolicy(snap: PolicySnapshot, siteId: string | null, decision: Pick<RoleDecision, 'role' | 'reason'>, issuedAt: string): AgentPolicy {
  const site = siteId ? snap.sites.get(siteId) ?? null : null;
  const s = snap.settings;
  const policy: AgentPolicy = {
    schemaVersion: 1,
    serial: snap.revision,
    issuedAt,
    // Always filled (AgentPolicy keeps it optional only for policies cached by older versions);
    // an agent with no site fetches with the default (no cap, adaptive on).
    site: { id: site?.id ?? null, name: site?.name ?? null, subnets: site?.subnets ?? [], wan: { ...(site?.wan ?? defaultSiteWan) } },
    role: decision.role,
    roleReason: decision.reason,
    settings: {
      enabled: s.enabled,
      unknownComputers: { enabled: s.unknownComputers.enabled, profileId: s.unknownComputers.profileId },
      toolkitProfileId: s.toolkitProfileId,
    },
    profiles: [],
    machines: [],
    packages: [],
  };
  if (decision.role !== 'responder') return policy;

  const profileIds = new Set<string>();
  const machines: PolicyMachine[] = [];
  for (const m of snap.machines) {
    if (m.siteId !== null && m.siteId !== siteId) continue;
    const md = snap.machineDeployments.get(m.id);
    const profileId = md && snap.profiles.has(md.deployment.profileId) ? md.deployment.profileId : null;
    if (profileId) profileIds.add(profileId);
    machines.push({
      id: m.id, name: m.name, mac: m.mac, smbiosUuid: m.smbiosUuid, profileId,
      deploymentId: profileId ? md!.deployment.id : null, intent: profileId ? md!.deployment.intent : null,
    });
  }
  if (s.unknownComputers.enabled && s.unknownComputers.profileId && snap.profiles.has(s.unknownComputers.profileId)) profileIds.add(s.unknownComputers.profileId);
  if (s.toolkitProfileId && snap.profiles.has(s.toolkitProfileId)) profileIds.add(s.toolkitProfileId);

  const profiles = [...profileIds].sort().map((id) => policyProfileOf(snap.profiles.get(id)!));
  const packageIds = [...new Set(profiles.map((p) => p.packageId).filter((x): x is string => x !== null))].sort();
  policy.profiles = profiles;
  policy.machines = machines;
  policy.packages = packageIds.map((id) => snap.packages.get(id)).filter((x) => x !== undefined);
  return policy;
}
