/**
 * The signed P2P PXE policy document an agent receives for its site: its role, the settings, the
 * known machines with the boot profile their deployment gives them, the boot profiles, and the
 * package manifests it must hold; and the pure half of checking one (`checkPolicyShape`: version
 * and shape). The crypto half (signPolicy, verifyPolicy, decidePolicyUpdate, policyEtag) is in
 * src/platform/crypto/signed-documents.ts.
 *
 * Signature: Ed25519 over canonicalJson(policy) (RFC 8032, RFC 8785). The etag is a digest of the
 * policy without `serial`/`issuedAt`, so an unchanged policy keeps its etag across servers.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { AgentRole, Cidr, defaultSiteWan, Id, Nullable, ProfileKind, SiteWan, Timestamp } from './schemas.js';
import { SignatureSchema, SignedManifest } from './manifest.js';

export const policySchemaVersion = 1;

export const PolicyProfile = Type.Object({
  id: Id,
  name: Type.String(),
  kind: ProfileKind,
  files: Type.Object({ bios: Nullable(Type.String()), uefiX64: Nullable(Type.String()), arm64: Nullable(Type.String()) }),
  kernel: Nullable(Type.String()),
  initrd: Type.Array(Type.String()),
  cmdline: Type.String(),
  ipxeScript: Nullable(Type.String()),
  extraFiles: Type.Array(Type.String()),
  packageId: Nullable(Id),
});
export type PolicyProfile = Static<typeof PolicyProfile>;

export const PolicyMachine = Type.Object({
  id: Id,
  name: Nullable(Type.String()),
  /** Lower-case MAC; null when known by SMBIOS UUID only. */
  mac: Nullable(Type.String()),
  /** Lower-case SMBIOS UUID; null when known by MAC only. */
  smbiosUuid: Nullable(Type.String()),
  /** The winning deployment's profile, or null: a known machine with nothing deployed must not boot (ConfigMgr "abortpxe"). */
  profileId: Nullable(Id),
  deploymentId: Nullable(Id),
  intent: Nullable(Type.Union([Type.Literal('required'), Type.Literal('available')])),
});
export type PolicyMachine = Static<typeof PolicyMachine>;

export const AgentPolicy = Type.Object({
  schemaVersion: Type.Literal(1),
  /** Configuration revision the server built this from; never goes down (agents refuse an older one). */
  serial: Type.Integer({ minimum: 0 }),
  issuedAt: Timestamp,
  site: Type.Object({
    id: Nullable(Id),
    name: Nullable(Type.String()),
    subnets: Type.Array(Cidr),
    /**
     * The site's WAN bandwidth for package fetches from the server: `{ capBytesPerSecond: integer
     * ≥ 8000 | null, adaptive: boolean }` (src/agent/wan/wan-shaper.ts WanPolicy). The server always
     * fills it (an agent with no site gets the default); optional only so that a policy cached on
     * disk by an older version still verifies. Absent = `defaultSiteWan` (no cap, adaptive on):
     * read it with `policyWan(policy)`.
     */
    wan: Type.Optional(SiteWan),
  }),
  role: AgentRole,
  /** Why this role: 'disabled', 'notInTargetCollections', 'noSite', 'inCollection:<id>'. */
  roleReason: Type.String(),
  settings: Type.Object({
    enabled: Type.Boolean(),
    unknownComputers: Type.Object({ enabled: Type.Boolean(), profileId: Nullable(Id) }),
    toolkitProfileId: Nullable(Id),
  }),
  profiles: Type.Array(PolicyProfile),
  machines: Type.Array(PolicyMachine),
  /** Every package the agent must hold; each manifest is signed on its own too. */
  packages: Type.Array(SignedManifest),
});
export type AgentPolicy = Static<typeof AgentPolicy>;

/** The WAN settings a policy gives its agent; a policy without them (an older server's) means the default. */
export function policyWan(policy: AgentPolicy): SiteWan {
  const w = policy.site.wan;
  return w ? { capBytesPerSecond: w.capBytesPerSecond, adaptive: w.adaptive } : { ...defaultSiteWan };
}

export const SignedPolicy = Type.Object({ policy: AgentPolicy, signature: SignatureSchema });
export type SignedPolicy = Static<typeof SignedPolicy>;

// Compiled on first use, not at load: TypeBox compiles with `new Function`, and the console (which
// imports this module for its types and never verifies a policy) runs under a CSP without 'unsafe-eval'.
let signedPolicyCheck: ReturnType<typeof TypeCompiler.Compile<typeof SignedPolicy>> | null = null;
const policyChecker = () => (signedPolicyCheck ??= TypeCompiler.Compile(SignedPolicy));

/** Why a document is not a policy this version reads, before any signature is looked at. */
export type PolicyShapeCheck =
  | { ok: true; doc: SignedPolicy }
  | { ok: false; reason: 'malformed' | 'unsupportedVersion'; detail?: string };

/** The version and shape of a received document (parsed JSON of unknown shape). Never throws. */
export function checkPolicyShape(doc: unknown): PolicyShapeCheck {
  const version = (doc as { policy?: { schemaVersion?: unknown } } | null)?.policy?.schemaVersion;
  if (version !== undefined && version !== policySchemaVersion) return { ok: false, reason: 'unsupportedVersion', detail: String(version) };
  const shape = policyChecker();
  if (!shape.Check(doc)) {
    const first = shape.Errors(doc).First();
    return { ok: false, reason: 'malformed', detail: first ? `${first.path || '/'}: ${first.message}` : undefined };
  }
  return { ok: true, doc };
}
