/**
 * Boot profiles, deployments, the P2P PXE settings, packages (manifests over the content store) and
 * coverage. Every configuration write bumps the revision and reaches agents through the policy hub.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { missingFilesOf, profileSpecFromCreate, specOf, type ProfileSpec } from '../../contract/boot-profile.js';
import { fieldError, ServerError } from '../../contract/errors.js';
import { chunkCountOf, chunkSizeBytes, type PackageManifest, type SignedManifest } from '../../contract/manifest.js';
import { signManifest } from '../../platform/crypto/signed-documents.js';
import type * as S from '../../contract/schemas.js';
import { prefixContains } from '../../protocol/ipv4.js';
import { iso, type Repository } from '../store/repository.js';
import { agentView } from './inventory-service.js';
import { configWrite, dbErrorToServerError, notFound, type ServiceContext } from './service-context.js';

// ---- profiles --------------------------------------------------------------------------------

export async function createProfile(ctx: ServiceContext, body: S.BootProfileCreate): Promise<S.BootProfile> {
  const id = randomUUID();
  await configWrite(ctx, (repo) => repo.insertProfile({ id, name: body.name, kind: body.kind, spec: profileSpecFromCreate(body), packageId: null, createdAtMs: ctx.nowMs() }), 'body.name');
  return (await ctx.store.read.getProfile(id))!;
}

export async function getProfile(ctx: ServiceContext, id: string): Promise<S.BootProfile> {
  const p = await ctx.store.read.getProfile(id);
  if (!p) throw notFound('profile', id);
  return p;
}

export async function getProfileByName(ctx: ServiceContext, name: string): Promise<S.BootProfile> {
  const p = await ctx.store.read.getProfileByName(name);
  if (!p) throw notFound('profile', name, 'params.name');
  return p;
}

export async function patchProfile(ctx: ServiceContext, id: string, body: Static<typeof S.BootProfilePatch>): Promise<S.BootProfile> {
  await configWrite(ctx, async (repo) => {
    const p = await repo.getProfile(id);
    if (!p) throw notFound('profile', id);
    const spec: ProfileSpec = {
      files: {
        bios: body.files?.bios !== undefined ? body.files.bios : p.files.bios,
        uefiX64: body.files?.uefiX64 !== undefined ? body.files.uefiX64 : p.files.uefiX64,
        arm64: body.files?.arm64 !== undefined ? body.files.arm64 : p.files.arm64,
      },
      kernel: body.kernel !== undefined ? body.kernel : p.kernel,
      initrd: body.initrd ?? p.initrd,
      cmdline: body.cmdline ?? p.cmdline,
      ipxeScript: body.ipxeScript !== undefined ? body.ipxeScript : p.ipxeScript,
      extraFiles: body.extraFiles ?? p.extraFiles,
    };
    const packageId = body.packageId !== undefined ? body.packageId : p.packageId;
    if (packageId) await checkPackageFits(repo, spec, packageId, 'body.packageId');
    await repo.updateProfile(id, spec, packageId);
  });
  return (await ctx.store.read.getProfile(id))!;
}

async function checkPackageFits(repo: Repository, spec: ProfileSpec, packageId: string, field: string): Promise<void> {
  const doc = await repo.getPackage(packageId);
  if (!doc) throw new ServerError('SERVER_ERR_VALIDATION', `${field}: no package ${packageId}`, field);
  const missing = missingFilesOf(spec, doc.manifest.files.map((f) => f.path));
  if (missing.length) throw new ServerError('SERVER_ERR_PACKAGE_INCOMPLETE', `package ${doc.manifest.name}@${doc.manifest.version} lacks ${missing.join(', ')}`, field);
}

export async function deleteProfile(ctx: ServiceContext, id: string): Promise<void> {
  await configWrite(ctx, async (repo) => {
    if (!(await repo.getProfile(id))) throw notFound('profile', id);
    if ((await repo.countDeploymentsUsing('profile_id', id)) > 0) throw new ServerError('SERVER_ERR_REFERENCED', `profile ${id} is used by a deployment`, 'params.id');
    const s = await repo.getPxeSettings();
    if (s.unknownComputers.profileId === id || s.toolkitProfileId === id) throw new ServerError('SERVER_ERR_REFERENCED', `profile ${id} is used by the P2P PXE settings`, 'params.id');
    await repo.deleteProfile(id);
  });
}

// ---- deployments -----------------------------------------------------------------------------

async function checkDeploymentRefs(repo: Repository, d: { profileId: string; collectionId: string }): Promise<void> {
  if (!(await repo.getProfile(d.profileId))) throw fieldError('body.profileId', `names no profile (${d.profileId})`);
  const c = await repo.getCollection(d.collectionId);
  if (!c) throw fieldError('body.collectionId', `names no collection (${d.collectionId})`);
  if (c.memberKind !== 'machine') throw fieldError('body.collectionId', `names collection ${c.name}, which holds agents; deployments target machine collections`);
}

export async function createDeployment(ctx: ServiceContext, body: Static<typeof S.DeploymentCreate>): Promise<S.Deployment> {
  const d: S.Deployment = { id: randomUUID(), ...body, createdAt: iso(ctx.nowMs())! };
  await configWrite(ctx, async (repo) => { await checkDeploymentRefs(repo, d); await repo.insertDeployment(d, Date.parse(d.createdAt)); });
  return d;
}

export async function patchDeployment(ctx: ServiceContext, id: string, body: Static<typeof S.DeploymentPatch>): Promise<S.Deployment> {
  return configWrite(ctx, async (repo) => {
    const prev = await repo.getDeployment(id);
    if (!prev) throw notFound('deployment', id);
    const d = { ...prev, ...Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) } as S.Deployment;
    await checkDeploymentRefs(repo, d);
    await repo.updateDeployment(d);
    return d;
  });
}

export async function getDeployment(ctx: ServiceContext, id: string): Promise<S.Deployment> {
  const d = await ctx.store.read.getDeployment(id);
  if (!d) throw notFound('deployment', id);
  return d;
}

export async function deleteDeployment(ctx: ServiceContext, id: string): Promise<void> {
  if (!(await configWrite(ctx, (repo) => repo.deleteDeployment(id)))) throw notFound('deployment', id);
}

// ---- settings --------------------------------------------------------------------------------

export async function getPxeSettings(ctx: ServiceContext): Promise<S.PxeSettings> {
  const [s, revision] = [await ctx.store.read.getPxeSettings(), await ctx.store.read.getRevision()];
  return { enabled: s.enabled, targetCollectionIds: s.targetCollectionIds, unknownComputers: s.unknownComputers, toolkitProfileId: s.toolkitProfileId, revision, updatedAt: iso(s.updatedAtMs)! };
}

export async function putPxeSettings(ctx: ServiceContext, body: S.PxeSettingsUpdate): Promise<S.PxeSettings> {
  await configWrite(ctx, async (repo) => {
    for (const [i, id] of body.targetCollectionIds.entries()) {
      const c = await repo.getCollection(id);
      if (!c) throw fieldError(`body.targetCollectionIds[${i}]`, `names no collection (${id})`);
      if (c.memberKind !== 'agent') throw fieldError(`body.targetCollectionIds[${i}]`, `names collection ${c.name}, which holds machines; targets are agent collections`);
    }
    const unknownId = body.unknownComputers.profileId;
    if (body.unknownComputers.enabled && !unknownId) {
      throw fieldError('body.unknownComputers.profileId', 'is required when unknown-computer support is enabled: choose the profile unknown computers boot');
    }
    if (unknownId && !(await repo.getProfile(unknownId))) throw fieldError('body.unknownComputers.profileId', `names no profile (${unknownId})`);
    const toolkit = body.toolkitProfileId ?? null;
    if (toolkit && !(await repo.getProfile(toolkit))) throw fieldError('body.toolkitProfileId', `names no profile (${toolkit})`);
    await repo.putPxeSettings({
      enabled: body.enabled, targetCollectionIds: [...new Set(body.targetCollectionIds)],
      unknownComputers: { enabled: body.unknownComputers.enabled, profileId: unknownId }, toolkitProfileId: toolkit, updatedAtMs: ctx.nowMs(),
    });
  });
  const s = await getPxeSettings(ctx);
  ctx.logger.info('P2P PXE settings changed', { enabled: s.enabled, targets: s.targetCollectionIds.length, revision: s.revision });
  return s;
}

// ---- packages --------------------------------------------------------------------------------

export async function findMissingChunks(ctx: ServiceContext, sha256s: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const sha of new Set(sha256s)) if (!(await ctx.chunks.has(sha))) missing.push(sha);
  return missing;
}

/**
 * Records a package version: checks paths are unique, chunk lists fit the sizes, every chunk is
 * stored and the chunks of each file hash to its SHA-256; checks the profile's files are present;
 * signs the manifest; stores it and points the profile at it in one transaction.
 */
export async function createPackage(ctx: ServiceContext, body: S.PackageCreate): Promise<SignedManifest> {
  const seen = new Map<string, number>();
  const missing = new Set<string>();
  for (const [i, f] of body.files.entries()) {
    const key = f.path.toLowerCase();
    if (seen.has(key)) throw fieldError(`body.files[${i}].path`, `repeats ${f.path}: each path once`);
    seen.set(key, i);
    if (f.chunks.length !== chunkCountOf(f.sizeBytes)) {
      throw fieldError(`body.files[${i}].chunks`, `lists ${f.chunks.length} chunks; a ${f.sizeBytes}-byte file has ${chunkCountOf(f.sizeBytes)} chunks of ${chunkSizeBytes} bytes`);
    }
    for (const c of f.chunks) if (!(await ctx.chunks.has(c))) missing.add(c);
  }
  if (missing.size) throw new ServerError('SERVER_ERR_MISSING_CHUNKS', `${missing.size} chunk(s) not uploaded, e.g. ${[...missing][0]}`, 'body.files');

  let profile: S.BootProfile | null = null;
  if (body.profileId) {
    profile = await ctx.store.read.getProfile(body.profileId);
    if (!profile) throw fieldError('body.profileId', `names no profile (${body.profileId})`);
    const lacking = missingFilesOf(profile, body.files.map((f) => f.path));
    if (lacking.length) {
      throw new ServerError('SERVER_ERR_PACKAGE_INCOMPLETE', `profile ${profile.name} (${profile.kind}) needs ${lacking.join(', ')}, which the package lacks`, 'body.files');
    }
  }

  // Verify each file's bytes end to end: chunk sizes and the file digest.
  for (const [i, f] of body.files.entries()) {
    const hash = createHash('sha256');
    let total = 0;
    for (const [j, c] of f.chunks.entries()) {
      const bytes = await ctx.chunks.get(c);
      if (!bytes) throw new ServerError('SERVER_ERR_MISSING_CHUNKS', `chunk ${c} vanished`, `body.files[${i}].chunks[${j}]`);
      const expected = j < f.chunks.length - 1 ? chunkSizeBytes : f.sizeBytes - chunkSizeBytes * (f.chunks.length - 1);
      if (bytes.byteLength !== expected) throw fieldError(`body.files[${i}].chunks[${j}]`, `names a chunk of ${bytes.byteLength} bytes where ${expected} belong`, 'SERVER_ERR_DIGEST_MISMATCH');
      hash.update(bytes);
      total += bytes.byteLength;
    }
    if (total !== f.sizeBytes || hash.digest('hex') !== f.sha256) {
      throw fieldError(`body.files[${i}].sha256`, `does not match the chunks of ${f.path}`, 'SERVER_ERR_DIGEST_MISMATCH');
    }
  }

  for (let attempt = 0; ; attempt++) {
    try {
      return await configWrite(ctx, async (repo) => {
        const version = await repo.nextPackageVersion(body.name);
        const manifest: PackageManifest = {
          schemaVersion: 1, id: randomUUID(), name: body.name, version, createdAt: iso(ctx.nowMs())!, chunkSizeBytes,
          files: body.files.map((f) => ({ path: f.path, sizeBytes: f.sizeBytes, sha256: f.sha256, chunks: f.chunks })),
        };
        const doc = signManifest(manifest, ctx.signingKey);
        await repo.insertPackage(doc, manifest.files.length, manifest.files.reduce((n, f) => n + f.sizeBytes, 0), ctx.nowMs());
        if (profile) await repo.updateProfile(profile.id, specOf(profile), manifest.id);
        ctx.logger.info('package recorded', { package: `${manifest.name}@${version}`, files: manifest.files.length, profile: profile?.name });
        return doc;
      });
    } catch (err) {
      // Two imports of one name raced for a version number: take the next.
      if (attempt < 3 && (dbErrorToServerError(err) as ServerError)?.code === 'SERVER_ERR_CONFLICT') continue;
      throw err;
    }
  }
}

export async function getPackage(ctx: ServiceContext, id: string): Promise<SignedManifest> {
  const p = await ctx.store.read.getPackage(id);
  if (!p) throw notFound('package', id);
  return p;
}

// ---- coverage --------------------------------------------------------------------------------

export const onlineWindowMs = 3 * 60_000;

/** Per site and subnet: agents, online agents, responders, ready responders (online, serving, holding every package). */
export async function coverage(ctx: ServiceContext): Promise<S.Coverage> {
  await ctx.hub.ensureCurrent();
  const snap = ctx.hub.snapshot();
  const nowMs = ctx.nowMs();
  const agents = (await ctx.store.read.listAgents()).map((a) => ({ a, v: agentView(ctx, a) }));
  const sites = [...snap.sites.values()].sort((x, y) => x.name.localeCompare(y.name)).map((site) => {
    const inSite = agents.filter((x) => x.a.siteId === site.id);
    const subnets = site.subnets.map((cidr) => {
      const here = inSite.filter((x) => x.a.interfaces.some((i) => i.addresses.some((addr) => prefixContains(cidr, addr.split('/')[0]!))));
      const online = here.filter((x) => x.a.lastSeenAtMs !== null && nowMs - x.a.lastSeenAtMs <= onlineWindowMs);
      const responders = here.filter((x) => x.v.role === 'responder');
      const ready = online.filter((x) => x.v.role === 'responder' && x.v.serving && x.v.packagesReady);
      return { cidr, agents: here.length, agentsOnline: online.length, responders: responders.length, respondersReady: ready.length, isCovered: ready.length > 0 };
    });
    const readyIds = new Set(inSite.filter((x) => x.v.role === 'responder' && x.v.serving && x.v.packagesReady && x.a.lastSeenAtMs !== null && nowMs - x.a.lastSeenAtMs <= onlineWindowMs).map((x) => x.a.id));
    return { siteId: site.id, name: site.name, subnets, agents: inSite.length, respondersReady: readyIds.size, isCovered: subnets.length > 0 && subnets.every((s) => s.isCovered) };
  });
  return { enabled: snap.settings.enabled, onlineWindowS: onlineWindowMs / 1000, sites };
}
