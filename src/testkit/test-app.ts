/**
 * Test fixture: a control-plane app over a fresh store (either engine), an in-memory content store,
 * a memory logger, a settable wall clock, and a logged-in admin. Imported only by tests.
 */
import type { FastifyInstance } from 'fastify';
import type { InjectOptions } from 'fastify';
import { Counters } from '../platform/counters.js';
import { memoryLogger } from '../platform/logger.js';
import { buildApp } from '../server/app.js';
import { bootstrapInitialAdmin } from '../server/services/admin-service.js';
import { memoryChunkStore } from '../server/services/content-store.js';
import type { ServiceContext } from '../server/services/service-context.js';
import { createServiceContext } from '../server/server.js';
import type { ChangeBus } from '../server/services/change-bus.js';
import type { Store } from '../server/store/store.js';

export interface TestApp {
  app: FastifyInstance;
  ctx: ServiceContext;
  store: Store;
  logger: ReturnType<typeof memoryLogger>;
  adminToken: string;
  adminPassword: string;
  /** Wall clock the services see; move it to expire tokens. */
  clock: { nowMs: number };
  /** inject with the admin token; `token: null` sends none. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test responses are probed field by field
  call(method: InjectOptions['method'], url: string, body?: unknown, token?: string | null, from?: string): Promise<{ status: number; json: any; headers: Record<string, unknown>; body: string }>;
  close(): Promise<void>;
}

export async function startTestApp(store: Store, options: { bus?: ChangeBus } = {}): Promise<TestApp> {
  const logger = memoryLogger();
  const clock = { nowMs: Date.now() };
  const ctx = await createServiceContext(store, { logger, nowMs: () => clock.nowMs, chunks: memoryChunkStore(), debounceMs: 1, counters: new Counters(), bus: options.bus });
  const creds = (await bootstrapInitialAdmin(ctx))!;
  const app = await buildApp(ctx, { version: 'test' });
  const call: TestApp['call'] = async (method, url, body, token, from) => {
    const t = token === undefined ? adminToken : token;
    const headers: Record<string, string> = {};
    if (t) headers.authorization = `Bearer ${t}`;
    if (Buffer.isBuffer(body)) headers['content-type'] = 'application/octet-stream';
    const res = await app.inject({ method, url, headers, ...(body !== undefined ? { payload: body as object } : {}), ...(from ? { remoteAddress: from } : {}) });
    let json: unknown = null;
    try { json = res.body ? JSON.parse(res.body) : null; } catch { json = null; }
    return { status: res.statusCode, json, headers: res.headers as Record<string, unknown>, body: res.body };
  };
  let adminToken = '';
  const login = await call('POST', '/api/v1/auth/login', { username: creds.username, password: creds.password }, null);
  if (login.status !== 200) throw new Error(`test login failed: ${login.body}`);
  adminToken = login.json.token;
  return {
    app, ctx, store, logger, adminToken, adminPassword: creds.password, clock, call,
    async close() {
      ctx.hub.stop();
      await app.close();
      await ctx.bus.close();
      await store.close();
    },
  };
}
