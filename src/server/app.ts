/**
 * Builds the HTTP API (fastify) from the contract's route table and the services; does not listen
 * (main.ts does), so tests drive it with app.inject(). One error handler turns every fault into
 * `{ code, message, field }` with the status from the contract's registry.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { api, type Api, type OperationId, type RouteDef } from '../contract/api.js';
import { ServerError, type ApiErrorBody } from '../contract/errors.js';
import { chunkSizeBytes } from '../contract/manifest.js';
import { buildOpenApi } from '../contract/openapi.js';
import { streamBootEvents } from './boot-event-stream.js';
import { registerConsole } from './console-static.js';
import { renderMetrics } from './metrics.js';
import * as admin from './services/admin-service.js';
import { authenticateAdmin, authenticateAgent, bearerOf, PasswordHashBusyError, type AdminAuth, type AgentAuth, type AuthRefusal } from './services/auth.js';
import * as boot from './services/boot-service.js';
import * as inventory from './services/inventory-service.js';
import type { ServiceContext } from './services/service-context.js';
import { DatabaseUnavailableError } from './store/sql-database.js';

export interface AppOptions {
  version: string;
  /** Keep-alive comment interval on policy streams. */
  streamPingMs?: number;
  /** Serve HTTPS with this PEM certificate and key. */
  https?: { cert: Buffer; key: Buffer };
  /**
   * A connection silent this long is closed (default 120 s, well above the streams' 25 s pings), and
   * a request must arrive whole within requestTimeoutMs (default 60 s): a client that sends half a
   * request and waits holds nothing for long (security review M1).
   */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

type Caller = { kind: 'admin'; auth: Extract<AdminAuth, { ok: true }> } | { kind: 'agent'; auth: Extract<AgentAuth, { ok: true }> } | { kind: 'none' };

interface HandlerInput {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  caller: Caller;
  req: FastifyRequest;
  reply: FastifyReply;
}

declare module 'fastify' {
  interface FastifyRequest { peerbootCaller: Caller | null }
}

function errorBody(code: ApiErrorBody['code'], message: string, field?: string): ApiErrorBody {
  return field ? { code, message, field } : { code, message };
}

/** A TypeBox path `/subnets/1` under `body` → `body.subnets[1]`. */
export function fieldOf(part: string, path: string): string {
  const where = part === 'querystring' ? 'query' : part;
  return where + path.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
}

/** What a schema wants, in words: its description, its allowed literals, or its type. */
function expectationOf(schema: TSchema): string | null {
  const s = schema as { description?: string; anyOf?: TSchema[]; const?: unknown; type?: string; minimum?: number; maximum?: number; minLength?: number; maxLength?: number };
  if (s.anyOf) {
    const literals = s.anyOf.filter((v) => (v as { const?: unknown }).const !== undefined).map((v) => JSON.stringify((v as { const?: unknown }).const));
    if (literals.length === s.anyOf.length) return `one of ${literals.join(', ')}`;
    const parts = s.anyOf.map((v) => ((v as { type?: string }).type === 'null' ? 'null' : expectationOf(v))).filter(Boolean);
    return parts.join(' or ');
  }
  if (s.description) return s.description;
  if (s.type === 'integer' || s.type === 'number') return `an ${s.type}${s.minimum !== undefined ? ` ≥ ${s.minimum}` : ''}${s.maximum !== undefined ? ` ≤ ${s.maximum}` : ''}`;
  if (s.type === 'string') return `a string${s.minLength ? ` of ${s.minLength}` : ''}${s.maxLength ? `–${s.maxLength} characters` : ''}`;
  return s.type ? `a${/^[aeiou]/.test(s.type) ? 'n' : ''} ${s.type}` : null;
}

/**
 * Validates one part of a request with its TypeBox schema: query strings and path parameters are
 * converted first (`?limit=5` → 5), bodies are taken as sent (a number is not a name). The first
 * error becomes a ServerError naming the field.
 */
export function compileRequestValidator(schema: TSchema, part: string): (data: unknown) => { value?: unknown; error?: Error } {
  const check = TypeCompiler.Compile(schema);
  const convert = part === 'querystring' || part === 'params';
  return (data) => {
    const value = convert ? Value.Convert(schema, data ?? {}) : data;
    if (check.Check(value)) return { value };
    const e = check.Errors(value).First()!;
    const field = fieldOf(part, e.path);
    const message = e.message === 'Expected required property' ? `${field} is required`
      : e.message === 'Unexpected property' ? `${field} is not a known field`
      : `${field} must be ${expectationOf(e.schema) ?? e.message.replace(/^Expected /, '')}`;
    return { error: new ServerError('SERVER_ERR_VALIDATION', message, field) };
  };
}

export async function buildApp(ctx: ServiceContext, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.https ? { https: options.https } : {}),
    logger: false,
    bodyLimit: 4 * 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: true,
    connectionTimeout: options.connectionTimeoutMs ?? 120_000,
    requestTimeout: options.requestTimeoutMs ?? 60_000,
  }) as unknown as FastifyInstance;
  const log = ctx.logger.child({ component: 'http' });
  app.decorateRequest('peerbootCaller', null);
  app.setValidatorCompiler(({ schema, httpPart }) => compileRequestValidator(schema as TSchema, httpPart ?? 'body'));
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: chunkSizeBytes + 1 }, (_req, body, done) => done(null, body));

  const refuse = (req: FastifyRequest, reason: AuthRefusal, who: 'admin' | 'agent'): ServerError => {
    ctx.counters.increment('auth_refused_total', { reason });
    log.warn('request refused', { reason, caller: who, method: req.method, route: req.routeOptions.url, remote: req.ip });
    if (reason === 'expired') return new ServerError('SERVER_ERR_TOKEN_EXPIRED', 'token expired; log in again or create a new API token');
    if (reason === 'wrongKind') return new ServerError('SERVER_ERR_FORBIDDEN', `this token cannot call ${who} routes`);
    if (reason === 'missingToken') return new ServerError('SERVER_ERR_UNAUTHENTICATED', 'authentication required: send Authorization: Bearer <token>');
    // An unknown token id and a wrong secret read the same: the answer does not tell which ids exist (security review L2).
    return new ServerError('SERVER_ERR_UNAUTHENTICATED', 'token refused: not a valid token (log in again, or create a new API token)');
  };

  const handled = new Set<string>();
  const register = (op: OperationId, handler: (input: HandlerInput) => Promise<unknown>) => {
    handled.add(op);
    const route: RouteDef = api[op];
    const schema: Record<string, unknown> = {};
    if (route.params) schema.params = route.params;
    if (route.query) schema.querystring = route.query;
    if (route.body && route.bodyKind !== 'binary') schema.body = route.body;
    app.route({
      method: route.method,
      url: route.path,
      schema,
      // Authenticate before the body is even parsed: an anonymous caller learns nothing about validation.
      onRequest: async (req) => {
        const token = bearerOf(req.headers.authorization);
        if (route.auth === 'admin') {
          const a = await authenticateAdmin(ctx.store.read, token, ctx.nowMs());
          if (!a.ok) throw refuse(req, a.reason, 'admin');
          if (a.kind === 'api') await ctx.store.read.touchCredential(a.credentialId, ctx.nowMs());
          req.peerbootCaller = { kind: 'admin', auth: a };
        } else if (route.auth === 'agent') {
          const a = await authenticateAgent(ctx.store.read, token);
          if (!a.ok) throw refuse(req, a.reason, 'agent');
          req.peerbootCaller = { kind: 'agent', auth: a };
        } else {
          req.peerbootCaller = { kind: 'none' };
        }
      },
      handler: async (req, reply) => {
        const out = await handler({
          params: (req.params ?? {}) as Record<string, string>, query: (req.query ?? {}) as Record<string, unknown>, body: req.body,
          caller: req.peerbootCaller!, req, reply,
        });
        if (reply.sent) return reply;
        if (route.successStatus && reply.statusCode === 200) reply.code(route.successStatus);
        return out;
      },
    });
  };

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    if (err instanceof ServerError) return reply.code(err.statusCode).send(errorBody(err.code, err.message, err.field));
    if (err instanceof PasswordHashBusyError) {
      ctx.counters.increment('auth_refused_total', { reason: 'hashQueueFull' });
      return reply.code(429).header('retry-after', '1').send(errorBody('SERVER_ERR_RATE_LIMITED', 'too many logins in progress; retry in a second'));
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send(errorBody('SERVER_ERR_PAYLOAD_TOO_LARGE', 'request body too large', 'body'));
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.code(415).send(errorBody('SERVER_ERR_UNSUPPORTED_MEDIA', `content type ${req.headers['content-type'] ?? '(none)'} not accepted here`, 'body'));
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (err.statusCode === 400 && err.name === 'SyntaxError')) {
      return reply.code(400).send(errorBody('SERVER_ERR_VALIDATION', `body is not valid JSON: ${err.message}`, 'body'));
    }
    if (err instanceof DatabaseUnavailableError) {
      log.error('database unavailable', { reason: err.message });
      return reply.code(503).send(errorBody('SERVER_ERR_UNAVAILABLE', err.message));
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send(errorBody('SERVER_ERR_VALIDATION', err.message));
    }
    log.error('request failed', { method: req.method, route: req.routeOptions?.url, reason: err.message, stack: err.stack });
    return reply.code(500).send(errorBody('SERVER_ERR_INTERNAL', 'internal error (see the server log)'));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody('SERVER_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)));

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    ctx.counters.increment('http_requests_total', { method: req.method, route, status: reply.statusCode });
    const fields = { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) log.error('request', fields);
    else if (req.method !== 'GET' && !route.startsWith('/api/v1/agent/')) log.info('request', fields);
    else log.debug('request', fields);
  });

  const adminOf = (c: Caller) => {
    if (c.kind !== 'admin') throw new ServerError('SERVER_ERR_FORBIDDEN', 'admin only');
    return c.auth;
  };
  const agentOf = (c: Caller) => {
    if (c.kind !== 'agent') throw new ServerError('SERVER_ERR_FORBIDDEN', 'agent only');
    return c.auth.agentId;
  };
  const ok = { ok: true as const };
  const openapi = buildOpenApi(options.version);

  // -- meta
  register('health', async ({ reply }) => {
    try { await ctx.store.read.getRevision(); } catch (err) {
      reply.code(503);
      return errorBody('SERVER_ERR_UNAVAILABLE', (err as Error).message);
    }
    return { status: 'ok', version: options.version };
  });
  register('openapi', async () => openapi);
  register('metrics', async ({ reply }) => {
    const metrics = await renderMetrics(ctx.counters, {
      process_resident_memory_bytes: process.memoryUsage().rss,
      policy_streams_open: ctx.hub.streamCount,
      config_revision: ctx.hub.revision,
    });
    reply.type(metrics.contentType);
    return metrics.text;
  });

  // -- auth
  register('login', async ({ body, req }) => admin.login(ctx, body as never, req.ip));
  register('logout', async ({ caller }) => { await admin.logout(ctx, adminOf(caller).credentialId); return ok; });
  register('me', async ({ caller }) => admin.me(ctx, adminOf(caller).userId));
  register('changePassword', async ({ caller, body }) => { await admin.changePassword(ctx, adminOf(caller).userId, body as never); return ok; });
  register('listUsers', async () => ctx.store.read.listUsers());
  register('createUser', async ({ body }) => admin.createUser(ctx, body as never));
  register('listApiTokens', async () => admin.listApiTokens(ctx));
  register('createApiToken', async ({ caller, body }) => admin.createApiToken(ctx, adminOf(caller).userId, body as never));
  register('deleteApiToken', async ({ params }) => { await admin.deleteApiToken(ctx, params.id!); return ok; });
  register('listEnrollmentTokens', async () => ctx.store.read.listEnrollmentTokens());
  register('createEnrollmentToken', async ({ body }) => admin.createEnrollmentToken(ctx, body as never));
  register('deleteEnrollmentToken', async ({ params }) => { await admin.deleteEnrollmentToken(ctx, params.id!); return ok; });

  // -- agents (console)
  register('listAgents', async ({ query }) => inventory.listAgents(ctx, query as never));
  register('getAgent', async ({ params }) => inventory.getAgent(ctx, params.id!));
  register('patchAgent', async ({ params, body }) => inventory.patchAgent(ctx, params.id!, body as never));
  register('deleteAgent', async ({ params }) => { await inventory.deleteAgent(ctx, params.id!); return ok; });
  register('getAgentPolicy', async ({ params }) => {
    const p = await ctx.hub.policyForAgent(params.id!);
    if (!p) throw new ServerError('SERVER_ERR_NOT_FOUND', `agent ${params.id} not found`, 'params.id');
    return p.policy.doc;
  });

  // -- agent API
  register('enroll', async ({ body, req }) => inventory.enrollAgent(ctx, body as never, req.ip));
  register('agentPolicy', async ({ caller, req, reply }) => {
    const p = await ctx.hub.policyForAgent(agentOf(caller));
    if (!p) throw new ServerError('SERVER_ERR_UNAUTHENTICATED', 'agent no longer exists; enroll again');
    reply.header('etag', `"${p.policy.etag}"`).header('cache-control', 'no-cache');
    const held = String(req.headers['if-none-match'] ?? '').replace(/^W\//, '').replace(/"/g, '');
    if (held === p.policy.etag) { reply.code(304); return reply.send(); }
    reply.type('application/json');
    return reply.send(p.policy.json);
  });
  register('agentPolicyStream', async ({ caller, req, reply }) => {
    const agentId = agentOf(caller);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    // W3C SSE: `retry` sets the client's reconnect delay.
    raw.write('retry: 2000\n\n');
    let closed = false;
    const sink = { write: (f: string) => { if (!closed) raw.write(f); }, close: () => { if (!closed) { closed = true; raw.end(); } } };
    const lastEventId = typeof req.headers['last-event-id'] === 'string' ? req.headers['last-event-id'] : null;
    let detach: (() => void) | null = null;
    const ping = setInterval(() => sink.write(': ping\n\n'), options.streamPingMs ?? 25_000);
    ping.unref();
    req.raw.socket.on('close', () => { closed = true; clearInterval(ping); detach?.(); ctx.counters.increment('policy_streams_closed_total'); });
    ctx.counters.increment('policy_streams_opened_total');
    try {
      detach = await ctx.hub.attach(agentId, sink, lastEventId);
      if (closed) detach();
      await ctx.store.read.touchAgent(agentId, ctx.nowMs());
    } catch (err) {
      log.error('policy stream failed', { agentId, reason: (err as Error).message });
      sink.close();
    }
  });
  register('agentStatus', async ({ caller, body }) => inventory.reportAgentStatus(ctx, agentOf(caller), body as never));
  register('agentEvents', async ({ caller, body }) => ({ accepted: await inventory.ingestEvents(ctx, agentOf(caller), body as never) }));
  register('agentChunk', async ({ params, reply }) => {
    const bytes = await ctx.chunks.get(params.sha256!);
    if (!bytes) throw new ServerError('SERVER_ERR_NOT_FOUND', `chunk ${params.sha256} not stored`, 'params.sha256');
    reply.type('application/octet-stream').header('cache-control', 'public, max-age=31536000, immutable');
    return reply.send(Buffer.from(bytes));
  });

  // -- sites, machines, collections
  register('listSites', async () => ctx.store.read.listSites());
  register('createSite', async ({ body }) => inventory.createSite(ctx, body as never));
  register('getSite', async ({ params }) => inventory.getSite(ctx, params.id!));
  register('patchSite', async ({ params, body }) => inventory.patchSite(ctx, params.id!, body as never));
  register('deleteSite', async ({ params }) => { await inventory.deleteSite(ctx, params.id!); return ok; });
  register('listMachines', async ({ query }) => ctx.store.read.listMachines({ ...(query as object), limit: (query.limit as number) ?? 1000, offset: (query.offset as number) ?? 0, mac: (query.mac as string | undefined)?.toLowerCase(), smbiosUuid: (query.smbiosUuid as string | undefined)?.toLowerCase() }));
  register('createMachine', async ({ body }) => inventory.createMachine(ctx, body as never));
  register('getMachine', async ({ params }) => inventory.getMachine(ctx, params.id!));
  register('patchMachine', async ({ params, body }) => inventory.patchMachine(ctx, params.id!, body as never));
  register('deleteMachine', async ({ params }) => { await inventory.deleteMachine(ctx, params.id!); return ok; });
  register('listCollections', async () => ctx.store.read.listCollections());
  register('createCollection', async ({ body }) => inventory.createCollection(ctx, body as never));
  register('getCollection', async ({ params }) => inventory.getCollection(ctx, params.id!));
  register('patchCollection', async ({ params, body }) => inventory.patchCollection(ctx, params.id!, body as never));
  register('deleteCollection', async ({ params }) => { await inventory.deleteCollection(ctx, params.id!); return ok; });
  register('collectionMembers', async ({ params }) => inventory.collectionMembers(ctx, params.id!));

  // -- profiles, deployments, settings
  register('listProfiles', async () => ctx.store.read.listProfiles());
  register('createProfile', async ({ body }) => boot.createProfile(ctx, body as never));
  register('getProfile', async ({ params }) => boot.getProfile(ctx, params.id!));
  register('getProfileByName', async ({ params }) => boot.getProfileByName(ctx, params.name!));
  register('patchProfile', async ({ params, body }) => boot.patchProfile(ctx, params.id!, body as never));
  register('deleteProfile', async ({ params }) => { await boot.deleteProfile(ctx, params.id!); return ok; });
  register('listDeployments', async () => ctx.store.read.listDeployments());
  register('createDeployment', async ({ body }) => boot.createDeployment(ctx, body as never));
  register('getDeployment', async ({ params }) => boot.getDeployment(ctx, params.id!));
  register('patchDeployment', async ({ params, body }) => boot.patchDeployment(ctx, params.id!, body as never));
  register('deleteDeployment', async ({ params }) => { await boot.deleteDeployment(ctx, params.id!); return ok; });
  register('getPxeSettings', async () => boot.getPxeSettings(ctx));
  register('putPxeSettings', async ({ body }) => boot.putPxeSettings(ctx, body as never));

  // -- packages
  register('findMissingChunks', async ({ body }) => ({ missing: await boot.findMissingChunks(ctx, (body as { sha256s: string[] }).sha256s) }));
  register('putChunk', async ({ params, body }) => {
    if (!Buffer.isBuffer(body)) throw new ServerError('SERVER_ERR_UNSUPPORTED_MEDIA', 'send the chunk as application/octet-stream', 'body');
    const isNew = await ctx.chunks.put(params.sha256!, body);
    if (isNew) ctx.counters.increment('chunks_stored_total');
    return { sha256: params.sha256!, sizeBytes: body.byteLength, isNew };
  });
  register('listPackages', async () => ctx.store.read.listPackages());
  register('createPackage', async ({ body }) => boot.createPackage(ctx, body as never));
  register('getPackage', async ({ params }) => boot.getPackage(ctx, params.id!));

  // -- events, coverage
  register('listEvents', async ({ query }) => {
    const q = query as { siteId?: string; agentId?: string; mac?: string; kind?: string; since?: string; until?: string; limit?: number };
    const time = (v: string | undefined, field: string) => {
      if (v === undefined) return undefined;
      const ms = Date.parse(v);
      if (!Number.isFinite(ms)) throw new ServerError('SERVER_ERR_VALIDATION', `query.${field} must be an ISO 8601 time`, `query.${field}`);
      return ms;
    };
    return ctx.store.read.listEvents({ siteId: q.siteId, agentId: q.agentId, mac: q.mac, kind: q.kind, sinceMs: time(q.since, 'since'), untilMs: time(q.until, 'until'), limit: q.limit ?? 200 });
  });
  register('coverage', async () => boot.coverage(ctx));
  register('eventStream', async ({ req, reply }) => streamBootEvents(ctx, req, reply, { pingMs: options.streamPingMs }));
  await registerConsole(app);

  // Every route in the contract must have a handler (the table is the single source).
  for (const op of Object.keys(api) as Array<keyof Api>) if (!handled.has(op)) throw new Error(`route ${op} has no handler`);
  return app;
}
