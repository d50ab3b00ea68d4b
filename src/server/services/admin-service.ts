/**
 * Admin users, sessions, API tokens and enrollment tokens. The first start creates user `admin`
 * with a random password that the caller writes once to <data-dir>/initial-admin.txt (mode 0600).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ServerError } from '../../contract/errors.js';
import type { Static } from '@sinclair/typebox';
import type * as S from '../../contract/schemas.js';
import { hashPassword, issueToken, verifyPassword } from './auth.js';
import { LoginThrottle } from './login-throttle.js';
import { dbErrorToServerError, notFound, type ServiceContext } from './service-context.js';
import { iso } from '../store/repository.js';

export const sessionLifetimeMs = 12 * 3600 * 1000;

/** Creates the first admin if there is no user yet; returns its credentials (to show once) or null. */
export async function bootstrapInitialAdmin(ctx: ServiceContext): Promise<{ username: string; password: string } | null> {
  if ((await ctx.store.read.countUsers()) > 0) return null;
  const password = randomBytes(18).toString('base64url');
  const passwordHash = await hashPassword(password);
  try {
    await ctx.store.write(async (repo) => {
      if ((await repo.countUsers()) > 0) throw new ServerError('SERVER_ERR_CONFLICT', 'an admin exists');
      await repo.insertUser({ id: randomUUID(), username: 'admin', passwordHash, createdAtMs: ctx.nowMs() });
    });
  } catch (err) {
    // Another server created it first (shared PostgreSQL): nothing to show here.
    if (err instanceof ServerError || (dbErrorToServerError(err) instanceof ServerError)) return null;
    throw err;
  }
  return { username: 'admin', password };
}

const throttles = new WeakMap<ServiceContext, LoginThrottle>();

/** `source`: the client's address; failures are counted per source (login-throttle.ts). */
export async function login(ctx: ServiceContext, body: Static<typeof S.LoginBody>, source = 'unknown'): Promise<Static<typeof S.LoginResult>> {
  let throttle = throttles.get(ctx);
  if (!throttle) { throttle = new LoginThrottle(); throttles.set(ctx, throttle); }
  const waitMs = throttle.waitMs(source, ctx.nowMs());
  if (waitMs > 0) {
    ctx.counters.increment('auth_refused_total', { reason: 'throttled' });
    ctx.logger.warn('login refused', { reason: 'throttled', username: body.username, source, waitMs });
    throw new ServerError('SERVER_ERR_RATE_LIMITED', `too many failed logins from ${source}; retry in ${Math.ceil(waitMs / 1000)} s`);
  }
  const user = await ctx.store.read.getUserByName(body.username);
  // Hash even for unknown users, so timing does not reveal which usernames exist.
  const ok = user ? await verifyPassword(body.password, user.passwordHash) : (await hashPassword(body.password), false);
  if (!user || !ok) {
    throttle.failed(source, ctx.nowMs());
    ctx.counters.increment('auth_refused_total', { reason: 'badPassword' });
    ctx.logger.warn('login refused', { reason: 'badPassword', username: body.username, source });
    throw new ServerError('SERVER_ERR_BAD_CREDENTIALS', 'wrong username or password');
  }
  throttle.succeeded(source);
  const t = issueToken('pbs');
  const nowMs = ctx.nowMs();
  const expiresAtMs = nowMs + sessionLifetimeMs;
  await ctx.store.write((repo) => repo.insertCredential({ id: t.id, kind: 'session', userId: user.id, name: 'session', secretHash: t.secretHash, createdAtMs: nowMs, expiresAtMs, lastUsedAtMs: null }));
  ctx.logger.info('admin logged in', { user: user.username });
  return { token: t.token, expiresAt: iso(expiresAtMs)!, user: { id: user.id, username: user.username, createdAt: user.createdAt } };
}

export async function logout(ctx: ServiceContext, credentialId: string): Promise<void> {
  await ctx.store.write((repo) => repo.deleteCredential(credentialId));
}

export async function me(ctx: ServiceContext, userId: string): Promise<S.User> {
  const u = await ctx.store.read.getUser(userId);
  if (!u) throw new ServerError('SERVER_ERR_UNAUTHENTICATED', 'user no longer exists');
  return { id: u.id, username: u.username, createdAt: u.createdAt };
}

export async function changePassword(ctx: ServiceContext, userId: string, body: Static<typeof S.PasswordChange>): Promise<void> {
  const u = await ctx.store.read.getUser(userId);
  if (!u || !(await verifyPassword(body.currentPassword, u.passwordHash))) {
    throw new ServerError('SERVER_ERR_BAD_CREDENTIALS', 'current password is wrong', 'body.currentPassword');
  }
  const hash = await hashPassword(body.newPassword);
  await ctx.store.write((repo) => repo.setPasswordHash(userId, hash));
}

export async function createUser(ctx: ServiceContext, body: Static<typeof S.UserCreate>): Promise<S.User> {
  const passwordHash = await hashPassword(body.password);
  try {
    return await ctx.store.write((repo) => repo.insertUser({ id: randomUUID(), username: body.username, passwordHash, createdAtMs: ctx.nowMs() }));
  } catch (err) {
    throw dbErrorToServerError(err, 'body.username');
  }
}

export async function listApiTokens(ctx: ServiceContext): Promise<S.ApiToken[]> {
  return (await ctx.store.read.listCredentials('api')).map((c) => ({
    id: c.id, name: c.name, userId: c.userId, createdAt: iso(c.createdAtMs)!, expiresAt: iso(c.expiresAtMs)!, lastUsedAt: iso(c.lastUsedAtMs),
  }));
}

export async function createApiToken(ctx: ServiceContext, userId: string, body: Static<typeof S.ApiTokenCreate>): Promise<Static<typeof S.ApiTokenCreated>> {
  const t = issueToken('pbt');
  const nowMs = ctx.nowMs();
  const expiresAtMs = nowMs + (body.expiresInDays ?? 90) * 86_400_000;
  await ctx.store.write((repo) => repo.insertCredential({ id: t.id, kind: 'api', userId, name: body.name, secretHash: t.secretHash, createdAtMs: nowMs, expiresAtMs, lastUsedAtMs: null }));
  ctx.logger.info('api token created', { tokenId: t.id, name: body.name });
  return { id: t.id, name: body.name, userId, createdAt: iso(nowMs)!, expiresAt: iso(expiresAtMs)!, lastUsedAt: null, token: t.token };
}

export async function deleteApiToken(ctx: ServiceContext, id: string): Promise<void> {
  if (!(await ctx.store.write((repo) => repo.deleteCredential(id, 'api')))) throw notFound('API token', id);
}

export async function createEnrollmentToken(ctx: ServiceContext, body: Static<typeof S.EnrollmentTokenCreate>): Promise<Static<typeof S.EnrollmentTokenCreated>> {
  const t = issueToken('pbe');
  const nowMs = ctx.nowMs();
  const expiresAtMs = nowMs + (body.expiresInHours ?? 24) * 3_600_000;
  const rec = { id: t.id, name: body.name, createdAt: iso(nowMs)!, expiresAt: iso(expiresAtMs)!, usesMax: body.usesMax ?? 100, uses: 0 };
  await ctx.store.write((repo) => repo.insertEnrollmentToken({ ...rec, secretHash: t.secretHash, expiresAtMs }, nowMs));
  ctx.logger.info('enrollment token created', { tokenId: t.id, name: body.name, expiresAt: rec.expiresAt });
  return { ...rec, token: t.token };
}

export async function deleteEnrollmentToken(ctx: ServiceContext, id: string): Promise<void> {
  if (!(await ctx.store.write((repo) => repo.deleteEnrollmentToken(id)))) throw notFound('enrollment token', id);
}
