// Goal: the console's live feed (GET /api/v1/events/stream) sends every boot event stored after it
// opened, in id order, none skipped when a burst exceeds one poll's batch; a reconnect with
// Last-Event-ID resumes exactly after that id; anonymous callers are refused; the console's files
// are served at / with security headers and nothing outside web/dist is reachable.
// Method: the app listening on 127.0.0.1:0 over SQLite and PostgreSQL; an enrolled agent posts
// events through the agent API; the stream is read with fetch and the contract's SseParser.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { ApiClient } from '../contract/client.js';
import { SseParser } from '../contract/sse.js';
import { Counters } from '../platform/counters.js';
import { memoryLogger } from '../platform/logger.js';
import { buildApp } from './app.js';
import { bootEventFrame, lastEventIdOf } from './boot-event-stream.js';
import { registerConsole } from './console-static.js';
import { bootstrapInitialAdmin } from './services/admin-service.js';
import { memoryChunkStore } from './services/content-store.js';
import { createServiceContext } from './server.js';
import { forEachDatabase } from '../testkit/test-databases.js';

interface Feed { ids: number[]; kinds: string[]; waitFor(count: number, timeoutMs?: number): Promise<void>; close(): Promise<void> }

async function openFeed(url: string, token: string, lastEventId?: string): Promise<Feed> {
  const abort = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const res = await fetch(`${url}/api/v1/events/stream`, { headers, signal: abort.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const ids: number[] = [];
  const kinds: string[] = [];
  const parser = new SseParser();
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const done = (async () => {
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
          assert.equal(ev.event, 'boot');
          const e = JSON.parse(ev.data) as { id: number; kind: string };
          assert.equal(ev.id, String(e.id), 'the SSE id is the event id');
          ids.push(e.id);
          kinds.push(e.kind);
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  return {
    ids, kinds,
    async waitFor(count, timeoutMs = 8000) {
      const deadline = Date.now() + timeoutMs;
      while (ids.length < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} events (have ${ids.length})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() { abort.abort(); await done; },
  };
}

test('lastEventIdOf and bootEventFrame', () => {
  assert.equal(lastEventIdOf('42'), 42);
  assert.equal(lastEventIdOf(undefined), null);
  assert.equal(lastEventIdOf('-1'), null);
  assert.equal(lastEventIdOf('4x'), null);
  assert.equal(lastEventIdOf(['1', '2']), null);
  const frame = bootEventFrame({ id: 7, kind: 'dhcpOffer', reason: 'line\nbreak' } as { id: number });
  assert.equal(frame.split('\n').filter((l) => l.startsWith('data:')).length, 1, 'one data line: JSON escapes newlines');
  const [ev] = new SseParser().push(frame);
  assert.deepEqual(JSON.parse(ev!.data), { id: 7, kind: 'dhcpOffer', reason: 'line\nbreak' });
});

forEachDatabase((fx) => {
  test('live feed: only new events, in order, bursts beyond a batch, resume with Last-Event-ID', async () => {
    const store = await fx.openStore();
    const ctx = await createServiceContext(store, { logger: memoryLogger(), chunks: memoryChunkStore(), debounceMs: 1, counters: new Counters() });
    const creds = (await bootstrapInitialAdmin(ctx))!;
    const app = await buildApp(ctx, { version: 'test', streamPingMs: 200 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const feeds: Feed[] = [];
    try {
      const admin = new ApiClient({ baseUrl: url });
      admin.token = (await admin.call('login', { body: { username: creds.username, password: creds.password } })).token;
      const tok = await admin.call('createEnrollmentToken', { body: { name: 't' } });
      const agent = new ApiClient({ baseUrl: url });
      agent.token = (await agent.call('enroll', { body: { token: tok.token, hostname: 'pc-1', version: '0.1.0', interfaces: [{ name: 'eth0', mac: '52:54:00:00:00:01', addresses: ['10.9.0.5/24'] }] } })).agentToken;
      const post = (kind: string, n: number, atMs = Date.now()) => agent.call('agentEvents', {
        body: { events: Array.from({ length: n }, (_, i) => ({ at: new Date(atMs - i * 1000).toISOString(), kind, mac: '52:54:00:aa:bb:cc' })) },
      });
      await post('before', 3);

      const anonymous = await fetch(`${url}/api/v1/events/stream`);
      assert.equal(anonymous.status, 401, 'admins only');
      await anonymous.body?.cancel();

      const feed = await openFeed(url, admin.token);
      feeds.push(feed);
      await new Promise((r) => setTimeout(r, 300));
      // Older agent clocks must not hide an event: the feed follows storage order, not `at`.
      await post('dhcpOffer', 2, Date.now() - 86_400_000);
      await post('transferCompleted', 1);
      await feed.waitFor(3);
      assert.deepEqual(feed.kinds, ['dhcpOffer', 'dhcpOffer', 'transferCompleted'], 'events stored before the stream opened are not replayed');
      assert.deepEqual([...feed.ids].sort((a, b) => a - b), feed.ids, 'id order');

      // A burst of 800 (> the 500 read per poll) arrives whole.
      await post('burst', 400);
      await post('burst', 400);
      await feed.waitFor(803, 15_000);
      assert.equal(new Set(feed.ids).size, 803, 'no event twice');
      assert.deepEqual([...feed.ids].sort((a, b) => a - b), feed.ids);

      // Resume: a reconnect sending the id of the third event gets everything after it, once.
      const resumeFrom = feed.ids[2]!;
      const resumed = await openFeed(url, admin.token, String(resumeFrom));
      feeds.push(resumed);
      await resumed.waitFor(800);
      assert.equal(resumed.ids[0], resumeFrom + 1);
      await post('after', 1);
      await resumed.waitFor(801);
      assert.equal(resumed.kinds.at(-1), 'after');
    } finally {
      for (const f of feeds) await f.close();
      ctx.hub.stop();
      await app.close();
      await ctx.bus.close();
      await store.close();
    }
  });
});

test('console files: index at /, hashed assets immutable, nothing else reachable, a hint when not built', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peerboot-console-'));
  const app = Fastify();
  try {
    mkdirSync(join(dir, 'web', 'dist', 'assets'), { recursive: true });
    const dist = join(dir, 'web', 'dist') + '/';
    writeFileSync(join(dir, 'secret.txt'), 'do not serve');
    await registerConsole(app, dist);
    const missing = await app.inject({ method: 'GET', url: '/' });
    assert.equal(missing.statusCode, 503);
    assert.match(missing.body, /npm run build:web/);

    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>peerboot</title>');
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    await new Promise((r) => setTimeout(r, 1100)); // past the rescan guard
    const index = await app.inject({ method: 'GET', url: '/' });
    assert.equal(index.statusCode, 200);
    assert.match(index.headers['content-type'] as string, /^text\/html/);
    assert.equal(index.headers['cache-control'], 'no-cache');
    assert.match(index.headers['content-security-policy'] as string, /default-src 'self'/);
    assert.doesNotMatch(index.headers['content-security-policy'] as string, /unsafe-eval/, 'no eval in the console');
    assert.equal(index.headers['x-frame-options'], 'DENY');
    const js = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers['content-type'] as string, /^text\/javascript/);
    assert.match(js.headers['cache-control'] as string, /immutable/);
    for (const url of ['/assets/../../secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/nope.js']) {
      const r = await app.inject({ method: 'GET', url });
      assert.notEqual(r.statusCode, 200, url);
      assert.doesNotMatch(r.body, /do not serve/, url);
    }
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
