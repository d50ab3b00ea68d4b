// Goal: the broadcast address math the peer protocols rely on (RFC 919/922 directed broadcast,
// network of a CIDR), and the socket itself: two sockets on one port both receive a broadcast (the
// SO_REUSEADDR property several agents on one host depend on), a taken port is one clear error
// naming the flag, and close() lets a queued datagram go first.
// Method: pure cases; sockets on loopback only (127.255.255.255, the loopback net's broadcast).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { BroadcastBindError, directedBroadcast, networkOf, openBroadcastSocket } from './broadcast-socket.js';

test('directed broadcast and network of a CIDR', () => {
  assert.equal(directedBroadcast('10.77.0.0/24'), '10.77.0.255');
  assert.equal(directedBroadcast('10.77.0.17/24'), '10.77.0.255');
  assert.equal(directedBroadcast('172.16.0.0/12'), '172.31.255.255');
  assert.equal(directedBroadcast('192.168.1.4/30'), '192.168.1.7');
  assert.equal(directedBroadcast('192.168.1.4/31'), '255.255.255.255', 'point-to-point: no broadcast address (RFC 3021)');
  assert.equal(directedBroadcast('0.0.0.0/0'), '255.255.255.255');
  assert.equal(networkOf('10.77.0.17/24'), '10.77.0.0/24');
  assert.equal(networkOf('10.77.0.17/32'), '10.77.0.17/32');
  assert.equal(networkOf('172.20.5.9/12'), '172.16.0.0/12');
});

test('two sockets on one port both get a broadcast; a taken port is one clear error', async () => {
  // A free port, found by binding an ephemeral socket.
  const probe = createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
  const port = probe.address().port;
  await new Promise<void>((r) => probe.close(() => r()));
  const open = () => openBroadcastSocket({ port, broadcastAddress: '127.255.255.255', errorCode: 'TEST_ERR', bindError: (reason) => `port ${port} taken (${reason}); use --test-port` });
  const a = await open();
  const b = await open();
  const got = { a: [] as string[], b: [] as string[] };
  a.onMessage((bytes) => got.a.push(Buffer.from(bytes).toString()));
  b.onMessage((bytes) => got.b.push(Buffer.from(bytes).toString()));
  a.send(new TextEncoder().encode('hello'));
  for (let i = 0; i < 100 && (got.a.length === 0 || got.b.length === 0); i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(got, { a: ['hello'], b: ['hello'] }, 'both sockets (and the sender itself) receive the broadcast');
  // A socket without SO_REUSEADDR holding another port makes our bind fail with the caller's message.
  const holder = createSocket('udp4');
  await new Promise<void>((r) => holder.bind(0, '0.0.0.0', () => r()));
  const held = holder.address().port;
  await assert.rejects(
    openBroadcastSocket({ port: held, broadcastAddress: '127.255.255.255', errorCode: 'TEST_ERR', bindError: (reason) => `port ${held} taken (${reason}); use --test-port` }),
    (e: unknown) => e instanceof BroadcastBindError && e.code === 'TEST_ERR' && /taken \(EADDRINUSE\); use --test-port/.test(e.message),
  );
  await new Promise<void>((r) => holder.close(() => r()));
  // close() lets a datagram sent just before go out first.
  b.send(new TextEncoder().encode('bye'));
  await b.close();
  for (let i = 0; i < 100 && !got.a.includes('bye'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(got.a.includes('bye'), 'the last datagram was sent before the socket closed');
  await a.close();
});
