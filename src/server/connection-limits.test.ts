// Goal: an anonymous client cannot hold the control plane's connections (security review M1): one
// that sends half a request and then waits is closed once it has been silent for the connection
// timeout, and the server keeps answering. Method: the app on 127.0.0.1:0 with a short timeout;
// a raw TCP socket sends the headers and 6 of 100 body bytes of a login.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { Counters } from '../platform/counters.js';
import { silentLogger } from '../platform/logger.js';
import { memoryChunkStore } from './services/content-store.js';
import { buildApp } from './app.js';
import { createServiceContext } from './server.js';
import { openStore } from './store/store.js';

test('a half-sent request is closed after the connection timeout; the server still answers', async () => {
  const store = await openStore({ databaseUrl: 'sqlite::memory:', dataDir: '.' });
  const ctx = await createServiceContext(store, { logger: silentLogger, chunks: memoryChunkStore(), counters: new Counters() });
  const app = await buildApp(ctx, { version: 'test', connectionTimeoutMs: 400 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const port = (app.server.address() as { port: number }).port;
    const startedAt = Date.now();
    const closedAfterMs = await new Promise<number>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user');
      });
      s.on('error', () => {});
      s.resume();
      s.on('close', () => resolve(Date.now() - startedAt));
      setTimeout(() => reject(new Error('the half-sent request was still open after 5 s')), 5000).unref();
    });
    assert.ok(closedAfterMs >= 300, `closed after ${closedAfterMs} ms, not before the timeout`);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  } finally {
    ctx.hub.stop();
    await app.close();
    await ctx.bus.close();
    await store.close();
  }
});
