/**
 * Assembles and starts a control-plane server: store (SQLite or PostgreSQL, migrated), signing key
 * (one per database, so every server of a PostgreSQL deployment signs alike), change bus, policy
 * hub, content store, HTTP app; listens; returns a handle to stop it cleanly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SigningKey } from '../contract/signature.js';
import { generateSigningKey } from '../platform/crypto/document-signature.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { Counters } from '../platform/counters.js';
import type { Logger } from '../platform/logger.js';
import { buildApp } from './app.js';
import type { ServerConfig } from './config.js';
import { PolicyHub } from './policy/policy-hub.js';
import { bootstrapInitialAdmin } from './services/admin-service.js';
import { memoryChangeBus, postgresChangeBus, type ChangeBus } from './services/change-bus.js';
import { fsChunkStore } from './services/content-store.js';
import type { ServiceContext } from './services/service-context.js';
import { openStore, type Store } from './store/store.js';
import type { FastifyInstance } from 'fastify';
import { peerbootVersion } from '../platform/version.js';
import { ensurePrivateDirectory } from '../platform/private-files.js';


export interface RunningServer {
  /** e.g. http://127.0.0.1:8470 (the bound port when 0 was asked). */
  url: string;
  port: number;
  app: FastifyInstance;
  ctx: ServiceContext;
  /** Set on the first start of a database: the admin credentials to show once. */
  initialAdmin: { username: string; password: string } | null;
  close(): Promise<void>;
}

/** Loads the database's signing key, creating it on first use (first writer wins across servers). */
export async function loadSigningKey(store: Store): Promise<SigningKey> {
  const stored = await store.write((repo) => repo.putMetaIfAbsent('signing_key', JSON.stringify(generateSigningKey())));
  return JSON.parse(stored) as SigningKey;
}

/** Builds the service context over an open store (tests use this with `:memory:` SQLite). */
export async function createServiceContext(store: Store, options: { dataDir?: string; bus?: ChangeBus; logger: Logger; clock?: Clock; nowMs?: () => number; debounceMs?: number; counters?: Counters; chunks?: ServiceContext['chunks'] }): Promise<ServiceContext> {
  const signingKey = await loadSigningKey(store);
  const bus = options.bus ?? memoryChangeBus();
  const counters = options.counters ?? new Counters();
  const hub = new PolicyHub({ store, bus, signingKey, clock: options.clock ?? systemClock, logger: options.logger.child({ component: 'policy' }), counters, debounceMs: options.debounceMs });
  await hub.start();
  const chunks = options.chunks ?? fsChunkStore(join(options.dataDir ?? '.', 'content', 'chunks'));
  return { store, bus, chunks, signingKey, hub, nowMs: options.nowMs ?? Date.now, logger: options.logger, counters };
}

export async function startServer(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  ensurePrivateDirectory(config.dataDir, 'the server data directory');
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  let bus: ChangeBus | undefined;
  try {
    if (store.db.dialect === 'postgres') {
      bus = await postgresChangeBus(config.databaseUrl!, (store.db as unknown as { pool: import('pg').Pool }).pool, logger.child({ component: 'bus' }));
    }
    const ctx = await createServiceContext(store, { dataDir: config.dataDir, bus, logger, debounceMs: config.policyDebounceMs });
    const initialAdmin = await bootstrapInitialAdmin(ctx);
    const https = config.tlsCertPath && config.tlsKeyPath ? { cert: readFileSync(config.tlsCertPath), key: readFileSync(config.tlsKeyPath) } : undefined;
    const app = await buildApp(ctx, { version: peerbootVersion, https });
    await app.listen({ host: config.host, port: config.port });
    // Housekeeping, hourly: expired sessions and API tokens (refused anyway), boot events past retention.
    const sweep = setInterval(() => {
      const now = Date.now();
      void store.write(async (repo) => ({
        credentials: await repo.deleteExpiredCredentials(now),
        events: await repo.deleteEventsBefore(now - config.eventsRetentionDays * 86_400_000),
      }))
        .then((n) => { if (n.credentials + n.events > 0) logger.info('housekeeping', { expiredCredentials: n.credentials, oldEvents: n.events }); })
        .catch((err: Error) => logger.warn('housekeeping failed', { reason: err.message }));
    }, 3_600_000);
    sweep.unref();
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `${https ? 'https' : 'http'}://${shownHost}:${port}`;
    logger.info('server listening', { url, database: store.db.dialect, location: store.db.location, dataDir: config.dataDir });
    return {
      url, port, app, ctx, initialAdmin,
      async close() {
        clearInterval(sweep);
        ctx.hub.stop();
        await app.close();
        await ctx.bus.close();
        await store.close();
      },
    };
  } catch (err) {
    await bus?.close().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
}
