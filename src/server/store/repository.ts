/**
 * The control plane's repository: every read and write of the data model, in portable SQL over a
 * SqlExecutor, so one implementation serves SQLite and PostgreSQL (and a transaction is just a
 * Repository built over the transaction's executor). Rows come out as contract types.
 */
import type {
  AgentInterface, BootProfile, Collection, CollectionRule, Deployment, EnrollmentToken, Machine, PackageSummary,
  Site, SiteWan, User, BootEvent, BootEventInput,
} from '../../contract/schemas.js';
import { defaultSiteWan } from '../../contract/schemas.js';
import type { SignedManifest } from '../../contract/manifest.js';
import type { ProfileSpec } from '../../contract/boot-profile.js';
import type { SqlExecutor, SqlParam, SqlRow } from './sql-database.js';

export const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());
const isoNN = (ms: number): string => new Date(Number(ms)).toISOString();
const json = <T>(text: unknown): T => JSON.parse(String(text)) as T;
const bool = (v: unknown): boolean => Number(v) === 1;

/** An agent as stored (role is computed elsewhere, from the policy snapshot). */
export interface AgentRecord {
  id: string;
  hostname: string;
  version: string;
  siteId: string | null;
  labels: Record<string, string>;
  interfaces: AgentInterface[];
  enrolledAtMs: number;
  lastSeenAtMs: number | null;
  policyEtag: string | null;
  serving: boolean;
  packages: Array<{ packageId: string; ready: boolean; chunksHeld?: number; chunksTotal?: number }>;
}

export interface CredentialRecord {
  id: string;
  kind: 'session' | 'api';
  userId: string;
  name: string;
  secretHash: string;
  createdAtMs: number;
  expiresAtMs: number;
  lastUsedAtMs: number | null;
}

export interface EnrollmentTokenRecord extends EnrollmentToken {
  secretHash: string;
  expiresAtMs: number;
}

export interface PxeSettingsRecord {
  enabled: boolean;
  targetCollectionIds: string[];
  unknownComputers: { enabled: boolean; profileId: string | null };
  toolkitProfileId: string | null;
  updatedAtMs: number;
}

export interface EventFilter {
  siteId?: string;
  agentId?: string;
  mac?: string;
  kind?: string;
  sinceMs?: number;
  untilMs?: number;
  /** Only events stored after this id, oldest first (the console's live feed). */
  afterId?: number;
  limit: number;
}

function agentOf(r: SqlRow): AgentRecord {
  return {
    id: String(r.id),
    hostname: String(r.hostname),
    version: String(r.version),
    siteId: (r.site_id as string | null) ?? null,
    labels: json(r.labels),
    interfaces: json(r.interfaces),
    enrolledAtMs: Number(r.enrolled_at),
    lastSeenAtMs: r.last_seen_at === null ? null : Number(r.last_seen_at),
    policyEtag: (r.policy_etag as string | null) ?? null,
    serving: bool(r.serving),
    packages: json(r.packages),
  };
}

function machineOf(r: SqlRow): Machine {
  return {
    id: String(r.id),
    name: (r.name as string | null) ?? null,
    mac: (r.mac as string | null) ?? null,
    smbiosUuid: (r.smbios_uuid as string | null) ?? null,
    siteId: (r.site_id as string | null) ?? null,
    labels: json(r.labels),
    createdAt: isoNN(Number(r.created_at)),
  };
}

function profileOf(r: SqlRow): BootProfile {
  const spec = json<ProfileSpec>(r.spec);
  return {
    id: String(r.id),
    name: String(r.name),
    kind: r.kind as BootProfile['kind'],
    ...spec,
    packageId: (r.package_id as string | null) ?? null,
    createdAt: isoNN(Number(r.created_at)),
  };
}

function deploymentOf(r: SqlRow): Deployment {
  return {
    id: String(r.id),
    name: String(r.name),
    profileId: String(r.profile_id),
    collectionId: String(r.collection_id),
    intent: r.intent as Deployment['intent'],
    createdAt: isoNN(Number(r.created_at)),
  };
}

function siteOf(r: SqlRow, subnets: string[]): Site {
  return {
    id: String(r.id), name: String(r.name), subnets, isAutoCreated: bool(r.is_auto), createdAt: isoNN(Number(r.created_at)),
    // BIGINT comes back as a string from PostgreSQL (pg keeps 64-bit integers exact); caps fit a double.
    wan: { capBytesPerSecond: r.wan_cap_bytes_per_second === null || r.wan_cap_bytes_per_second === undefined ? null : Number(r.wan_cap_bytes_per_second), adaptive: bool(r.wan_adaptive) },
  };
}

const AGENT_COLS = 'id, hostname, version, site_id, labels, interfaces, enrolled_at, last_seen_at, policy_etag, serving, packages';

/** Data access over one executor (the database, or an open transaction). */
export class Repository {
  constructor(readonly ex: SqlExecutor) {}

  // ---- meta and revision ---------------------------------------------------------------------

  async getMeta(key: string): Promise<string | null> {
    const rows = await this.ex.all<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]);
    return rows[0]?.value ?? null;
  }

  /** Stores `value` unless the key exists; returns the value now stored (first writer wins across servers). */
  async putMetaIfAbsent(key: string, value: string): Promise<string> {
    await this.ex.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, value]);
    return (await this.getMeta(key)) as string;
  }

  async getRevision(): Promise<number> {
    const rows = await this.ex.all<{ value: number }>('SELECT value FROM config_revision WHERE id = 1');
    return Number(rows[0]?.value ?? 0);
  }

  /** Increments the configuration revision (call inside the transaction that changed configuration). */
  async bumpRevision(): Promise<number> {
    const rows = await this.ex.all<{ value: number }>('UPDATE config_revision SET value = value + 1 WHERE id = 1 RETURNING value');
    return Number(rows[0]?.value);
  }

  // ---- users and credentials -----------------------------------------------------------------

  async countUsers(): Promise<number> {
    const rows = await this.ex.all<{ n: number }>('SELECT COUNT(*) AS n FROM users');
    return Number(rows[0]?.n ?? 0);
  }

  async insertUser(u: { id: string; username: string; passwordHash: string; createdAtMs: number }): Promise<User> {
    await this.ex.run('INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)', [u.id, u.username, u.passwordHash, u.createdAtMs]);
    return { id: u.id, username: u.username, createdAt: isoNN(u.createdAtMs) };
  }

  async getUserByName(username: string): Promise<(User & { passwordHash: string }) | null> {
    const r = (await this.ex.all('SELECT * FROM users WHERE username = ?', [username]))[0];
    return r ? { id: String(r.id), username: String(r.username), createdAt: isoNN(Number(r.created_at)), passwordHash: String(r.password_hash) } : null;
  }

  async getUser(id: string): Promise<(User & { passwordHash: string }) | null> {
    const r = (await this.ex.all('SELECT * FROM users WHERE id = ?', [id]))[0];
    return r ? { id: String(r.id), username: String(r.username), createdAt: isoNN(Number(r.created_at)), passwordHash: String(r.password_hash) } : null;
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.ex.all('SELECT id, username, created_at FROM users ORDER BY username');
    return rows.map((r) => ({ id: String(r.id), username: String(r.username), createdAt: isoNN(Number(r.created_at)) }));
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.ex.run('UPDATE users SET password_hash = ? WHERE id = ?', [passwordHash, userId]);
  }

  async insertCredential(c: CredentialRecord): Promise<void> {
    await this.ex.run(
      'INSERT INTO credentials (id, kind, user_id, name, secret_hash, created_at, expires_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [c.id, c.kind, c.userId, c.name, c.secretHash, c.createdAtMs, c.expiresAtMs, c.lastUsedAtMs],
    );
  }

  async getCredential(id: string): Promise<CredentialRecord | null> {
    const r = (await this.ex.all('SELECT * FROM credentials WHERE id = ?', [id]))[0];
    if (!r) return null;
    return {
      id: String(r.id), kind: r.kind as CredentialRecord['kind'], userId: String(r.user_id), name: String(r.name),
      secretHash: String(r.secret_hash), createdAtMs: Number(r.created_at), expiresAtMs: Number(r.expires_at),
      lastUsedAtMs: r.last_used_at === null ? null : Number(r.last_used_at),
    };
  }

  async listCredentials(kind: 'session' | 'api'): Promise<CredentialRecord[]> {
    const rows = await this.ex.all('SELECT id FROM credentials WHERE kind = ? ORDER BY created_at', [kind]);
    const out: CredentialRecord[] = [];
    for (const r of rows) { const c = await this.getCredential(String(r.id)); if (c) out.push(c); }
    return out;
  }

  async touchCredential(id: string, atMs: number): Promise<void> {
    await this.ex.run('UPDATE credentials SET last_used_at = ? WHERE id = ?', [atMs, id]);
  }

  async deleteCredential(id: string, kind?: 'session' | 'api'): Promise<boolean> {
    return (await this.ex.run(kind ? 'DELETE FROM credentials WHERE id = ? AND kind = ?' : 'DELETE FROM credentials WHERE id = ?', kind ? [id, kind] : [id])) > 0;
  }

  async deleteExpiredCredentials(nowMs: number): Promise<number> {
    return this.ex.run('DELETE FROM credentials WHERE expires_at < ?', [nowMs]);
  }

  // ---- enrollment tokens ---------------------------------------------------------------------

  async insertEnrollmentToken(t: EnrollmentTokenRecord, createdAtMs: number): Promise<void> {
    await this.ex.run(
      'INSERT INTO enrollment_tokens (id, name, secret_hash, created_at, expires_at, uses_max, uses) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [t.id, t.name, t.secretHash, createdAtMs, t.expiresAtMs, t.usesMax, t.uses],
    );
  }

  async getEnrollmentToken(id: string): Promise<EnrollmentTokenRecord | null> {
    const r = (await this.ex.all('SELECT * FROM enrollment_tokens WHERE id = ?', [id]))[0];
    return r ? this.#enrollmentOf(r) : null;
  }

  #enrollmentOf(r: SqlRow): EnrollmentTokenRecord {
    return {
      id: String(r.id), name: String(r.name), createdAt: isoNN(Number(r.created_at)), expiresAt: isoNN(Number(r.expires_at)),
      usesMax: Number(r.uses_max), uses: Number(r.uses), secretHash: String(r.secret_hash), expiresAtMs: Number(r.expires_at),
    };
  }

  async listEnrollmentTokens(): Promise<EnrollmentToken[]> {
    const rows = await this.ex.all('SELECT * FROM enrollment_tokens ORDER BY created_at');
    return rows.map((r) => { const { secretHash: _s, expiresAtMs: _e, ...t } = this.#enrollmentOf(r); return t; });
  }

  /** Counts one use if the token is unexpired and has uses left; false otherwise (atomic on both engines). */
  async consumeEnrollmentToken(id: string, nowMs: number): Promise<boolean> {
    return (await this.ex.run('UPDATE enrollment_tokens SET uses = uses + 1 WHERE id = ? AND uses < uses_max AND expires_at > ?', [id, nowMs])) === 1;
  }

  async deleteEnrollmentToken(id: string): Promise<boolean> {
    return (await this.ex.run('DELETE FROM enrollment_tokens WHERE id = ?', [id])) > 0;
  }

  // ---- agents --------------------------------------------------------------------------------

  async insertAgent(a: AgentRecord, secretHash: string): Promise<void> {
    await this.ex.run(
      `INSERT INTO agents (id, hostname, version, site_id, secret_hash, labels, interfaces, enrolled_at, last_seen_at, policy_etag, serving, packages)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [a.id, a.hostname, a.version, a.siteId, secretHash, JSON.stringify(a.labels), JSON.stringify(a.interfaces), a.enrolledAtMs,
        a.lastSeenAtMs, a.policyEtag, a.serving ? 1 : 0, JSON.stringify(a.packages)],
    );
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    const r = (await this.ex.all(`SELECT ${AGENT_COLS} FROM agents WHERE id = ?`, [id]))[0];
    return r ? agentOf(r) : null;
  }

  async getAgentSecretHash(id: string): Promise<string | null> {
    const r = (await this.ex.all<{ secret_hash: string }>('SELECT secret_hash FROM agents WHERE id = ?', [id]))[0];
    return r?.secret_hash ?? null;
  }

  async listAgents(filter: { siteId?: string; limit?: number; offset?: number } = {}): Promise<AgentRecord[]> {
    const where = filter.siteId ? 'WHERE site_id = ?' : '';
    const params: SqlParam[] = filter.siteId ? [filter.siteId] : [];
    const page = filter.limit !== undefined ? ` LIMIT ${Math.trunc(filter.limit)} OFFSET ${Math.trunc(filter.offset ?? 0)}` : '';
    return (await this.ex.all(`SELECT ${AGENT_COLS} FROM agents ${where} ORDER BY hostname, id${page}`, params)).map(agentOf);
  }

  async updateAgentReport(a: AgentRecord): Promise<void> {
    await this.ex.run(
      `UPDATE agents SET hostname = ?, version = ?, site_id = ?, labels = ?, interfaces = ?, last_seen_at = ?, policy_etag = ?, serving = ?, packages = ? WHERE id = ?`,
      [a.hostname, a.version, a.siteId, JSON.stringify(a.labels), JSON.stringify(a.interfaces), a.lastSeenAtMs, a.policyEtag, a.serving ? 1 : 0,
        JSON.stringify(a.packages), a.id],
    );
  }

  async setAgentLabels(id: string, labels: Record<string, string>): Promise<boolean> {
    return (await this.ex.run('UPDATE agents SET labels = ? WHERE id = ?', [JSON.stringify(labels), id])) > 0;
  }

  async touchAgent(id: string, atMs: number): Promise<void> {
    await this.ex.run('UPDATE agents SET last_seen_at = ? WHERE id = ?', [atMs, id]);
  }

  async deleteAgent(id: string): Promise<boolean> {
    return (await this.ex.run('DELETE FROM agents WHERE id = ?', [id])) > 0;
  }

  // ---- sites ---------------------------------------------------------------------------------

  async listSites(): Promise<Site[]> {
    const sites = await this.ex.all('SELECT * FROM sites ORDER BY name');
    const subnets = await this.ex.all<{ cidr: string; site_id: string }>('SELECT cidr, site_id FROM site_subnets ORDER BY cidr');
    const bySite = new Map<string, string[]>();
    for (const s of subnets) (bySite.get(s.site_id) ?? bySite.set(s.site_id, []).get(s.site_id)!).push(s.cidr);
    return sites.map((r) => siteOf(r, bySite.get(String(r.id)) ?? []));
  }

  async getSite(id: string): Promise<Site | null> {
    const r = (await this.ex.all('SELECT * FROM sites WHERE id = ?', [id]))[0];
    if (!r) return null;
    const subnets = (await this.ex.all<{ cidr: string }>('SELECT cidr FROM site_subnets WHERE site_id = ? ORDER BY cidr', [id])).map((s) => s.cidr);
    return siteOf(r, subnets);
  }

  /** A new site; without `wan` it gets the default (no cap, adaptive on). */
  async insertSite(s: { id: string; name: string; isAutoCreated: boolean; createdAtMs: number; wan?: SiteWan }): Promise<void> {
    const wan = s.wan ?? defaultSiteWan;
    await this.ex.run('INSERT INTO sites (id, name, is_auto, created_at, wan_cap_bytes_per_second, wan_adaptive) VALUES (?, ?, ?, ?, ?, ?)',
      [s.id, s.name, s.isAutoCreated ? 1 : 0, s.createdAtMs, wan.capBytesPerSecond, wan.adaptive ? 1 : 0]);
  }

  async renameSite(id: string, name: string): Promise<boolean> {
    return (await this.ex.run('UPDATE sites SET name = ?, is_auto = 0 WHERE id = ?', [name, id])) > 0;
  }

  /** Sets a site's WAN bandwidth settings; false when there is no such site. */
  async setSiteWan(id: string, wan: SiteWan): Promise<boolean> {
    return (await this.ex.run('UPDATE sites SET wan_cap_bytes_per_second = ?, wan_adaptive = ? WHERE id = ?', [wan.capBytesPerSecond, wan.adaptive ? 1 : 0, id])) > 0;
  }

  /** Replaces a site's subnets (a subnet already owned by another site violates the key: the caller's transaction fails). */
  async replaceSiteSubnets(siteId: string, cidrs: string[]): Promise<void> {
    await this.ex.run('DELETE FROM site_subnets WHERE site_id = ?', [siteId]);
    for (const cidr of cidrs) await this.ex.run('INSERT INTO site_subnets (cidr, site_id) VALUES (?, ?)', [cidr, siteId]);
  }

  async listSiteSubnets(): Promise<Array<{ cidr: string; siteId: string }>> {
    return (await this.ex.all<{ cidr: string; site_id: string }>('SELECT cidr, site_id FROM site_subnets')).map((r) => ({ cidr: r.cidr, siteId: r.site_id }));
  }

  async siteOfSubnet(cidr: string): Promise<string | null> {
    return (await this.ex.all<{ site_id: string }>('SELECT site_id FROM site_subnets WHERE cidr = ?', [cidr]))[0]?.site_id ?? null;
  }

  async deleteSite(id: string): Promise<boolean> {
    return (await this.ex.run('DELETE FROM sites WHERE id = ?', [id])) > 0;
  }

  // ---- machines ------------------------------------------------------------------------------

  async insertMachine(m: Machine, createdAtMs: number): Promise<void> {
    await this.ex.run('INSERT INTO machines (id, name, mac, smbios_uuid, site_id, labels, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [m.id, m.name, m.mac, m.smbiosUuid, m.siteId, JSON.stringify(m.labels), createdAtMs]);
  }

  async updateMachine(m: Machine): Promise<boolean> {
    return (await this.ex.run('UPDATE machines SET name = ?, mac = ?, smbios_uuid = ?, site_id = ?, labels = ? WHERE id = ?',
      [m.name, m.mac, m.smbiosUuid, m.siteId, JSON.stringify(m.labels), m.id])) > 0;
  }

  async getMachine(id: string): Promise<Machine | null> {
    const r = (await this.ex.all('SELECT * FROM machines WHERE id = ?', [id]))[0];
    return r ? machineOf(r) : null;
  }

  async listMachines(filter: { mac?: string; smbiosUuid?: string; limit?: number; offset?: number } = {}): Promise<Machine[]> {
    const conds: string[] = [];
    const params: SqlParam[] = [];
    if (filter.mac) { conds.push('mac = ?'); params.push(filter.mac); }
    if (filter.smbiosUuid) { conds.push('smbios_uuid = ?'); params.push(filter.smbiosUuid); }
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const page = filter.limit !== undefined ? ` LIMIT ${Math.trunc(filter.limit)} OFFSET ${Math.trunc(filter.offset ?? 0)}` : '';
    return (await this.ex.all(`SELECT * FROM machines ${where} ORDER BY created_at, id${page}`, params)).map(machineOf);
  }

  async deleteMachine(id: string): Promise<boolean> {
    await this.ex.run('DELETE FROM collection_members WHERE member_id = ?', [id]);
    return (await this.ex.run('DELETE FROM machines WHERE id = ?', [id])) > 0;
  }

  // ---- collections ---------------------------------------------------------------------------

  async listCollections(): Promise<Collection[]> {
    const rows = await this.ex.all('SELECT * FROM collections ORDER BY name');
    const members = await this.ex.all<{ collection_id: string; member_id: string }>('SELECT collection_id, member_id FROM collection_members ORDER BY member_id');
    const byCollection = new Map<string, string[]>();
    for (const m of members) (byCollection.get(m.collection_id) ?? byCollection.set(m.collection_id, []).get(m.collection_id)!).push(m.member_id);
    return rows.map((r) => ({
      id: String(r.id), name: String(r.name), memberKind: r.member_kind as Collection['memberKind'],
      members: byCollection.get(String(r.id)) ?? [], rules: json<CollectionRule[]>(r.rules), createdAt: isoNN(Number(r.created_at)),
    }));
  }

  async getCollection(id: string): Promise<Collection | null> {
    const r = (await this.ex.all('SELECT * FROM collections WHERE id = ?', [id]))[0];
    if (!r) return null;
    const members = (await this.ex.all<{ member_id: string }>('SELECT member_id FROM collection_members WHERE collection_id = ? ORDER BY member_id', [id])).map((m) => m.member_id);
    return { id: String(r.id), name: String(r.name), memberKind: r.member_kind as Collection['memberKind'], members, rules: json(r.rules), createdAt: isoNN(Number(r.created_at)) };
  }

  async insertCollection(c: Collection, createdAtMs: number): Promise<void> {
    await this.ex.run('INSERT INTO collections (id, name, member_kind, rules, created_at) VALUES (?, ?, ?, ?, ?)',
      [c.id, c.name, c.memberKind, JSON.stringify(c.rules), createdAtMs]);
    await this.replaceCollectionMembers(c.id, c.members);
  }

  async updateCollection(c: Pick<Collection, 'id' | 'name' | 'rules'>): Promise<boolean> {
    return (await this.ex.run('UPDATE collections SET name = ?, rules = ? WHERE id = ?', [c.name, JSON.stringify(c.rules), c.id])) > 0;
  }

  async replaceCollectionMembers(id: string, members: string[]): Promise<void> {
    await this.ex.run('DELETE FROM collection_members WHERE collection_id = ?', [id]);
    for (const m of new Set(members)) await this.ex.run('INSERT INTO collection_members (collection_id, member_id) VALUES (?, ?)', [id, m]);
  }

  async deleteCollection(id: string): Promise<boolean> {
    return (await this.ex.run('DELETE FROM collections WHERE id = ?', [id])) > 0;
  }

  // ---- boot profiles -------------------------------------------------------------------------

  async listProfiles(): Promise<BootProfile[]> {
    return (await this.ex.all('SELECT * FROM boot_profiles ORDER BY name')).map(profileOf);
  }

  async getProfile(id: string): Promise<BootProfile | null> {
    const r = (await this.ex.all('SELECT * FROM boot_profiles WHERE id = ?', [id]))[0];
    return r ? profileOf(r) : null;
  }

  async getProfileByName(name: string): Promise<BootProfile | null> {
    const r = (await this.ex.all('SELECT * FROM boot_profiles WHERE name = ?', [name]))[0];
    return r ? profileOf(r) : null;
  }

  async insertProfile(p: { id: string; name: string; kind: string; spec: ProfileSpec; packageId: string | null; createdAtMs: number }): Promise<void> {
    await this.ex.run('INSERT INTO boot_profiles (id, name, kind, spec, package_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [p.id, p.name, p.kind, JSON.stringify(p.spec), p.packageId, p.createdAtMs]);
  }

  async updateProfile(id: string, spec: ProfileSpec, packageId: string | null): Promise<boolean> {
    return (await this.ex.run('UPDATE boot_profiles SET spec = ?, package_id = ? WHERE id = ?', [JSON.stringify(spec), packageId, id])) > 0;
  }

  async deleteProfile(id: string): Promise<boolean> {
    return (await this.ex.run('DELETE FROM boot_profiles WHERE id = ?', [id])) > 0;
  }

  // ---- deployments ---------------------------------------------------------------------------

  async listDeployments(): Promise<Deployment[]> {
    return (await this.ex.all('SELECT * FROM deployments ORDER BY created_at, id')).map(deploymentOf);
  }

  async getDeployment(id: string): Promise<Deployment | null> {
    const r = (await this.ex.all('SELECT * FROM deployments WHERE id = ?', [id]))[0];
    return r ? deploymentOf(r) : null;
  }

  async insertDeployment(d: Deployment, createdAtMs: number): Promise<void> {
    await this.ex.run('INSERT INTO deployments (id, name, profile_id, collection_id, intent, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [d.id, d.name, d.profileId, d.collectionId, d.intent, createdAtMs]);
  }

  async updateDeployment(d: Deployment): Promise<boolean> {
    return (await this.ex.run('UPDATE deployments SET name = ?, profile_id = ?, collection_id = ?, intent = ? WHERE id = ?',
      [d.name, d.profileId, d.collectionId, d.intent, d.id])) > 0;
  }

  async deleteDeployment(id: string): Promise<boolean> {
    return (await this.ex.run('DELETE FROM deployments WHERE id = ?', [id])) > 0;
  }

  async countDeploymentsUsing(column: 'profile_id' | 'collection_id', id: string): Promise<number> {
    const rows = await this.ex.all<{ n: number }>(`SELECT COUNT(*) AS n FROM deployments WHERE ${column} = ?`, [id]);
    return Number(rows[0]?.n ?? 0);
  }

  // ---- settings ------------------------------------------------------------------------------

  async getPxeSettings(): Promise<PxeSettingsRecord> {
    const r = (await this.ex.all('SELECT * FROM pxe_settings WHERE id = 1'))[0]!;
    return {
      enabled: bool(r.enabled),
      targetCollectionIds: json(r.target_collection_ids),
      unknownComputers: { enabled: bool(r.unknown_enabled), profileId: (r.unknown_profile_id as string | null) ?? null },
      toolkitProfileId: (r.toolkit_profile_id as string | null) ?? null,
      updatedAtMs: Number(r.updated_at),
    };
  }

  async putPxeSettings(s: PxeSettingsRecord): Promise<void> {
    await this.ex.run(
      'UPDATE pxe_settings SET enabled = ?, target_collection_ids = ?, unknown_enabled = ?, unknown_profile_id = ?, toolkit_profile_id = ?, updated_at = ? WHERE id = 1',
      [s.enabled ? 1 : 0, JSON.stringify(s.targetCollectionIds), s.unknownComputers.enabled ? 1 : 0, s.unknownComputers.profileId, s.toolkitProfileId, s.updatedAtMs],
    );
  }

  // ---- packages ------------------------------------------------------------------------------

  async nextPackageVersion(name: string): Promise<number> {
    const rows = await this.ex.all<{ v: number | null }>('SELECT MAX(version) AS v FROM packages WHERE name = ?', [name]);
    return Number(rows[0]?.v ?? 0) + 1;
  }

  async insertPackage(doc: SignedManifest, fileCount: number, totalBytes: number, createdAtMs: number): Promise<void> {
    await this.ex.run('INSERT INTO packages (id, name, version, manifest, file_count, total_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [doc.manifest.id, doc.manifest.name, doc.manifest.version, JSON.stringify(doc), fileCount, totalBytes, createdAtMs]);
  }

  async getPackage(id: string): Promise<SignedManifest | null> {
    const r = (await this.ex.all<{ manifest: string }>('SELECT manifest FROM packages WHERE id = ?', [id]))[0];
    return r ? json<SignedManifest>(r.manifest) : null;
  }

  async listPackages(): Promise<PackageSummary[]> {
    const rows = await this.ex.all('SELECT id, name, version, file_count, total_bytes, created_at FROM packages ORDER BY name, version');
    return rows.map((r) => ({ id: String(r.id), name: String(r.name), version: Number(r.version), fileCount: Number(r.file_count), totalBytes: Number(r.total_bytes), createdAt: isoNN(Number(r.created_at)) }));
  }

  // ---- boot events ---------------------------------------------------------------------------

  async insertEvents(agentId: string, siteId: string | null, events: Array<BootEventInput & { atMs: number }>): Promise<number> {
    for (const e of events) {
      await this.ex.run(
        'INSERT INTO boot_events (agent_id, site_id, at, kind, mac, smbios_uuid, arch, profile_id, file, bytes, duration_ms, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [agentId, siteId, e.atMs, e.kind, e.mac?.toLowerCase() ?? null, e.smbiosUuid?.toLowerCase() ?? null, e.arch ?? null, e.profileId ?? null,
          e.file ?? null, e.bytes ?? null, e.durationMs ?? null, e.reason ?? null],
      );
    }
    return events.length;
  }

  /** The newest stored event id (0 when none): where a live feed starts. */
  async lastEventId(): Promise<number> {
    const rows = await this.ex.all<{ m: number | string | null }>('SELECT MAX(id) AS m FROM boot_events');
    return Number(rows[0]?.m ?? 0);
  }

  /** Deletes boot events older than `beforeMs` (retention); returns how many. */
  async deleteEventsBefore(beforeMs: number): Promise<number> {
    return this.ex.run('DELETE FROM boot_events WHERE at < ?', [beforeMs]);
  }

  async listEvents(f: EventFilter): Promise<BootEvent[]> {
    const conds: string[] = [];
    const params: SqlParam[] = [];
    const add = (cond: string, v: SqlParam | undefined) => { if (v !== undefined) { conds.push(cond); params.push(v); } };
    add('site_id = ?', f.siteId);
    add('agent_id = ?', f.agentId);
    add('mac = ?', f.mac?.toLowerCase());
    add('kind = ?', f.kind);
    add('at >= ?', f.sinceMs);
    add('at < ?', f.untilMs);
    add('id > ?', f.afterId);
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const order = f.afterId !== undefined ? 'id ASC' : 'at DESC, id DESC';
    const rows = await this.ex.all(`SELECT * FROM boot_events ${where} ORDER BY ${order} LIMIT ${Math.trunc(f.limit)}`, params);
    return rows.map((r) => {
      const e: BootEvent = { id: Number(r.id), agentId: String(r.agent_id), siteId: (r.site_id as string | null) ?? null, at: isoNN(Number(r.at)), kind: String(r.kind) };
      if (r.mac !== null) e.mac = String(r.mac);
      if (r.smbios_uuid !== null) e.smbiosUuid = String(r.smbios_uuid);
      if (r.arch !== null) e.arch = Number(r.arch);
      if (r.profile_id !== null) e.profileId = String(r.profile_id);
      if (r.file !== null) e.file = String(r.file);
      if (r.bytes !== null) e.bytes = Number(r.bytes);
      if (r.duration_ms !== null) e.durationMs = Number(r.duration_ms);
      if (r.reason !== null) e.reason = String(r.reason);
      return e;
    });
  }
}
