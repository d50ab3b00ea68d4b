/**
 * The per-request boot decision: who gets which boot profile, decided from the cached signed policy
 * alone, never by asking the server (a boot must neither wait for nor depend on the control plane).
 *
 *   known machine (MAC from chaddr, else SMBIOS UUID from option 97, RFC 4578 §2.3) with a deployment
 *       → its deployment's boot profile
 *   unknown machine → the unknown-computer profile, only when unknown-computer support is on
 *   anything else → silence, with a reason the responder logs (docs/protocol-notes.md,
 *       "Silence unless a machine is allowed": a PXE server that is not sure stays quiet, so
 *       another server or the local disk can boot it)
 *
 * `compileDecisionTable` turns a policy into lookup maps once (per policy or readiness change);
 * `decideBoot` is then a few map lookups: O(1) per request (bench/agent/decision.bench.ts checks
 * the ≤ 5 ms goal). Both are pure.
 */
import type { AgentPolicy, PolicyMachine, PolicyProfile } from '../../contract/policy.js';
import type { ArchClass } from '../../protocol/dhcp/pxe.js';
import { packageFilePath, profileScriptPath } from '../content/boot-layout.js';

/** What the decision needs to know about the client (a subset of proxy-dhcp's ClientInfo). */
export interface BootClient {
  /** Lower-case aa:bb:cc:dd:ee:ff. */
  mac: string;
  /** Canonical SMBIOS UUID from option 97, when sent and not all zeros. */
  uuid?: string;
  archClass: ArchClass;
  isIpxe: boolean;
}

/** Why a client gets no answer. Stable codes for counters and boot events. */
export type SilenceCode =
  | 'noPolicy'
  | 'disabled'
  | 'notTargeted'
  | 'noDeployment'
  | 'unknownNotAllowed'
  | 'profileMissing'
  | 'noPackage'
  | 'packageNotReady'
  | 'noFileForArch';

export type BootDecision =
  | {
    kind: 'boot';
    /** Root-relative NBP path for the client's architecture (absent when only a script fits). */
    bootFile?: string;
    /** Root-relative iPXE script path, for iPXE clients (absent when the profile has none). */
    ipxeScript?: string;
    profileId: string;
    profileName: string;
    packageId: string;
    machineId: string | null;
    matchedBy: 'mac' | 'uuid' | 'unknown';
  }
  | { kind: 'silence'; code: SilenceCode; reason: string; machineId?: string };

interface CompiledProfile {
  profile: PolicyProfile;
  /** Set when the profile can boot: its package id. */
  packageId: string | null;
  packageReady: boolean;
  files: { bios: string | null; uefiX64: string | null; arm64: string | null };
  ipxeScript: string | null;
}

/** A policy compiled into lookup maps; immutable. */
export interface DecisionTable {
  readonly etag: string | null;
  readonly serial: number | null;
  /** When set, every request gets silence with this. */
  readonly silenceAll: { code: SilenceCode; reason: string } | null;
  readonly byMac: ReadonlyMap<string, PolicyMachine>;
  readonly byUuid: ReadonlyMap<string, PolicyMachine>;
  readonly profiles: ReadonlyMap<string, CompiledProfile>;
  readonly unknownProfileId: string | null;
}

/** Whether a profile has an iPXE script the agent generates or copies (see ipxe-script.ts). */
export function profileHasScript(profile: PolicyProfile): boolean {
  if (profile.kind === 'ipxe') return profile.ipxeScript !== null && profile.ipxeScript.length > 0;
  if (profile.kind === 'linux') return profile.kernel !== null || (profile.ipxeScript !== null && profile.ipxeScript.length > 0);
  return false;
}

function compileProfile(profile: PolicyProfile, isReady: (packageId: string) => boolean): CompiledProfile {
  const pkg = profile.packageId;
  const at = (path: string | null) => (pkg && path ? packageFilePath(pkg, path) : null);
  return {
    profile,
    packageId: pkg,
    packageReady: pkg !== null && isReady(pkg),
    files: { bios: at(profile.files.bios), uefiX64: at(profile.files.uefiX64), arm64: at(profile.files.arm64) },
    ipxeScript: pkg && profileHasScript(profile) ? profileScriptPath(profile.id) : null,
  };
}

/**
 * Compiles a verified policy. `isReady(packageId)` says whether the agent holds that package
 * completely (verified on disk); a profile whose package is not ready is never offered.
 */
export function compileDecisionTable(policy: AgentPolicy | null, etag: string | null, isReady: (packageId: string) => boolean): DecisionTable {
  const empty = { byMac: new Map(), byUuid: new Map(), profiles: new Map(), unknownProfileId: null };
  if (!policy) return { etag, serial: null, silenceAll: { code: 'noPolicy', reason: 'no signed policy yet (never reached the server, and no cached policy)' }, ...empty };
  if (!policy.settings.enabled) return { etag, serial: policy.serial, silenceAll: { code: 'disabled', reason: 'P2P PXE is disabled in the policy' }, ...empty };
  if (policy.role !== 'responder') {
    return { etag, serial: policy.serial, silenceAll: { code: 'notTargeted', reason: `this agent is not a responder (${policy.roleReason})` }, ...empty };
  }
  const byMac = new Map<string, PolicyMachine>();
  const byUuid = new Map<string, PolicyMachine>();
  for (const m of policy.machines) {
    // The first entry wins on a duplicate: the server refuses duplicates, so this is only defensive.
    if (m.mac && !byMac.has(m.mac.toLowerCase())) byMac.set(m.mac.toLowerCase(), m);
    if (m.smbiosUuid && !byUuid.has(m.smbiosUuid.toLowerCase())) byUuid.set(m.smbiosUuid.toLowerCase(), m);
  }
  const profiles = new Map<string, CompiledProfile>();
  for (const p of policy.profiles) profiles.set(p.id, compileProfile(p, isReady));
  const unknown = policy.settings.unknownComputers;
  return { etag, serial: policy.serial, silenceAll: null, byMac, byUuid, profiles, unknownProfileId: unknown.enabled ? unknown.profileId : null };
}

/** The NBP family a client architecture needs (RFC 4578 §2.1 via the IANA table). */
function fileFor(files: CompiledProfile['files'], archClass: ArchClass): string | null {
  switch (archClass) {
    case 'bios':
      return files.bios;
    case 'uefi-x64':
    case 'http-x64':
      return files.uefiX64;
    case 'uefi-arm64':
    case 'http-arm64':
      return files.arm64;
    default:
      return null;
  }
}

function bootWith(compiled: CompiledProfile | undefined, profileId: string, client: BootClient, who: { machineId: string | null; matchedBy: 'mac' | 'uuid' | 'unknown'; label: string }): BootDecision {
  const silence = (code: SilenceCode, reason: string): BootDecision =>
    (who.machineId ? { kind: 'silence', code, reason, machineId: who.machineId } : { kind: 'silence', code, reason });
  if (!compiled) return silence('profileMissing', `${who.label}: profile ${profileId} is not in the policy`);
  const { profile } = compiled;
  if (!compiled.packageId) return silence('noPackage', `${who.label}: profile ${profile.name} has no package yet (import one)`);
  if (!compiled.packageReady) return silence('packageNotReady', `${who.label}: package of profile ${profile.name} is not complete on this agent yet`);
  const bootFile = fileFor(compiled.files, client.archClass);
  // An iPXE client runs the profile's script whatever its architecture; others need an NBP for theirs.
  const ipxeScript = client.isIpxe ? compiled.ipxeScript : null;
  if (!bootFile && !ipxeScript) {
    return silence('noFileForArch', `${who.label}: profile ${profile.name} has no boot file for ${client.archClass}`);
  }
  return {
    kind: 'boot',
    ...(bootFile ? { bootFile } : {}),
    ...(ipxeScript ? { ipxeScript } : {}),
    profileId: profile.id,
    profileName: profile.name,
    packageId: compiled.packageId,
    machineId: who.machineId,
    matchedBy: who.matchedBy,
  };
}

/** Decides one request. Pure and O(1): map lookups only. */
export function decideBoot(table: DecisionTable, client: BootClient): BootDecision {
  if (table.silenceAll) return { kind: 'silence', ...table.silenceAll };
  let machine = table.byMac.get(client.mac);
  let matchedBy: 'mac' | 'uuid' = 'mac';
  if (!machine && client.uuid) {
    machine = table.byUuid.get(client.uuid.toLowerCase());
    matchedBy = 'uuid';
  }
  if (machine) {
    const label = `known machine ${machine.name ?? machine.id} (by ${matchedBy === 'mac' ? `MAC ${client.mac}` : `SMBIOS UUID ${client.uuid}`})`;
    // A known machine with nothing deployed must not boot from the network (ConfigMgr "abortpxe").
    if (!machine.profileId) return { kind: 'silence', code: 'noDeployment', reason: `${label} has no deployment`, machineId: machine.id };
    return bootWith(table.profiles.get(machine.profileId), machine.profileId, client, { machineId: machine.id, matchedBy, label });
  }
  if (!table.unknownProfileId) {
    return { kind: 'silence', code: 'unknownNotAllowed', reason: `unknown computer (MAC ${client.mac}${client.uuid ? `, UUID ${client.uuid}` : ''}) and unknown-computer support is off` };
  }
  return bootWith(table.profiles.get(table.unknownProfileId), table.unknownProfileId, client, {
    machineId: null, matchedBy: 'unknown', label: `unknown computer (MAC ${client.mac})`,
  });
}
