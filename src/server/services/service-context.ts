/**
 * What every service function is given: the store, the change bus, the content store, the signing
 * key, wall time, logging and counters. Services are plain functions of (context, input), so route
 * tests and the CLI-free tests call them with in-memory parts.
 */
import type { Counters } from '../../platform/counters.js';
import type { Logger } from '../../platform/logger.js';
import { ServerError } from '../../contract/errors.js';
import type { SigningKey } from '../../contract/signature.js';
import type { PolicyHub } from '../policy/policy-hub.js';
import { isForeignKeyViolation, isUniqueViolation } from '../store/sql-database.js';
import type { Repository } from '../store/repository.js';
import type { Store } from '../store/store.js';
import type { ChangeBus } from './change-bus.js';
import type { ChunkStore } from './content-store.js';

export interface ServiceContext {
  store: Store;
  bus: ChangeBus;
  chunks: ChunkStore;
  signingKey: SigningKey;
  hub: PolicyHub;
  /** Wall-clock milliseconds (token expiry, timestamps); injectable for tests. */
  nowMs: () => number;
  logger: Logger;
  counters: Counters;
}

/**
 * A configuration write: runs `fn` and bumps the revision in one transaction, then tells every
 * server. A unique-key clash becomes 409 naming `conflictField`.
 */
export async function configWrite<T>(ctx: ServiceContext, fn: (repo: Repository) => Promise<T>, conflictField?: string): Promise<T> {
  let out: { result: T; revision: number };
  try {
    out = await ctx.store.write(async (repo) => {
      const result = await fn(repo);
      return { result, revision: await repo.bumpRevision() };
    });
  } catch (err) {
    throw dbErrorToServerError(err, conflictField);
  }
  await ctx.bus.publish({ kind: 'config', revision: out.revision });
  return out.result;
}

/** Maps engine constraint errors to stable API errors; anything else passes through. */
export function dbErrorToServerError(err: unknown, conflictField?: string): unknown {
  if (err instanceof ServerError) return err;
  if (isUniqueViolation(err)) return new ServerError('SERVER_ERR_CONFLICT', `${conflictField ?? 'a value'} is already in use`, conflictField);
  if (isForeignKeyViolation(err)) return new ServerError('SERVER_ERR_REFERENCED', 'a referenced object does not exist or is still in use');
  return err;
}

export const notFound = (what: string, id: string, field = 'params.id'): ServerError =>
  new ServerError('SERVER_ERR_NOT_FOUND', `${what} ${id} not found`, field);
