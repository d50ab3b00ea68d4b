// Goal: an unauthenticated client cannot hold the HTTP boot server's connections (security review
// M3): past maxConnections a new connection is closed at once, and one that never finishes its
// request headers is dropped after headersTimeoutMs, while a real request is still answered.
// Method: the server on 127.0.0.1:0 with small limits; raw TCP sockets as the slow clients.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { silentLogger } from '../../platform/logger.js';
import { startHttpBootServer } from './http-boot-server.js';

const root = { resolve: async () => ({ ok: false as const, code: 'notFound' as const, reason: 'no files here' }) };
const open = (port: number) => new Promise<Socket>((resolve, reject) => {
  const s = connect(port, '127.0.0.1', () => resolve(s));
  s.once('error', reject);
});
const closed = (s: Socket, withinMs: number) => new Promise<boolean>((resolve) => {
  const timer = setTimeout(() => resolve(false), withinMs);
  s.once('close', () => { clearTimeout(timer); resolve(true); });
  s.on('error', () => {});
  s.resume(); // read, so the server's close (after its 408) reaches us
});

test('connections past the cap are closed; a client stuck in its headers is dropped', async () => {
  const server = await startHttpBootServer({ root, address: '127.0.0.1', port: 0, logger: silentLogger, limits: { maxConnections: 2, headersTimeoutMs: 300, idleTimeoutMs: 600 } });
  try {
    const slow = [await open(server.port), await open(server.port)];
    const slowClosed = slow.map((s) => closed(s, 3000));
    slow[0]!.write('GET /a HTTP/1.1\r\nHost: x\r\n'); // never ends its headers
    const third = await open(server.port);
    assert.equal(await closed(third, 2000), true, 'a third connection is refused while two are open');
    assert.equal(await slowClosed[0], true, 'unfinished headers are dropped after the timeout');
    assert.equal(await slowClosed[1], true, 'a silent connection is dropped when idle');
    const res = await fetch(`http://127.0.0.1:${server.port}/missing.efi`);
    assert.equal(res.status, 404, 'a real request is answered once the slots are free');
  } finally {
    await server.close();
  }
});
