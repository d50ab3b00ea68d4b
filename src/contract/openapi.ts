/**
 * Builds the OpenAPI 3.1 document from the route table (OpenAPI 3.1 schemas are JSON Schema 2020-12,
 * which TypeBox emits). Served at /openapi.json.
 */
import type { TSchema } from '@sinclair/typebox';
import { api, type RouteDef } from './api.js';

type JsonObject = Record<string, unknown>;

function clean(schema: TSchema): JsonObject {
  // TypeBox marks schemas with symbol keys; JSON.stringify drops them, which is what we want.
  return JSON.parse(JSON.stringify(schema)) as JsonObject;
}

function parametersOf(route: RouteDef): JsonObject[] {
  const out: JsonObject[] = [];
  const add = (where: 'path' | 'query', schema: TSchema | undefined) => {
    const props = (schema as { properties?: Record<string, TSchema> } | undefined)?.properties ?? {};
    const required = new Set((schema as { required?: string[] } | undefined)?.required ?? []);
    for (const [name, s] of Object.entries(props)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: clean(s) });
    }
  };
  add('path', route.params);
  add('query', route.query);
  return out;
}

/** The OpenAPI document for `version`. */
export function buildOpenApi(version: string): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const [operationId, route] of Object.entries(api) as Array<[string, RouteDef]>) {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const status = String(route.successStatus ?? 200);
    const content: JsonObject = route.responseKind === 'stream' ? { 'text/event-stream': { schema: { type: 'string' } } }
      : route.responseKind === 'binary' ? { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } }
      : route.responseKind === 'text' ? { 'text/plain': { schema: { type: 'string' } } }
      : { 'application/json': { schema: route.response ? clean(route.response) : {} } };
    const op: JsonObject = {
      operationId,
      summary: route.summary,
      tags: [route.tag],
      parameters: parametersOf(route),
      responses: {
        [status]: { description: 'OK', content },
        '4XX': { description: 'Refused; `code` is stable, `field` names the input', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
      security: route.auth === 'admin' ? [{ adminToken: [] }] : route.auth === 'agent' ? [{ agentToken: [] }] : [],
    };
    if (route.body) {
      op.requestBody = {
        required: true,
        content: route.bodyKind === 'binary'
          ? { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } }
          : { 'application/json': { schema: clean(route.body) } },
      };
    }
    (paths[path] ??= {})[route.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'peerboot control plane', version, description: 'Agents, sites, machines, collections, boot profiles, deployments, the P2P PXE policy, packages and boot events.' },
    paths,
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'Session token from /api/v1/auth/login, or an API token' },
        agentToken: { type: 'http', scheme: 'bearer', description: 'The credential an agent received at enrollment' },
      },
      schemas: {
        Error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } } },
      },
    },
  };
}
