/**
 * Agents (enrollment, status reports, boot events), sites, machines and collections. Agent writes
 * that do not change configuration (status every minute) skip the revision bump and only notify
 * the agent's own policy stream when a fact that decides its role changed.
 */
import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { fieldError, ServerError } from '../../contract/errors.js';
import type * as S from '../../contract/schemas.js';
import { defaultSiteWan, maxWanCapBytesPerSecond, minWanCapBytesPerSecond } from '../../contract/schemas.js';
import { ruleProblem, membershipOf, agentFacts } from '../policy/collection-membership.js';
import { networkOf, prefixContains, parsePrefix } from '../../protocol/ipv4.js';
import { iso, type AgentRecord, type Repository } from '../store/repository.js';
import { isUniqueViolation } from '../store/sql-database.js';
import { issueAgentCertificate } from './agent-certificate.js';
import { issueToken, parseToken, secretMatches } from './auth.js';
import { configWrite, dbErrorToServerError, notFound, type ServiceContext } from './service-context.js';

// ---- agents ----------------------------------------------------------------------------------

/** Addresses that say nothing about where a machine is: loopback, link-local (RFC 3927). */
function isSiteAddress(address: string): boolean {
  return !prefixContains('127.0.0.0/8', address.split('/')[0]!) && !prefixContains('169.254.0.0/16', address.split('/')[0]!);
}

/**
 * The site for an agent: the most specific site subnet containing its first usable address; if no
 * site has it, a new site named after that subnet (Adaptiva-style locations from IP and mask).
 */
export async function assignSite(ctx: ServiceContext, interfaces: S.AgentInterface[]): Promise<string | null> {
  const address = interfaces.flatMap((i) => i.addresses).find(isSiteAddress);
  if (!address) return null;
  const network = networkOf(address)!;
  const host = address.split('/')[0]!;
  const findExisting = async (repo: Repository) => {
    // Common case: the agent's own subnet is a site subnet (one indexed lookup).
    const exact = await repo.siteOfSubnet(network);
    if (exact) return exact;
    // Else the most specific site subnet containing the address (an admin's wider prefix).
    let best: { siteId: string; length: number } | null = null;
    for (const s of await repo.listSiteSubnets()) {
      const p = parsePrefix(s.cidr);
      if (p && prefixContains(s.cidr, host) && (!best || p.length > best.length)) best = { siteId: s.siteId, length: p.length };
    }
    return best?.siteId ?? null;
  };
  const existing = await findExisting(ctx.store.read);
  if (existing) return existing;
  try {
    return await configWrite(ctx, async (repo) => {
      const again = await findExisting(repo);
      if (again) return again;
      const id = randomUUID();
      await repo.insertSite({ id, name: `subnet ${network}`, isAutoCreated: true, createdAtMs: ctx.nowMs() });
      await repo.replaceSiteSubnets(id, [network]);
      ctx.logger.info('site created from agent subnet', { siteId: id, cidr: network });
      return id;
    });
  } catch (err) {
    // Two servers (or two agents) created it at the same moment: use the winner's.
    const again = await findExisting(ctx.store.read);
    if (again) return again;
    throw err;
  }
}

const normalizeInterfaces = (list: S.AgentInterface[]): S.AgentInterface[] =>
  list.map((i) => ({ name: i.name, mac: i.mac.toLowerCase(), addresses: i.addresses }));

export async function enrollAgent(ctx: ServiceContext, body: S.EnrollBody, remote: string): Promise<S.EnrollResult> {
  const t = parseToken(body.token);
  const refuse = (reason: string) => {
    ctx.counters.increment('auth_refused_total', { reason });
    ctx.logger.warn('enrollment refused', { reason, hostname: body.hostname, remote });
    // Only a caller holding the real secret learns why (expired, used up): an unknown id and a wrong
    // secret read the same, so the answer does not tell which token ids exist (security review L2).
    const told = reason === 'unknownToken' || reason === 'badSecret' || reason === 'malformedToken' ? 'not a valid enrollment token' : reason;
    return new ServerError(reason === 'expired' ? 'SERVER_ERR_TOKEN_EXPIRED' : 'SERVER_ERR_UNAUTHENTICATED', `enrollment token refused (${told})`, 'body.token');
  };
  if (!t || t.kind !== 'pbe') throw refuse('malformedToken');
  const rec = await ctx.store.read.getEnrollmentToken(t.id);
  if (!rec) throw refuse('unknownToken');
  if (!secretMatches(t.secret, rec.secretHash)) throw refuse('badSecret');
  const nowMs = ctx.nowMs();
  if (rec.expiresAtMs <= nowMs) throw refuse('expired');
  const interfaces = normalizeInterfaces(body.interfaces);
  const siteId = await assignSite(ctx, interfaces);
  const cred = issueToken('pba');
  const agent: AgentRecord = {
    id: cred.id, hostname: body.hostname, version: body.version, siteId, labels: body.labels ?? {}, interfaces,
    enrolledAtMs: nowMs, lastSeenAtMs: nowMs, policyEtag: null, serving: false, packages: [],
  };
  await ctx.store.write(async (repo) => {
    if (!(await repo.consumeEnrollmentToken(t.id, nowMs))) throw refuse('usedUp');
    await repo.insertAgent(agent, cred.secretHash);
  });
  ctx.counters.increment('agents_enrolled_total');
  ctx.logger.info('agent enrolled', { agentId: agent.id, hostname: agent.hostname, siteId, remote });
  const agentCertificate = body.agentPublicKey && siteId ? issueAgentCertificate(ctx.signingKey, agent.id, siteId, body.agentPublicKey, nowMs, 'body.agentPublicKey') : null;
  return { agentId: agent.id, agentToken: cred.token, policyPublicKey: ctx.signingKey.publicKey, policyKeyId: ctx.signingKey.keyId, siteId, agentCertificate };
}

/** Did a fact that decides role or site change? Then the agent's stream must re-evaluate. */
function roleFactsChanged(a: AgentRecord, b: AgentRecord): boolean {
  return a.siteId !== b.siteId || a.hostname !== b.hostname || JSON.stringify(a.labels) !== JSON.stringify(b.labels)
    || JSON.stringify(a.interfaces) !== JSON.stringify(b.interfaces);
}

export async function reportAgentStatus(ctx: ServiceContext, agentId: string, report: S.AgentStatusReport): Promise<S.AgentStatusResult> {
  const prev = await ctx.store.read.getAgent(agentId);
  if (!prev) throw new ServerError('SERVER_ERR_UNAUTHENTICATED', 'agent no longer exists; enroll again');
  const interfaces = normalizeInterfaces(report.interfaces);
  const sameAddresses = JSON.stringify(interfaces) === JSON.stringify(prev.interfaces);
  const siteId = sameAddresses && prev.siteId ? prev.siteId : await assignSite(ctx, interfaces);
  const next: AgentRecord = {
    ...prev, hostname: report.hostname, version: report.version, siteId, labels: report.labels ?? prev.labels, interfaces,
    lastSeenAtMs: ctx.nowMs(), policyEtag: report.policyEtag ?? prev.policyEtag, serving: report.serving ?? prev.serving,
    packages: report.packages ?? prev.packages,
  };
  await ctx.store.write((repo) => repo.updateAgentReport(next));
  if (roleFactsChanged(prev, next)) await ctx.bus.publish({ kind: 'agent', agentId });
  ctx.counters.increment('agent_status_reports_total');
  await ctx.hub.ensureCurrent();
  // A fresh certificate with every report: follows site changes and renews long before expiry.
  const agentCertificate = report.agentPublicKey && siteId ? issueAgentCertificate(ctx.signingKey, agentId, siteId, report.agentPublicKey, ctx.nowMs(), 'body.agentPublicKey') : null;
  return { siteId, role: ctx.hub.policyOf(next).decision.role, ...(report.agentPublicKey ? { agentCertificate } : {}) };
}

/** Boot event kinds that raise an alert (logged at warn, counted in alerts_raised_total). */
export const alertEventKinds: ReadonlySet<string> = new Set(['rogueResponder', 'duplicateResponder']);

/** How far ahead of the server's clock an event's time may be. */
const EVENT_CLOCK_AHEAD_MS = 24 * 3600_000;

export async function ingestEvents(ctx: ServiceContext, agentId: string, batch: Static<typeof S.BootEventBatch>): Promise<number> {
  const agent = await ctx.store.read.getAgent(agentId);
  if (!agent) throw new ServerError('SERVER_ERR_UNAUTHENTICATED', 'agent no longer exists; enroll again');
  const parsed = batch.events.map((e, i) => {
    const atMs = Date.parse(e.at);
    if (!Number.isFinite(atMs)) throw fieldError(`body.events[${i}].at`, 'must be an ISO 8601 time');
    return { ...e, atMs };
  });
  // No event dated more than a day ahead of the server's clock: a row dated 2999 would never reach
  // the retention sweep and would top every timeline (security review M4). Past dates are kept (an
  // agent sends what it queued through an outage, and a slow clock must not hide an event); the
  // sweep removes them once past retention. The rest of the batch is kept, so an agent's queue
  // never sticks on one bad clock reading.
  const nowMs = ctx.nowMs();
  const events = parsed.filter((e) => e.atMs - nowMs <= EVENT_CLOCK_AHEAD_MS);
  if (events.length < parsed.length) {
    ctx.counters.increment('boot_events_dropped_total', { reason: 'timestamp' }, parsed.length - events.length);
    ctx.logger.warn('boot events dated more than a day ahead of the server clock dropped', { agentId, dropped: parsed.length - events.length });
  }
  const n = await ctx.store.write(async (repo) => {
    const count = await repo.insertEvents(agentId, agent.siteId, events);
    await repo.touchAgent(agentId, ctx.nowMs());
    return count;
  });
  ctx.counters.increment('boot_events_ingested_total', n);
  // Alerts: an agent saw a PXE responder on its LAN that is not the elected peerboot one (another
  // proxyDHCP, a DHCP server sending PXEClient, WDS) or two peerboot agents answering at once.
  for (const e of events) {
    if (!alertEventKinds.has(e.kind)) continue;
    ctx.counters.increment('alerts_raised_total', { kind: e.kind });
    ctx.logger.warn('ALERT: unexpected PXE responder on a LAN', { alert: e.kind, agentId, siteId: agent.siteId, at: e.at, reason: e.reason });
  }
  return n;
}

/** An agent as the console sees it, with its role from the current snapshot. */
export function agentView(ctx: ServiceContext, a: AgentRecord): S.Agent {
  const { decision, policy } = ctx.hub.policyOf(a);
  const needed = policy.doc.policy.packages.map((p) => p.manifest.id);
  const ready = new Set(a.packages.filter((p) => p.ready).map((p) => p.packageId));
  return {
    id: a.id, hostname: a.hostname, version: a.version, siteId: a.siteId, role: decision.role, roleReason: decision.detail,
    labels: a.labels, interfaces: a.interfaces, enrolledAt: iso(a.enrolledAtMs)!, lastSeenAt: iso(a.lastSeenAtMs),
    policyEtag: a.policyEtag, serving: a.serving, packages: a.packages, packagesReady: needed.every((id) => ready.has(id)),
  };
}

export async function listAgents(ctx: ServiceContext, q: Static<typeof S.AgentQuery>): Promise<S.Agent[]> {
  await ctx.hub.ensureCurrent();
  return (await ctx.store.read.listAgents({ siteId: q.siteId, limit: q.limit ?? 1000, offset: q.offset ?? 0 })).map((a) => agentView(ctx, a));
}

export async function getAgent(ctx: ServiceContext, id: string): Promise<S.Agent> {
  await ctx.hub.ensureCurrent();
  const a = await ctx.store.read.getAgent(id);
  if (!a) throw notFound('agent', id);
  return agentView(ctx, a);
}

export async function patchAgent(ctx: ServiceContext, id: string, body: Static<typeof S.AgentPatch>): Promise<S.Agent> {
  if (body.labels && !(await ctx.store.write((repo) => repo.setAgentLabels(id, body.labels!)))) throw notFound('agent', id);
  await ctx.bus.publish({ kind: 'agent', agentId: id });
  return getAgent(ctx, id);
}

export async function deleteAgent(ctx: ServiceContext, id: string): Promise<void> {
  const removed = await configWrite(ctx, async (repo) => {
    await repo.ex.run('DELETE FROM collection_members WHERE member_id = ?', [id]);
    return repo.deleteAgent(id);
  });
  if (!removed) throw notFound('agent', id);
  await ctx.bus.publish({ kind: 'agent', agentId: id }); // every server closes its open stream
  ctx.logger.info('agent deleted; credential revoked', { agentId: id });
}

// ---- sites -----------------------------------------------------------------------------------

function normalizeSubnets(list: string[], field: string): string[] {
  const out = list.map((c) => networkOf(c)!);
  const seen = new Set<string>();
  out.forEach((c, i) => {
    if (seen.has(c)) throw fieldError(`${field}[${i}]`, `repeats ${c}: each subnet once`);
    seen.add(c);
  });
  return out;
}

/**
 * The site's WAN settings after `change` (omitted fields keep `base`). The route's schema already
 * refuses bad values; this repeats the rule for callers that skip it, naming the field.
 */
export function siteWanAfter(base: S.SiteWan, change: Static<typeof S.SiteWanPatch> | undefined): S.SiteWan {
  const next: S.SiteWan = {
    capBytesPerSecond: change?.capBytesPerSecond !== undefined ? change.capBytesPerSecond : base.capBytesPerSecond,
    adaptive: change?.adaptive !== undefined ? change.adaptive : base.adaptive,
  };
  const cap = next.capBytesPerSecond;
  if (cap !== null && !(Number.isSafeInteger(cap) && cap >= minWanCapBytesPerSecond && cap <= maxWanCapBytesPerSecond)) {
    throw new ServerError('SERVER_ERR_VALIDATION',
      `body.wan.capBytesPerSecond must be an integer of bytes per second, ${minWanCapBytesPerSecond}–${maxWanCapBytesPerSecond}, or null for no cap (not ${cap})`,
      'body.wan.capBytesPerSecond');
  }
  if (typeof next.adaptive !== 'boolean') throw new ServerError('SERVER_ERR_VALIDATION', 'body.wan.adaptive must be a boolean', 'body.wan.adaptive');
  return next;
}

export async function createSite(ctx: ServiceContext, body: Static<typeof S.SiteCreate>): Promise<S.Site> {
  const subnets = normalizeSubnets(body.subnets, 'body.subnets');
  const wan = siteWanAfter(defaultSiteWan, body.wan);
  const id = randomUUID();
  await configWrite(ctx, async (repo) => {
    try { await repo.insertSite({ id, name: body.name, isAutoCreated: false, createdAtMs: ctx.nowMs(), wan }); } catch (e) { throw dbErrorToServerError(e, 'body.name'); }
    await claimSubnets(repo, id, subnets);
  });
  return (await ctx.store.read.getSite(id))!;
}

/** Sets a site's subnets; a subnet owned by another site is a 409 naming it (and the transaction rolls back). */
async function claimSubnets(repo: Repository, siteId: string, subnets: string[]): Promise<void> {
  for (const [i, cidr] of subnets.entries()) {
    const owner = await repo.siteOfSubnet(cidr);
    if (owner && owner !== siteId) throw new ServerError('SERVER_ERR_CONFLICT', `subnet ${cidr} already belongs to site ${owner}`, `body.subnets[${i}]`);
  }
  try { await repo.replaceSiteSubnets(siteId, subnets); } catch (e) { throw dbErrorToServerError(e, 'body.subnets'); }
}

/**
 * Renames a site, replaces its subnets and/or changes its WAN settings. Like every configuration
 * write it bumps the revision, so the site's agents get a policy with the new `site.wan` and a
 * higher serial (the policy hub pushes it to the agents whose document changed).
 */
export async function patchSite(ctx: ServiceContext, id: string, body: Static<typeof S.SitePatch>): Promise<S.Site> {
  await configWrite(ctx, async (repo) => {
    const site = await repo.getSite(id);
    if (!site) throw notFound('site', id);
    if (body.name !== undefined) {
      try { await repo.renameSite(id, body.name); } catch (e) { throw dbErrorToServerError(e, 'body.name'); }
    }
    if (body.subnets) await claimSubnets(repo, id, normalizeSubnets(body.subnets, 'body.subnets'));
    if (body.wan) {
      const wan = siteWanAfter(site.wan, body.wan);
      await repo.setSiteWan(id, wan);
      ctx.logger.info('site WAN settings changed', { siteId: id, capBytesPerSecond: wan.capBytesPerSecond, adaptive: wan.adaptive });
    }
  });
  return (await ctx.store.read.getSite(id))!;
}

export async function getSite(ctx: ServiceContext, id: string): Promise<S.Site> {
  const s = await ctx.store.read.getSite(id);
  if (!s) throw notFound('site', id);
  return s;
}

export async function deleteSite(ctx: ServiceContext, id: string): Promise<void> {
  if (!(await configWrite(ctx, (repo) => repo.deleteSite(id)))) throw notFound('site', id);
}

// ---- machines --------------------------------------------------------------------------------

function machineFrom(body: Static<typeof S.MachineCreate>, base: S.Machine): S.Machine {
  const m: S.Machine = {
    ...base,
    name: body.name !== undefined ? body.name : base.name,
    mac: body.mac !== undefined ? body.mac?.toLowerCase() ?? null : base.mac,
    smbiosUuid: body.smbiosUuid !== undefined ? body.smbiosUuid?.toLowerCase() ?? null : base.smbiosUuid,
    siteId: body.siteId !== undefined ? body.siteId : base.siteId,
    labels: body.labels ?? base.labels,
  };
  if (!m.mac && !m.smbiosUuid) throw fieldError('body.mac', 'or body.smbiosUuid is required: a known computer is found by one of them');
  return m;
}

async function checkSiteRef(repo: Repository, siteId: string | null): Promise<void> {
  if (siteId && !(await repo.getSite(siteId))) throw fieldError('body.siteId', `names no site (${siteId})`);
}

function machineConflict(err: unknown, m: S.Machine): unknown {
  if (!isUniqueViolation(err)) return err;
  const msg = String((err as Error).message);
  const field = /smbios/i.test(msg) ? 'body.smbiosUuid' : 'body.mac';
  return new ServerError('SERVER_ERR_CONFLICT', `another machine already has this ${field === 'body.mac' ? `MAC ${m.mac}` : `SMBIOS UUID ${m.smbiosUuid}`}`, field);
}

export async function createMachine(ctx: ServiceContext, body: Static<typeof S.MachineCreate>): Promise<S.Machine> {
  const m = machineFrom(body, { id: randomUUID(), name: null, mac: null, smbiosUuid: null, siteId: null, labels: {}, createdAt: iso(ctx.nowMs())! });
  try {
    await configWrite(ctx, async (repo) => { await checkSiteRef(repo, m.siteId); await repo.insertMachine(m, Date.parse(m.createdAt)); });
  } catch (err) {
    throw machineConflict(err, m);
  }
  return m;
}

export async function patchMachine(ctx: ServiceContext, id: string, body: Static<typeof S.MachinePatch>): Promise<S.Machine> {
  const prev = await ctx.store.read.getMachine(id);
  if (!prev) throw notFound('machine', id);
  const m = machineFrom(body, prev);
  try {
    await configWrite(ctx, async (repo) => { await checkSiteRef(repo, m.siteId); if (!(await repo.updateMachine(m))) throw notFound('machine', id); });
  } catch (err) {
    throw machineConflict(err, m);
  }
  return m;
}

export async function getMachine(ctx: ServiceContext, id: string): Promise<S.Machine> {
  const m = await ctx.store.read.getMachine(id);
  if (!m) throw notFound('machine', id);
  return m;
}

export async function deleteMachine(ctx: ServiceContext, id: string): Promise<void> {
  if (!(await configWrite(ctx, (repo) => repo.deleteMachine(id)))) throw notFound('machine', id);
}

// ---- collections -----------------------------------------------------------------------------

function checkRules(rules: S.CollectionRule[]): void {
  rules.forEach((r, i) => {
    const missing = ruleProblem(r);
    if (missing) throw fieldError(`body.rules[${i}].${missing}`, `is required for a rule of kind ${r.kind}`);
  });
}

async function checkMembers(repo: Repository, kind: 'agent' | 'machine', members: string[]): Promise<void> {
  for (const [i, id] of members.entries()) {
    const exists = kind === 'agent' ? await repo.getAgent(id) : await repo.getMachine(id);
    if (!exists) throw fieldError(`body.members[${i}]`, `names no ${kind} (${id})`);
  }
}

export async function createCollection(ctx: ServiceContext, body: Static<typeof S.CollectionCreate>): Promise<S.Collection> {
  const c: S.Collection = { id: randomUUID(), name: body.name, memberKind: body.memberKind, members: [...new Set(body.members ?? [])], rules: body.rules ?? [], createdAt: iso(ctx.nowMs())! };
  checkRules(c.rules);
  await configWrite(ctx, async (repo) => {
    await checkMembers(repo, c.memberKind, c.members);
    await repo.insertCollection(c, Date.parse(c.createdAt));
  }, 'body.name');
  return (await ctx.store.read.getCollection(c.id))!;
}

export async function patchCollection(ctx: ServiceContext, id: string, body: Static<typeof S.CollectionPatch>): Promise<S.Collection> {
  if (body.rules) checkRules(body.rules);
  await configWrite(ctx, async (repo) => {
    const prev = await repo.getCollection(id);
    if (!prev) throw notFound('collection', id);
    await repo.updateCollection({ id, name: body.name ?? prev.name, rules: body.rules ?? prev.rules });
    if (body.members) {
      await checkMembers(repo, prev.memberKind, body.members);
      await repo.replaceCollectionMembers(id, body.members);
    }
  }, 'body.name');
  return (await ctx.store.read.getCollection(id))!;
}

export async function getCollection(ctx: ServiceContext, id: string): Promise<S.Collection> {
  const c = await ctx.store.read.getCollection(id);
  if (!c) throw notFound('collection', id);
  return c;
}

export async function deleteCollection(ctx: ServiceContext, id: string): Promise<void> {
  await configWrite(ctx, async (repo) => {
    if (!(await repo.getCollection(id))) throw notFound('collection', id);
    if ((await repo.countDeploymentsUsing('collection_id', id)) > 0) throw new ServerError('SERVER_ERR_REFERENCED', `collection ${id} is used by a deployment`, 'params.id');
    if ((await repo.getPxeSettings()).targetCollectionIds.includes(id)) throw new ServerError('SERVER_ERR_REFERENCED', `collection ${id} is a target of the P2P PXE settings`, 'params.id');
    await repo.deleteCollection(id);
  });
}

export async function collectionMembers(ctx: ServiceContext, id: string): Promise<Static<typeof S.CollectionMembers>> {
  const c = await getCollection(ctx, id);
  const indexed = { ...c, memberSet: new Set(c.members) };
  if (c.memberKind === 'agent') {
    const agents = await ctx.store.read.listAgents();
    return { memberKind: 'agent', ids: agents.filter((a) => membershipOf(indexed, agentFacts(a))).map((a) => a.id) };
  }
  const machines = await ctx.store.read.listMachines();
  return { memberKind: 'machine', ids: machines.filter((m) => membershipOf(indexed, { id: m.id, name: m.name, labels: m.labels, addresses: [] })).map((m) => m.id) };
}
