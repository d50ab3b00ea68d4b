/**
 * Authentication: admin users (scrypt password hashes), sessions and API tokens, enrollment tokens,
 * agent credentials. Tokens are `<kind>.<id>.<secret>`; only SHA-256 of the secret is stored (the
 * secret is 256 random bits, so a fast hash suffices; passwords get scrypt). Every refusal is a
 * value with a reason, logged and counted by the caller.
 */
import { createHash, randomBytes, randomUUID, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Repository } from '../store/repository.js';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/** scrypt parameters (RFC 7914): N=2^15, r=8, p=1 — about 32 MiB and ~50 ms per hash on this class of machine. */
const scryptParams = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/**
 * At most `running` password hashes at a time, and at most `queued` waiting: each scrypt takes a
 * libuv worker for ~60 ms, the same small pool that reads files and chunks, so anonymous logins
 * must not be able to queue without end (security review M1). Beyond the queue, a hash is refused
 * at once with PasswordHashBusyError (the API answers 429).
 */
export class PasswordHashGate {
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  constructor(readonly running = 2, readonly queued = 32) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.running) {
      if (this.#waiting.length >= this.queued) throw new PasswordHashBusyError();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next(); // the slot passes straight to the next in line
      else this.#running--;
    }
  }
}

export class PasswordHashBusyError extends Error {
  constructor() {
    super('too many password checks in progress');
    this.name = 'PasswordHashBusyError';
  }
}

/** The process's one gate: every scrypt (login, new user, password change) goes through it. */
export const passwordHashGate = new PasswordHashGate();

/** `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await passwordHashGate.run(() => scrypt(password, salt, 32, scryptParams));
  return ['scrypt', scryptParams.N, scryptParams.r, scryptParams.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await passwordHashGate.run(() => scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 }));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export type TokenKind = 'pbs' | 'pbt' | 'pba' | 'pbe';
/** pbs: session, pbt: API token, pba: agent credential, pbe: enrollment token. */
export const tokenKindNames: Record<TokenKind, string> = { pbs: 'session', pbt: 'api', pba: 'agent', pbe: 'enrollment' };

export interface IssuedToken { id: string; token: string; secretHash: string }

export const secretHashOf = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** A new token of `kind` (id is a UUID unless given). */
export function issueToken(kind: TokenKind, id: string = randomUUID()): IssuedToken {
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${kind}.${id}.${secret}`, secretHash: secretHashOf(secret) };
}

export interface ParsedToken { kind: TokenKind; id: string; secret: string }

/** Splits a token; null when it is not one of ours. */
export function parseToken(token: string): ParsedToken | null {
  const m = /^(pbs|pbt|pba|pbe)\.([A-Za-z0-9-]{1,64})\.([A-Za-z0-9_-]{20,128})$/.exec(token);
  return m ? { kind: m[1] as TokenKind, id: m[2]!, secret: m[3]! } : null;
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(secretHashOf(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export type AuthRefusal = 'missingToken' | 'malformedToken' | 'wrongKind' | 'unknownToken' | 'badSecret' | 'expired';

export type AdminAuth = { ok: true; userId: string; credentialId: string; kind: 'session' | 'api' } | { ok: false; reason: AuthRefusal };
export type AgentAuth = { ok: true; agentId: string } | { ok: false; reason: AuthRefusal };

/** The bearer token of an Authorization header, or null. */
export function bearerOf(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/** Checks an admin token (session or API token). */
export async function authenticateAdmin(repo: Repository, token: string | null, nowMs: number): Promise<AdminAuth> {
  if (!token) return { ok: false, reason: 'missingToken' };
  const t = parseToken(token);
  if (!t) return { ok: false, reason: 'malformedToken' };
  if (t.kind !== 'pbs' && t.kind !== 'pbt') return { ok: false, reason: 'wrongKind' };
  const c = await repo.getCredential(t.id);
  if (!c || c.kind !== (t.kind === 'pbs' ? 'session' : 'api')) return { ok: false, reason: 'unknownToken' };
  if (!secretMatches(t.secret, c.secretHash)) return { ok: false, reason: 'badSecret' };
  if (c.expiresAtMs <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, userId: c.userId, credentialId: c.id, kind: c.kind };
}

/** Checks an agent credential. */
export async function authenticateAgent(repo: Repository, token: string | null): Promise<AgentAuth> {
  if (!token) return { ok: false, reason: 'missingToken' };
  const t = parseToken(token);
  if (!t) return { ok: false, reason: 'malformedToken' };
  if (t.kind !== 'pba') return { ok: false, reason: 'wrongKind' };
  const hash = await repo.getAgentSecretHash(t.id);
  if (!hash) return { ok: false, reason: 'unknownToken' };
  if (!secretMatches(t.secret, hash)) return { ok: false, reason: 'badSecret' };
  return { ok: true, agentId: t.id };
}
