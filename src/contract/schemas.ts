/**
 * The control plane's data shapes, written once as JSON Schema (TypeBox). From these come the
 * TypeScript types (`Static<>`), the server's request validation, the OpenAPI document and the typed
 * client. Request bodies reject unknown members so a typo is an error naming the field, not a no-op.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** `T | null`, written the way JSON Schema validators report clearly. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const strict = { additionalProperties: false } as const;

// ---- scalars ---------------------------------------------------------------------------------

export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$', description: 'Opaque identifier' });
/** Lower-case slug used on the command line (profiles, packages). */
export const Slug = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9._-]*$' });
export const DisplayName = Type.String({ minLength: 1, maxLength: 120 });
/** IEEE 802 MAC, colon separated; stored lower-case. */
export const Mac = Type.String({ pattern: '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$', description: 'MAC address, aa:bb:cc:dd:ee:ff' });
/** SMBIOS system UUID (DMI type 1), as PXE option 97 carries it (RFC 4578 §2.3). */
export const SmbiosUuid = Type.String({
  pattern: '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$',
  description: 'SMBIOS UUID, 8-4-4-4-12 hex',
});
const ipv4 = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}';
/** An IPv4 network, e.g. 10.1.2.0/24 (host bits are cleared by the server). */
export const Cidr = Type.String({ pattern: `^${ipv4}/(3[0-2]|[12]?[0-9])$`, description: 'IPv4 network, a.b.c.d/len' });
/** An interface address with its prefix, e.g. 10.1.2.17/24. */
export const InterfaceAddress = Type.String({ pattern: `^${ipv4}/(3[0-2]|[12]?[0-9])$`, description: 'IPv4 address with prefix length' });
export const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, lower-case hex' });
export const Timestamp = Type.String({ description: 'ISO 8601 UTC time' });
export const Labels = Type.Record(Type.String({ pattern: '^[A-Za-z0-9_./-]{1,63}$' }), Type.String({ maxLength: 253 }), {
  description: 'Free-form key=value labels (collection rules match on them)',
});
/** A file path inside a package, forward slashes, no `..`, no leading slash. */
export const PackagePath = Type.String({ minLength: 1, maxLength: 255, pattern: '^(?!/)(?!.*(^|/)\\.\\.(/|$))[^\\\\\\x00]+$' });

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })),
}, strict);
export const IdParams = Type.Object({ id: Id }, strict);
export const Empty = Type.Object({});
export const Ok = Type.Object({ ok: Type.Literal(true) });

// ---- auth ------------------------------------------------------------------------------------

export const User = Type.Object({ id: Id, username: Type.String(), createdAt: Timestamp });
export type User = Static<typeof User>;
export const Username = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' });
export const Password = Type.String({ minLength: 12, maxLength: 1024, description: 'At least 12 characters' });
export const LoginBody = Type.Object({ username: Username, password: Type.String({ minLength: 1, maxLength: 1024 }) }, strict);
export const LoginResult = Type.Object({ token: Type.String(), expiresAt: Timestamp, user: User });
export const UserCreate = Type.Object({ username: Username, password: Password }, strict);
export const PasswordChange = Type.Object({ currentPassword: Type.String({ maxLength: 1024 }), newPassword: Password }, strict);

export const ApiTokenCreate = Type.Object({
  name: DisplayName,
  expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, default: 90 })),
}, strict);
export const ApiToken = Type.Object({ id: Id, name: Type.String(), userId: Id, createdAt: Timestamp, expiresAt: Timestamp, lastUsedAt: Nullable(Timestamp) });
export type ApiToken = Static<typeof ApiToken>;
export const ApiTokenCreated = Type.Composite([ApiToken, Type.Object({ token: Type.String({ description: 'Shown once' }) })]);

export const EnrollmentTokenCreate = Type.Object({
  name: DisplayName,
  expiresInHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 365, default: 24 })),
  usesMax: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100 })),
}, strict);
export const EnrollmentToken = Type.Object({ id: Id, name: Type.String(), createdAt: Timestamp, expiresAt: Timestamp, usesMax: Type.Integer(), uses: Type.Integer() });
export type EnrollmentToken = Static<typeof EnrollmentToken>;
export const EnrollmentTokenCreated = Type.Composite([EnrollmentToken, Type.Object({ token: Type.String({ description: 'Shown once' }) })]);

// ---- agents ----------------------------------------------------------------------------------

/** The agent's own Ed25519 public key (raw 32 bytes, base64url): the key its election announcements are signed with. */
export const AgentPublicKey = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'Agent Ed25519 public key, raw 32 bytes base64url' });
/** An agent certificate (src/protocol/peer/agent-certificate.ts), base64url; null while the agent has no site. */
export const AgentCertificateText = Type.String({ description: 'Server-signed agent certificate (agent, site, key, expiry), base64url; peers verify election messages with it' });

export const AgentInterface = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  mac: Mac,
  addresses: Type.Array(InterfaceAddress, { maxItems: 32 }),
}, strict);
export type AgentInterface = Static<typeof AgentInterface>;

export const AgentRole = Type.Union([Type.Literal('responder'), Type.Literal('idle')], {
  description: 'responder: serves PXE for its subnets and holds the packages; idle: enrolled, serves nothing',
});
export type AgentRole = Static<typeof AgentRole>;

export const PackageReadiness = Type.Object({
  packageId: Id,
  ready: Type.Boolean(),
  chunksHeld: Type.Optional(Type.Integer({ minimum: 0 })),
  chunksTotal: Type.Optional(Type.Integer({ minimum: 0 })),
}, strict);

export const AgentStatusReport = Type.Object({
  hostname: Type.String({ minLength: 1, maxLength: 253 }),
  version: Type.String({ minLength: 1, maxLength: 64 }),
  interfaces: Type.Array(AgentInterface, { minItems: 0, maxItems: 64 }),
  labels: Type.Optional(Labels),
  policyEtag: Type.Optional(Nullable(Type.String({ maxLength: 128 }))),
  serving: Type.Optional(Type.Boolean({ description: 'The PXE responder is up' })),
  packages: Type.Optional(Type.Array(PackageReadiness, { maxItems: 256 })),
  agentPublicKey: Type.Optional(AgentPublicKey),
}, strict);
export type AgentStatusReport = Static<typeof AgentStatusReport>;
export const AgentStatusResult = Type.Object({
  siteId: Nullable(Id),
  role: AgentRole,
  agentCertificate: Type.Optional(Nullable(AgentCertificateText)),
});
export type AgentStatusResult = Static<typeof AgentStatusResult>;

export const Agent = Type.Object({
  id: Id,
  hostname: Type.String(),
  version: Type.String(),
  siteId: Nullable(Id),
  role: AgentRole,
  roleReason: Type.String(),
  labels: Labels,
  interfaces: Type.Array(AgentInterface),
  enrolledAt: Timestamp,
  lastSeenAt: Nullable(Timestamp),
  policyEtag: Nullable(Type.String()),
  serving: Type.Boolean(),
  packages: Type.Array(PackageReadiness),
  packagesReady: Type.Boolean({ description: 'Holds every package its policy lists' }),
});
export type Agent = Static<typeof Agent>;
export const AgentPatch = Type.Object({ labels: Type.Optional(Labels) }, strict);
export const AgentQuery = Type.Object({
  siteId: Type.Optional(Id),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })),
}, strict);

export const EnrollBody = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 512 }),
  hostname: Type.String({ minLength: 1, maxLength: 253 }),
  version: Type.String({ minLength: 1, maxLength: 64 }),
  interfaces: Type.Array(AgentInterface, { maxItems: 64 }),
  labels: Type.Optional(Labels),
  agentPublicKey: Type.Optional(AgentPublicKey),
}, strict);
export type EnrollBody = Static<typeof EnrollBody>;
export const EnrollResult = Type.Object({
  agentId: Id,
  agentToken: Type.String({ description: 'The agent credential; sent as `Authorization: Bearer` on every agent call' }),
  policyPublicKey: Type.String({ description: 'Ed25519 public key (base64url, raw 32 bytes) that signs policies and manifests' }),
  policyKeyId: Type.String(),
  siteId: Nullable(Id),
  agentCertificate: Type.Optional(Nullable(AgentCertificateText)),
});
export type EnrollResult = Static<typeof EnrollResult>;

// ---- sites -----------------------------------------------------------------------------------

/** The smallest WAN cap: 8000 bytes/s (64 kbit/s); below that a 1 MiB chunk takes minutes and fetches time out. */
export const minWanCapBytesPerSecond = 8000;
/** The largest: 125 GB/s (1 Tbit/s), far above any WAN link; it only keeps the number sane. */
export const maxWanCapBytesPerSecond = 125_000_000_000;
const wanCap = (description: string) => Type.Union([
  Type.Integer({ minimum: minWanCapBytesPerSecond, maximum: maxWanCapBytesPerSecond, description: `an integer of bytes per second, ${minWanCapBytesPerSecond}–${maxWanCapBytesPerSecond}` }),
  Type.Null(),
], { description });
const wanCapDescription = 'Site WAN cap in bytes per second (integer ≥ 8000, i.e. 64 kbit/s; 1 Mbit/s = 125000); null = no cap. Split between the site\'s agents that fetch at once';
/**
 * How the site's agents use the WAN when they fetch packages from the server (LAN transfers between
 * peers are never limited). The agent applies it in src/agent/wan/wan-shaper.ts.
 */
export const SiteWan = Type.Object({
  capBytesPerSecond: wanCap(wanCapDescription),
  adaptive: Type.Boolean({ description: 'Adaptive mode (LEDBAT, RFC 6817): back off as soon as the WAN path\'s queueing delay rises, so business traffic goes first; with a cap, the lower rate wins' }),
}, { description: 'Per-site WAN bandwidth for package fetches from the server' });
export type SiteWan = Static<typeof SiteWan>;
/**
 * New and auto-created sites: no fixed cap (nobody knows the link's speed yet) but adaptive on.
 * LEDBAT yields to every other flow on the path, so a package download never slows the office's
 * business traffic, yet it uses the whole link when the link is idle: safe without configuration.
 */
export const defaultSiteWan: SiteWan = Object.freeze({ capBytesPerSecond: null, adaptive: true }) as SiteWan;
/** A WAN change: either field alone, or both. */
export const SiteWanPatch = Type.Object({
  capBytesPerSecond: Type.Optional(wanCap(wanCapDescription)),
  adaptive: Type.Optional(Type.Boolean({ description: 'a boolean (true: adaptive mode, LEDBAT, yields to business traffic)' })),
}, { ...strict, description: 'Omitted fields keep their value (on create: the default, no cap and adaptive on)' });

export const Site = Type.Object({ id: Id, name: Type.String(), subnets: Type.Array(Cidr), isAutoCreated: Type.Boolean(), createdAt: Timestamp, wan: SiteWan });
export type Site = Static<typeof Site>;
export const SiteCreate = Type.Object({ name: DisplayName, subnets: Type.Array(Cidr, { maxItems: 4096 }), wan: Type.Optional(SiteWanPatch) }, strict);
export const SitePatch = Type.Object({
  name: Type.Optional(DisplayName),
  subnets: Type.Optional(Type.Array(Cidr, { maxItems: 4096 })),
  wan: Type.Optional(SiteWanPatch),
}, strict);

// ---- machines --------------------------------------------------------------------------------

export const Machine = Type.Object({
  id: Id,
  name: Nullable(Type.String()),
  mac: Nullable(Mac),
  smbiosUuid: Nullable(SmbiosUuid),
  siteId: Nullable(Id),
  labels: Labels,
  createdAt: Timestamp,
});
export type Machine = Static<typeof Machine>;
export const MachineCreate = Type.Object({
  name: Type.Optional(Nullable(DisplayName)),
  mac: Type.Optional(Nullable(Mac)),
  smbiosUuid: Type.Optional(Nullable(SmbiosUuid)),
  siteId: Type.Optional(Nullable(Id)),
  labels: Type.Optional(Labels),
}, { ...strict, description: 'A known computer: give a MAC, an SMBIOS UUID, or both' });
export const MachinePatch = MachineCreate;
export const MachineQuery = Type.Object({
  mac: Type.Optional(Mac),
  smbiosUuid: Type.Optional(SmbiosUuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })),
}, strict);

// ---- collections -----------------------------------------------------------------------------

export const CollectionRule = Type.Object({
  kind: Type.Union([Type.Literal('subnet'), Type.Literal('namePattern'), Type.Literal('label')]),
  cidr: Type.Optional(Cidr),
  pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: 'Glob: * and ? (hostname for agents, name for machines)' })),
  key: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
  value: Type.Optional(Type.String({ maxLength: 253 })),
}, { ...strict, description: 'subnet{cidr} | namePattern{pattern} | label{key, value?}' });
export type CollectionRule = Static<typeof CollectionRule>;
export const MemberKind = Type.Union([Type.Literal('agent'), Type.Literal('machine')]);
export const Collection = Type.Object({
  id: Id,
  name: Type.String(),
  memberKind: MemberKind,
  members: Type.Array(Id, { description: 'Static members (agent or machine ids)' }),
  rules: Type.Array(CollectionRule, { description: 'A member also belongs when any rule matches' }),
  createdAt: Timestamp,
});
export type Collection = Static<typeof Collection>;
export const CollectionCreate = Type.Object({
  name: DisplayName,
  memberKind: MemberKind,
  members: Type.Optional(Type.Array(Id, { maxItems: 100_000 })),
  rules: Type.Optional(Type.Array(CollectionRule, { maxItems: 64 })),
}, strict);
export const CollectionPatch = Type.Object({
  name: Type.Optional(DisplayName),
  members: Type.Optional(Type.Array(Id, { maxItems: 100_000 })),
  rules: Type.Optional(Type.Array(CollectionRule, { maxItems: 64 })),
}, strict);
export const CollectionMembers = Type.Object({ memberKind: MemberKind, ids: Type.Array(Id) });

// ---- boot profiles ---------------------------------------------------------------------------

export const ProfileKind = Type.Union([Type.Literal('linux'), Type.Literal('ipxe'), Type.Literal('windows')], {
  description: 'linux: iPXE NBPs + kernel/initrd; ipxe: iPXE NBPs + script; windows: WDS-style pxeboot/bootmgr + boot.wim (BCD generated by the agent)',
});
export type ProfileKind = Static<typeof ProfileKind>;
export const ProfileFiles = Type.Object({
  bios: Type.Optional(Nullable(PackagePath)),
  uefiX64: Type.Optional(Nullable(PackagePath)),
  arm64: Type.Optional(Nullable(PackagePath)),
}, { ...strict, description: 'Network boot programs per client architecture (RFC 4578 option 93)' });
export const BootProfile = Type.Object({
  id: Id,
  name: Slug,
  kind: ProfileKind,
  files: Type.Object({ bios: Nullable(Type.String()), uefiX64: Nullable(Type.String()), arm64: Nullable(Type.String()) }),
  kernel: Nullable(Type.String()),
  initrd: Type.Array(Type.String()),
  cmdline: Type.String(),
  ipxeScript: Nullable(Type.String()),
  extraFiles: Type.Array(Type.String(), { description: 'Other files the package must hold (boot.sdi, boot.wim, …)' }),
  packageId: Nullable(Id),
  createdAt: Timestamp,
});
export type BootProfile = Static<typeof BootProfile>;
export const BootProfileCreate = Type.Object({
  name: Slug,
  kind: ProfileKind,
  files: Type.Optional(ProfileFiles),
  kernel: Type.Optional(Nullable(PackagePath)),
  initrd: Type.Optional(Type.Array(PackagePath, { maxItems: 16 })),
  cmdline: Type.Optional(Type.String({ maxLength: 4096 })),
  ipxeScript: Type.Optional(Nullable(Type.String({ maxLength: 65536 }))),
  extraFiles: Type.Optional(Type.Array(PackagePath, { maxItems: 256 })),
}, strict);
export type BootProfileCreate = Static<typeof BootProfileCreate>;
export const BootProfilePatch = Type.Object({
  files: Type.Optional(ProfileFiles),
  kernel: Type.Optional(Nullable(PackagePath)),
  initrd: Type.Optional(Type.Array(PackagePath, { maxItems: 16 })),
  cmdline: Type.Optional(Type.String({ maxLength: 4096 })),
  ipxeScript: Type.Optional(Nullable(Type.String({ maxLength: 65536 }))),
  extraFiles: Type.Optional(Type.Array(PackagePath, { maxItems: 256 })),
  packageId: Type.Optional(Nullable(Id)),
}, strict);
export const ProfileByNameParams = Type.Object({ name: Slug }, strict);

// ---- deployments -----------------------------------------------------------------------------

export const DeploymentIntent = Type.Union([Type.Literal('required'), Type.Literal('available')], {
  description: 'required: boot it now; available: offer it (the client may be prompted)',
});
export const Deployment = Type.Object({ id: Id, name: Type.String(), profileId: Id, collectionId: Id, intent: DeploymentIntent, createdAt: Timestamp });
export type Deployment = Static<typeof Deployment>;
export const DeploymentCreate = Type.Object({ name: DisplayName, profileId: Id, collectionId: Id, intent: DeploymentIntent }, strict);
export const DeploymentPatch = Type.Object({
  name: Type.Optional(DisplayName),
  profileId: Type.Optional(Id),
  collectionId: Type.Optional(Id),
  intent: Type.Optional(DeploymentIntent),
}, strict);

// ---- P2P PXE settings (the seed's settings editor) -------------------------------------------

export const PxeSettings = Type.Object({
  enabled: Type.Boolean(),
  targetCollectionIds: Type.Array(Id, { description: 'Agent collections whose members become responders' }),
  unknownComputers: Type.Object({ enabled: Type.Boolean(), profileId: Nullable(Id) }),
  toolkitProfileId: Nullable(Id, ),
  revision: Type.Integer({ description: 'Configuration revision this read reflects' }),
  updatedAt: Timestamp,
});
export type PxeSettings = Static<typeof PxeSettings>;
export const PxeSettingsUpdate = Type.Object({
  enabled: Type.Boolean(),
  targetCollectionIds: Type.Array(Id, { maxItems: 256 }),
  unknownComputers: Type.Object({ enabled: Type.Boolean(), profileId: Nullable(Id) }, strict),
  toolkitProfileId: Type.Optional(Nullable(Id)),
}, { ...strict, description: 'toolkitProfileId: the profile whose package holds the boot toolkit (NBPs) every responder keeps' });
export type PxeSettingsUpdate = Static<typeof PxeSettingsUpdate>;

// ---- packages --------------------------------------------------------------------------------

export const PackageFileInput = Type.Object({
  path: PackagePath,
  sizeBytes: Type.Integer({ minimum: 0, maximum: 64 * 1024 ** 3 }),
  sha256: Sha256Hex,
  chunks: Type.Array(Sha256Hex, { maxItems: 65536 }),
}, strict);
export const PackageCreate = Type.Object({
  name: Slug,
  profileId: Type.Optional(Nullable(Id)),
  files: Type.Array(PackageFileInput, { minItems: 1, maxItems: 4096 }),
}, { ...strict, description: 'Finalizes an import: every chunk must have been uploaded first' });
export type PackageCreate = Static<typeof PackageCreate>;
export const PackageSummary = Type.Object({
  id: Id,
  name: Type.String(),
  version: Type.Integer(),
  fileCount: Type.Integer(),
  totalBytes: Type.Integer(),
  createdAt: Timestamp,
});
export type PackageSummary = Static<typeof PackageSummary>;
export const ChunkList = Type.Object({ sha256s: Type.Array(Sha256Hex, { maxItems: 100_000 }) }, strict);
export const MissingChunks = Type.Object({ missing: Type.Array(Sha256Hex) });
export const ChunkParams = Type.Object({ sha256: Sha256Hex }, strict);
export const ChunkStored = Type.Object({ sha256: Sha256Hex, sizeBytes: Type.Integer(), isNew: Type.Boolean() });

// ---- events and coverage ---------------------------------------------------------------------

export const BootEventKind = Type.String({
  pattern: '^[a-z][A-Za-z0-9.]{0,63}$',
  description: 'e.g. dhcpOffer, dhcpIgnored, transferStarted, transferCompleted, transferFailed, electionWon, duplicateResponder',
});
export const BootEventInput = Type.Object({
  at: Timestamp,
  kind: BootEventKind,
  mac: Type.Optional(Mac),
  smbiosUuid: Type.Optional(SmbiosUuid),
  arch: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'RFC 4578 option 93 client architecture' })),
  profileId: Type.Optional(Id),
  file: Type.Optional(Type.String({ maxLength: 255 })),
  bytes: Type.Optional(Type.Integer({ minimum: 0 })),
  durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
  reason: Type.Optional(Type.String({ maxLength: 255 })),
}, strict);
export type BootEventInput = Static<typeof BootEventInput>;
export const BootEventBatch = Type.Object({ events: Type.Array(BootEventInput, { minItems: 1, maxItems: 500 }) }, strict);
export const BootEvent = Type.Composite([
  Type.Object({ id: Type.Integer(), agentId: Id, siteId: Nullable(Id) }),
  Type.Omit(BootEventInput, []),
]);
export type BootEvent = Static<typeof BootEvent>;
export const EventQuery = Type.Object({
  siteId: Type.Optional(Id),
  agentId: Type.Optional(Id),
  mac: Type.Optional(Mac),
  kind: Type.Optional(BootEventKind),
  since: Type.Optional(Timestamp),
  until: Type.Optional(Timestamp),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 200 })),
}, strict);
export const Accepted = Type.Object({ accepted: Type.Integer() });

export const SubnetCoverage = Type.Object({
  cidr: Cidr,
  agents: Type.Integer(),
  agentsOnline: Type.Integer(),
  responders: Type.Integer(),
  respondersReady: Type.Integer({ description: 'Online responders that hold every package and report serving' }),
  isCovered: Type.Boolean(),
});
export const SiteCoverage = Type.Object({
  siteId: Id,
  name: Type.String(),
  subnets: Type.Array(SubnetCoverage),
  agents: Type.Integer(),
  respondersReady: Type.Integer(),
  isCovered: Type.Boolean({ description: 'Every subnet of the site has a ready responder' }),
});
export const Coverage = Type.Object({ enabled: Type.Boolean(), onlineWindowS: Type.Integer(), sites: Type.Array(SiteCoverage) });
export type Coverage = Static<typeof Coverage>;

export const Health = Type.Object({ status: Type.Literal('ok'), version: Type.String() });
