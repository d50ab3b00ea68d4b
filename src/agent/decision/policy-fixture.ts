/**
 * Test fixture: a small, valid agent policy (a responder site with two profiles, known machines by
 * MAC and by SMBIOS UUID), built by hand so tests state exactly what the server would send.
 * Imported only by tests and benches.
 */
import type { AgentPolicy, PolicyMachine, PolicyProfile } from '../../contract/policy.js';

export const LINUX_PROFILE: PolicyProfile = {
  id: 'prof-linux', name: 'debian', kind: 'linux',
  files: { bios: 'undionly.kpxe', uefiX64: 'ipxe.efi', arm64: null },
  kernel: 'vmlinuz', initrd: ['initrd.gz'], cmdline: 'console=ttyS0', ipxeScript: null, extraFiles: [], packageId: 'pkg-linux',
};

export const UNKNOWN_PROFILE: PolicyProfile = {
  id: 'prof-unknown', name: 'toolkit', kind: 'ipxe',
  files: { bios: 'undionly.kpxe', uefiX64: 'ipxe.efi', arm64: null },
  kernel: null, initrd: [], cmdline: '', ipxeScript: '#!ipxe\necho unknown\n', extraFiles: [], packageId: 'pkg-toolkit',
};

export const MACHINE_BY_MAC: PolicyMachine = {
  id: 'm-mac', name: 'bench-1', mac: '52:54:00:77:00:01', smbiosUuid: null, profileId: 'prof-linux', deploymentId: 'd-1', intent: 'required',
};
export const MACHINE_BY_UUID: PolicyMachine = {
  id: 'm-uuid', name: 'bench-2', mac: null, smbiosUuid: '7a11b007-0002-4c0d-8e5f-525400770002', profileId: 'prof-linux', deploymentId: 'd-1', intent: 'required',
};
export const MACHINE_NO_DEPLOYMENT: PolicyMachine = {
  id: 'm-none', name: 'bench-3', mac: '52:54:00:77:00:03', smbiosUuid: null, profileId: null, deploymentId: null, intent: null,
};

/** A responder policy; `patch` overrides top-level members, `settings` the settings. */
export function responderPolicy(patch: Partial<AgentPolicy> = {}, settings: Partial<AgentPolicy['settings']> = {}): AgentPolicy {
  return {
    schemaVersion: 1,
    serial: 7,
    issuedAt: '2026-11-25T12:00:00.000Z',
    site: { id: 'site-1', name: 'branch', subnets: ['10.77.0.0/24'] },
    role: 'responder',
    roleReason: 'targeted',
    settings: {
      enabled: true,
      unknownComputers: { enabled: false, profileId: null },
      toolkitProfileId: null,
      ...settings,
    },
    profiles: [LINUX_PROFILE, UNKNOWN_PROFILE],
    machines: [MACHINE_BY_MAC, MACHINE_BY_UUID, MACHINE_NO_DEPLOYMENT],
    packages: [],
    ...patch,
  };
}
