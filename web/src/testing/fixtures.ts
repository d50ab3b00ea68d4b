/** Typed sample records for component and model tests. Imported only by tests. */
import type { Agent, BootProfile, Collection, Coverage, PxeSettings } from '../../../src/contract/schemas.js';

export const nowIso = () => new Date().toISOString();

export function agent(over: Partial<Agent> = {}): Agent {
  return {
    id: 'agent-1', hostname: 'branch-pc-1', version: '0.1.0', siteId: 'site-1', role: 'responder', roleReason: 'targeted',
    labels: {}, interfaces: [{ name: 'eth0', mac: '52:54:00:00:00:01', addresses: ['10.1.0.11/24'] }],
    enrolledAt: nowIso(), lastSeenAt: nowIso(), policyEtag: 'etag', serving: true, packages: [], packagesReady: true,
    ...over,
  };
}

export function collection(over: Partial<Collection> = {}): Collection {
  return { id: 'c-1', name: 'Branch responders', memberKind: 'agent', members: [], rules: [{ kind: 'subnet', cidr: '10.1.0.0/24' }], createdAt: nowIso(), ...over };
}

export function settings(over: Partial<PxeSettings> = {}): PxeSettings {
  return { enabled: false, targetCollectionIds: [], unknownComputers: { enabled: false, profileId: null }, toolkitProfileId: null, revision: 3, updatedAt: nowIso(), ...over };
}

export function profile(over: Partial<BootProfile> = {}): BootProfile {
  return {
    id: 'p-1', name: 'winpe', kind: 'windows', files: { bios: 'pxeboot.n12', uefiX64: 'bootmgfw.efi', arm64: null }, kernel: null, initrd: [], cmdline: '',
    ipxeScript: null, extraFiles: ['bootmgr.exe', 'boot.sdi', 'boot.wim'], packageId: null, createdAt: nowIso(), ...over,
  };
}

export function coverage(over: Partial<Coverage> = {}): Coverage {
  return {
    enabled: true, onlineWindowS: 180,
    sites: [{
      siteId: 'site-1', name: 'Lyon', agents: 3, respondersReady: 1, isCovered: false,
      subnets: [
        { cidr: '10.1.0.0/24', agents: 3, agentsOnline: 3, responders: 3, respondersReady: 1, isCovered: true },
        { cidr: '10.2.0.0/24', agents: 0, agentsOnline: 0, responders: 0, respondersReady: 0, isCovered: false },
      ],
    }],
    ...over,
  };
}
