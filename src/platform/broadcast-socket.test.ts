// Goal: the LAN broadcast socket: two sockets on one port both receive a broadcast (the
// SO_REUSEADDR property several agents on one host depend on), a taken port is one clear error
// naming the flag, and close() lets a queued datagram go first. (The address math it is given,
// directed broadcast and network of a CIDR, is tested in src/protocol/ipv4.test.ts.)
// Method: sockets on loopback only (127.255.255.255, the loopback net's broadcast).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { PeerbootError } from '../contract/error-codes.js';
import { openBroadcastSocket } from './broadcast-socket.js';

test('two sockets on one port both get a broadcast; a taken port is one clear error', async () => {
  // A free port, found by binding an ephemeral socket.
  const probe = createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
  const port = probe.address().port;
  await new Promise<void>((r) => probe.close(() => r()));
  const open = () => openBroadcastSocket({ port, broadcastAddress: '127.255.255.255', purpose: 'a test', whenInUse: 'use --test-port' });
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
    openBroadcastSocket({ port: held, broadcastAddress: '127.255.255.255', purpose: 'a test', whenInUse: 'use --test-port' }),
    (e: unknown) => e instanceof PeerbootError && e.code === 'PEERBOOT_ERR_PORT_IN_USE' && e.message === `UDP 0.0.0.0:${held} (a test) is already in use: use --test-port`,
  );
  await new Promise<void>((r) => holder.close(() => r()));
  // close() lets a datagram sent just before go out first.
  b.send(new TextEncoder().encode('bye'));
  await b.close();
  for (let i = 0; i < 100 && !got.a.includes('bye'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(got.a.includes('bye'), 'the last datagram was sent before the socket closed');
  await a.close();
});
