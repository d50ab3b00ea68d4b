/**
 * The HTTP API, route by route: one table from which the server registers handlers (with schema
 * validation), the OpenAPI document is generated, and the typed client derives its call signatures.
 * Paths use `:name` parameters. `auth` says who may call: `admin` (session or API token), `agent`
 * (the credential issued at enrollment), `enrollment` (an enrollment token in the body), `none`.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import * as S from './schemas.js';
import { SignedManifest } from './manifest.js';
import { SignedPolicy } from './policy.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type RouteAuth = 'none' | 'admin' | 'agent' | 'enrollment';

export interface RouteDef {
  method: HttpMethod;
  path: string;
  auth: RouteAuth;
  tag: string;
  summary: string;
  params?: TSchema;
  query?: TSchema;
  body?: TSchema;
  /** `binary`: the body is application/octet-stream (chunk upload), not JSON. */
  bodyKind?: 'json' | 'binary';
  /** Schema of a 2xx JSON answer; absent for streams and binary answers. */
  response?: TSchema;
  /** `binary` answers carry octet-stream; `stream` is text/event-stream. */
  responseKind?: 'json' | 'binary' | 'stream' | 'text';
  successStatus?: 200 | 201 | 204;
}

const r = <const T extends RouteDef>(def: T): T => def;

export const api = {
  // -- anonymous & meta
  health: r({ method: 'GET', path: '/healthz', auth: 'none', tag: 'meta', summary: 'Liveness: the process is up and the database answers', response: S.Health }),
  openapi: r({ method: 'GET', path: '/openapi.json', auth: 'admin', tag: 'meta', summary: 'This document', response: Type.Any() }),
  metrics: r({ method: 'GET', path: '/metrics', auth: 'admin', tag: 'meta', summary: 'Prometheus text exposition', responseKind: 'text' }),

  // -- admin authentication
  login: r({ method: 'POST', path: '/api/v1/auth/login', auth: 'none', tag: 'auth', summary: 'Exchange username + password for a session token', body: S.LoginBody, response: S.LoginResult }),
  logout: r({ method: 'POST', path: '/api/v1/auth/logout', auth: 'admin', tag: 'auth', summary: 'End the calling session or revoke the calling API token', response: S.Ok }),
  me: r({ method: 'GET', path: '/api/v1/auth/me', auth: 'admin', tag: 'auth', summary: 'The calling user', response: S.User }),
  changePassword: r({ method: 'POST', path: '/api/v1/auth/password', auth: 'admin', tag: 'auth', summary: 'Change the calling user’s password', body: S.PasswordChange, response: S.Ok }),
  listUsers: r({ method: 'GET', path: '/api/v1/users', auth: 'admin', tag: 'auth', summary: 'Admin users', response: Type.Array(S.User) }),
  createUser: r({ method: 'POST', path: '/api/v1/users', auth: 'admin', tag: 'auth', summary: 'Add an admin user', body: S.UserCreate, response: S.User, successStatus: 201 }),
  listApiTokens: r({ method: 'GET', path: '/api/v1/tokens', auth: 'admin', tag: 'auth', summary: 'API tokens (hashes are never shown)', response: Type.Array(S.ApiToken) }),
  createApiToken: r({ method: 'POST', path: '/api/v1/tokens', auth: 'admin', tag: 'auth', summary: 'Create an API token for the calling user (shown once)', body: S.ApiTokenCreate, response: S.ApiTokenCreated, successStatus: 201 }),
  deleteApiToken: r({ method: 'DELETE', path: '/api/v1/tokens/:id', auth: 'admin', tag: 'auth', summary: 'Revoke an API token', params: S.IdParams, response: S.Ok }),
  listEnrollmentTokens: r({ method: 'GET', path: '/api/v1/enrollment-tokens', auth: 'admin', tag: 'auth', summary: 'Enrollment tokens', response: Type.Array(S.EnrollmentToken) }),
  createEnrollmentToken: r({ method: 'POST', path: '/api/v1/enrollment-tokens', auth: 'admin', tag: 'auth', summary: 'Create an enrollment token for `peerboot agent --token` (shown once)', body: S.EnrollmentTokenCreate, response: S.EnrollmentTokenCreated, successStatus: 201 }),
  deleteEnrollmentToken: r({ method: 'DELETE', path: '/api/v1/enrollment-tokens/:id', auth: 'admin', tag: 'auth', summary: 'Revoke an enrollment token', params: S.IdParams, response: S.Ok }),

  // -- agents, as the console sees them
  listAgents: r({ method: 'GET', path: '/api/v1/agents', auth: 'admin', tag: 'agents', summary: 'Agent inventory', query: S.AgentQuery, response: Type.Array(S.Agent) }),
  getAgent: r({ method: 'GET', path: '/api/v1/agents/:id', auth: 'admin', tag: 'agents', summary: 'One agent', params: S.IdParams, response: S.Agent }),
  patchAgent: r({ method: 'PATCH', path: '/api/v1/agents/:id', auth: 'admin', tag: 'agents', summary: 'Set an agent’s labels', params: S.IdParams, body: S.AgentPatch, response: S.Agent }),
  deleteAgent: r({ method: 'DELETE', path: '/api/v1/agents/:id', auth: 'admin', tag: 'agents', summary: 'Forget an agent and revoke its credential', params: S.IdParams, response: S.Ok }),
  getAgentPolicy: r({ method: 'GET', path: '/api/v1/agents/:id/policy', auth: 'admin', tag: 'agents', summary: 'The signed policy this agent receives now', params: S.IdParams, response: SignedPolicy }),

  // -- the agent's own API
  enroll: r({ method: 'POST', path: '/api/v1/agent/enroll', auth: 'enrollment', tag: 'agent', summary: 'Enroll with an enrollment token; returns the agent credential and the policy key', body: S.EnrollBody, response: S.EnrollResult, successStatus: 201 }),
  agentPolicy: r({ method: 'GET', path: '/api/v1/agent/policy', auth: 'agent', tag: 'agent', summary: 'The signed policy; send If-None-Match with the held etag to get 304 when unchanged (polling fallback)', response: SignedPolicy }),
  agentPolicyStream: r({ method: 'GET', path: '/api/v1/agent/policy/stream', auth: 'agent', tag: 'agent', summary: 'Server-sent events: `event: policy` with a SignedPolicy as data on connect (unless Last-Event-ID equals the etag) and on every change; `: ping` every 25 s', responseKind: 'stream' }),
  agentStatus: r({ method: 'POST', path: '/api/v1/agent/status', auth: 'agent', tag: 'agent', summary: 'Report inventory and readiness (every minute and on change); with agentPublicKey, the answer carries a fresh agent certificate', body: S.AgentStatusReport, response: S.AgentStatusResult }),
  agentEvents: r({ method: 'POST', path: '/api/v1/agent/events', auth: 'agent', tag: 'agent', summary: 'Report boot events (batched)', body: S.BootEventBatch, response: S.Accepted, successStatus: 200 }),
  agentChunk: r({ method: 'GET', path: '/api/v1/agent/chunks/:sha256', auth: 'agent', tag: 'agent', summary: 'Fetch one content chunk (the fallback when no peer holds it)', params: S.ChunkParams, responseKind: 'binary' }),

  // -- sites, machines, collections
  listSites: r({ method: 'GET', path: '/api/v1/sites', auth: 'admin', tag: 'sites', summary: 'Sites (named sets of subnets; created from agent subnets automatically)', response: Type.Array(S.Site) }),
  createSite: r({ method: 'POST', path: '/api/v1/sites', auth: 'admin', tag: 'sites', summary: 'Create a site', body: S.SiteCreate, response: S.Site, successStatus: 201 }),
  getSite: r({ method: 'GET', path: '/api/v1/sites/:id', auth: 'admin', tag: 'sites', summary: 'One site', params: S.IdParams, response: S.Site }),
  patchSite: r({ method: 'PATCH', path: '/api/v1/sites/:id', auth: 'admin', tag: 'sites', summary: 'Rename a site, replace its subnets, or set its WAN bandwidth (cap in bytes/s, adaptive mode); agents of the site get the change in their next policy', params: S.IdParams, body: S.SitePatch, response: S.Site }),
  deleteSite: r({ method: 'DELETE', path: '/api/v1/sites/:id', auth: 'admin', tag: 'sites', summary: 'Delete a site (its agents become siteless until they report again)', params: S.IdParams, response: S.Ok }),

  listMachines: r({ method: 'GET', path: '/api/v1/machines', auth: 'admin', tag: 'machines', summary: 'Known computers', query: S.MachineQuery, response: Type.Array(S.Machine) }),
  createMachine: r({ method: 'POST', path: '/api/v1/machines', auth: 'admin', tag: 'machines', summary: 'Add a known computer', body: S.MachineCreate, response: S.Machine, successStatus: 201 }),
  getMachine: r({ method: 'GET', path: '/api/v1/machines/:id', auth: 'admin', tag: 'machines', summary: 'One known computer', params: S.IdParams, response: S.Machine }),
  patchMachine: r({ method: 'PATCH', path: '/api/v1/machines/:id', auth: 'admin', tag: 'machines', summary: 'Change a known computer', params: S.IdParams, body: S.MachinePatch, response: S.Machine }),
  deleteMachine: r({ method: 'DELETE', path: '/api/v1/machines/:id', auth: 'admin', tag: 'machines', summary: 'Forget a known computer', params: S.IdParams, response: S.Ok }),

  listCollections: r({ method: 'GET', path: '/api/v1/collections', auth: 'admin', tag: 'collections', summary: 'Collections of agents or machines', response: Type.Array(S.Collection) }),
  createCollection: r({ method: 'POST', path: '/api/v1/collections', auth: 'admin', tag: 'collections', summary: 'Create a collection (static members and rules)', body: S.CollectionCreate, response: S.Collection, successStatus: 201 }),
  getCollection: r({ method: 'GET', path: '/api/v1/collections/:id', auth: 'admin', tag: 'collections', summary: 'One collection', params: S.IdParams, response: S.Collection }),
  patchCollection: r({ method: 'PATCH', path: '/api/v1/collections/:id', auth: 'admin', tag: 'collections', summary: 'Rename, replace members or rules', params: S.IdParams, body: S.CollectionPatch, response: S.Collection }),
  deleteCollection: r({ method: 'DELETE', path: '/api/v1/collections/:id', auth: 'admin', tag: 'collections', summary: 'Delete a collection not used by a deployment or the settings', params: S.IdParams, response: S.Ok }),
  collectionMembers: r({ method: 'GET', path: '/api/v1/collections/:id/members', auth: 'admin', tag: 'collections', summary: 'Resolved members (static + rule matches)', params: S.IdParams, response: S.CollectionMembers }),

  // -- boot profiles, deployments, settings
  listProfiles: r({ method: 'GET', path: '/api/v1/profiles', auth: 'admin', tag: 'profiles', summary: 'Boot profiles', response: Type.Array(S.BootProfile) }),
  createProfile: r({ method: 'POST', path: '/api/v1/profiles', auth: 'admin', tag: 'profiles', summary: 'Create a boot profile (fields left out take the kind’s defaults)', body: S.BootProfileCreate, response: S.BootProfile, successStatus: 201 }),
  getProfile: r({ method: 'GET', path: '/api/v1/profiles/:id', auth: 'admin', tag: 'profiles', summary: 'One boot profile', params: S.IdParams, response: S.BootProfile }),
  getProfileByName: r({ method: 'GET', path: '/api/v1/profiles/by-name/:name', auth: 'admin', tag: 'profiles', summary: 'One boot profile by name', params: S.ProfileByNameParams, response: S.BootProfile }),
  patchProfile: r({ method: 'PATCH', path: '/api/v1/profiles/:id', auth: 'admin', tag: 'profiles', summary: 'Change a boot profile', params: S.IdParams, body: S.BootProfilePatch, response: S.BootProfile }),
  deleteProfile: r({ method: 'DELETE', path: '/api/v1/profiles/:id', auth: 'admin', tag: 'profiles', summary: 'Delete a profile no deployment or setting uses', params: S.IdParams, response: S.Ok }),

  listDeployments: r({ method: 'GET', path: '/api/v1/deployments', auth: 'admin', tag: 'deployments', summary: 'Deployments', response: Type.Array(S.Deployment) }),
  createDeployment: r({ method: 'POST', path: '/api/v1/deployments', auth: 'admin', tag: 'deployments', summary: 'Assign a boot profile to a machine collection', body: S.DeploymentCreate, response: S.Deployment, successStatus: 201 }),
  getDeployment: r({ method: 'GET', path: '/api/v1/deployments/:id', auth: 'admin', tag: 'deployments', summary: 'One deployment', params: S.IdParams, response: S.Deployment }),
  patchDeployment: r({ method: 'PATCH', path: '/api/v1/deployments/:id', auth: 'admin', tag: 'deployments', summary: 'Change a deployment', params: S.IdParams, body: S.DeploymentPatch, response: S.Deployment }),
  deleteDeployment: r({ method: 'DELETE', path: '/api/v1/deployments/:id', auth: 'admin', tag: 'deployments', summary: 'Delete a deployment', params: S.IdParams, response: S.Ok }),

  getPxeSettings: r({ method: 'GET', path: '/api/v1/pxe-settings', auth: 'admin', tag: 'settings', summary: 'The P2P PXE settings', response: S.PxeSettings }),
  putPxeSettings: r({ method: 'PUT', path: '/api/v1/pxe-settings', auth: 'admin', tag: 'settings', summary: 'Replace the P2P PXE settings (Enable, target collections, unknown computers, toolkit); pushed to agents', body: S.PxeSettingsUpdate, response: S.PxeSettings }),

  // -- packages and the content store
  findMissingChunks: r({ method: 'POST', path: '/api/v1/chunks/missing', auth: 'admin', tag: 'packages', summary: 'Which of these chunks the store lacks (upload only those)', body: S.ChunkList, response: S.MissingChunks }),
  putChunk: r({ method: 'PUT', path: '/api/v1/chunks/:sha256', auth: 'admin', tag: 'packages', summary: 'Upload one chunk (≤ 1 MiB, application/octet-stream); refused unless its SHA-256 is the name', params: S.ChunkParams, body: Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary' }), bodyKind: 'binary', response: S.ChunkStored }),
  listPackages: r({ method: 'GET', path: '/api/v1/packages', auth: 'admin', tag: 'packages', summary: 'Package versions', response: Type.Array(S.PackageSummary) }),
  createPackage: r({ method: 'POST', path: '/api/v1/packages', auth: 'admin', tag: 'packages', summary: 'Record a new package version from uploaded chunks; checks the profile’s files are there, signs the manifest, and points the profile at it', body: S.PackageCreate, response: SignedManifest, successStatus: 201 }),
  getPackage: r({ method: 'GET', path: '/api/v1/packages/:id', auth: 'admin', tag: 'packages', summary: 'A signed manifest', params: S.IdParams, response: SignedManifest }),

  // -- ingestion results for the console
  listEvents: r({ method: 'GET', path: '/api/v1/events', auth: 'admin', tag: 'events', summary: 'Boot event timeline, newest first', query: S.EventQuery, response: Type.Array(S.BootEvent) }),
  eventStream: r({ method: 'GET', path: '/api/v1/events/stream', auth: 'admin', tag: 'events', summary: 'Live boot events for the console (server-sent events): `event: boot` with a BootEvent as data, its id as the SSE id, for every event stored after the stream opened or after the id sent as Last-Event-ID; `: ping` every 25 s', responseKind: 'stream' }),
  coverage: r({ method: 'GET', path: '/api/v1/coverage', auth: 'admin', tag: 'events', summary: 'Per site and subnet: agents, responders, ready responders, covered or not', response: S.Coverage }),
} as const satisfies Record<string, RouteDef>;

export type Api = typeof api;
export type OperationId = keyof Api;

type StaticOr<T, Fallback> = T extends TSchema ? Static<T> : Fallback;

/** What a caller passes for an operation: params, query and body as the route declares them. */
export type InputOf<R extends RouteDef> =
  (R['params'] extends TSchema ? { params: Static<R['params']> } : { params?: undefined }) &
  (R['query'] extends TSchema ? { query?: Static<R['query']> } : { query?: undefined }) &
  (R['body'] extends TSchema ? { body: R['bodyKind'] extends 'binary' ? Uint8Array : Static<R['body']> } : { body?: undefined });

/** What a 2xx answer holds for an operation. */
export type OutputOf<R extends RouteDef> = R['responseKind'] extends 'binary' ? Uint8Array
  : R['responseKind'] extends 'text' ? string
  : StaticOr<R['response'], void>;

/** Fills `:name` parameters of a path. */
export function pathOf(route: RouteDef, params?: Record<string, string>): string {
  return route.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new Error(`missing path parameter ${name} for ${route.path}`);
    return encodeURIComponent(value);
  });
}
