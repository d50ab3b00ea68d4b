// Goal: the typed client builds URLs, bodies and auth from the route table, decodes answers, and
// turns error bodies into ApiError with the server's code and field; its signatures are checked
// at compile time (the @ts-expect-error lines fail typecheck if the types loosen).
// Method: a fake fetch that records requests and answers canned responses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiClient } from './client.js';
import { ApiError } from './errors.js';

function fakeFetch(answer: (url: string, init: RequestInit) => Response) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const f = (async (url: string | URL, init?: RequestInit) => { calls.push({ url: String(url), init: init ?? {} }); return answer(String(url), init ?? {}); }) as typeof fetch;
  return { f, calls };
}

test('requests: path params, query, JSON and binary bodies, bearer token', async () => {
  const { f, calls } = fakeFetch(() => new Response(JSON.stringify({ id: 's', name: 'HQ', subnets: [], isAutoCreated: false, createdAt: 'x' }), { status: 201 }));
  const c = new ApiClient({ baseUrl: 'http://srv:8470/', token: 'pbt.x.y', fetch: f });
  const site = await c.call('createSite', { body: { name: 'HQ', subnets: [] } });
  assert.equal(site.name, 'HQ');
  await c.call('getSite', { params: { id: 'a b' } });
  await c.call('listEvents', { query: { mac: '52:54:00:00:00:01', limit: 5 } });
  await c.call('putChunk', { params: { sha256: 'a'.repeat(64) }, body: new Uint8Array([1]) });
  assert.deepEqual(calls.map((x) => `${x.init.method} ${x.url}`), [
    'POST http://srv:8470/api/v1/sites',
    'GET http://srv:8470/api/v1/sites/a%20b',
    'GET http://srv:8470/api/v1/events?mac=52%3A54%3A00%3A00%3A00%3A01&limit=5',
    `PUT http://srv:8470/api/v1/chunks/${'a'.repeat(64)}`,
  ]);
  assert.equal((calls[0]!.init.headers as Record<string, string>).authorization, 'Bearer pbt.x.y');
  assert.equal(calls[0]!.init.body, '{"name":"HQ","subnets":[]}');
  assert.equal((calls[3]!.init.headers as Record<string, string>)['content-type'], 'application/octet-stream');
});

test('errors: ApiError carries status, code and field; non-JSON bodies still give a code', async () => {
  const { f } = fakeFetch((_url, init) => init.method === 'POST'
    ? new Response(JSON.stringify({ code: 'SERVER_ERR_VALIDATION', message: 'body.name is required', field: 'body.name' }), { status: 400 })
    : new Response('Bad Gateway', { status: 502 }));
  const c = new ApiClient({ baseUrl: 'http://srv', fetch: f });
  await assert.rejects(c.call('createSite', { body: { name: '', subnets: [] } }), (e: unknown) =>
    e instanceof ApiError && e.status === 400 && e.code === 'SERVER_ERR_VALIDATION' && e.field === 'body.name');
  await assert.rejects(c.call('listSites', {}), (e: unknown) => e instanceof ApiError && e.code === 'HTTP_502');
});

test('compile-time shapes', () => {
  const c = new ApiClient({ baseUrl: 'http://srv', fetch: (async () => new Response('{}')) as typeof fetch });
  const typed = async () => {
    // @ts-expect-error the body is required for createSite
    await c.call('createSite', {});
    // @ts-expect-error unknown operation
    await c.call('createSpaceship', {});
    // @ts-expect-error path params are required
    await c.call('getSite', {});
    // @ts-expect-error wrong body type
    await c.call('createSite', { body: { name: 5, subnets: [] } });
    const agents = await c.call('listAgents', { query: { siteId: 's' } });
    const role: 'responder' | 'idle' | undefined = agents[0]?.role;
    return role;
  };
  assert.equal(typeof typed, 'function');
});
