// Goal: the standby's shadow socket shell stays silent when another server offers for the
// DISCOVER's xid, offers itself (broadcast, the active's decision) when none did within the delay,
// answers 4011 requests to its own address at once, and drops malformed input without crashing.
// Method: real UDP sockets on loopback only (shadow on 127.0.0.1, the "active" sends its offer from
// 127.0.0.2 to the shadow's watch port; "broadcast" replies go to 127.255.255.255), kernel-picked
// ports, FakeClock for the 300 ms wait.
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'node:test';
import { silentLogger } from '../../platform/logger.js';
import { decodeDhcpPacket, encodeDhcpPacket, type DhcpPacket } from '../../protocol/dhcp/packet.js';
import { FakeClock } from '../../testkit/fake-clock.js';
import { staticBootPolicy, type ProxyDhcpConfig } from './proxy-dhcp.js';
import { isProxyOffer, startShadowResponder } from './shadow-responder.js';

const text = (s: string) => new TextEncoder().encode(s);
const loopbackOnly = () => ({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' } as NetworkInterfaceInfo],
});
const allowAll: ProxyDhcpConfig = { select: staticBootPolicy({ biosFile: 'undionly.kpxe', uefiX64File: 'ipxe.efi', allow: { kind: 'unknown' } }) };

function packet(op: 1 | 2, type: number, xid: number, fields: Partial<DhcpPacket> = {}): DhcpPacket {
  return {
    op, htype: 1, hlen: 6, hops: 0, xid, secs: 0, flags: 0x8000,
    clientAddr: '0.0.0.0', yourAddr: '0.0.0.0', serverAddr: '0.0.0.0', gatewayAddr: '0.0.0.0',
    clientHardwareAddr: Uint8Array.from([0x52, 0x54, 0, 0x55, 0, xid & 0xff, ...new Array(10).fill(0)]),
    serverName: '', bootFile: '',
    options: new Map<number, Uint8Array>([[53, Uint8Array.of(type)], [93, Uint8Array.of(0, 0)], [94, Uint8Array.of(1, 2, 1)], [60, text('PXEClient:Arch:00000:UNDI:002001')]]),
    ...fields,
  };
}

async function socketOn(address: string): Promise<{ socket: Socket; port: number; got: Array<{ p: DhcpPacket; rinfo: RemoteInfo }> }> {
  const socket = createSocket({ type: 'udp4' });
  const got: Array<{ p: DhcpPacket; rinfo: RemoteInfo }> = [];
  socket.on('message', (msg, rinfo) => got.push({ p: decodeDhcpPacket(msg), rinfo }));
  await new Promise<void>((r) => socket.bind(0, address, r));
  return { socket, port: socket.address().port, got };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const send = (s: Socket, bytes: Uint8Array, port: number) => new Promise<void>((res, rej) => s.send(bytes, port, '127.0.0.1', (e) => (e ? rej(e) : res())));

async function setup() {
  const clock = new FakeClock(0);
  const client = await socketOn('0.0.0.0');
  const active = await socketOn('127.0.0.2');
  const shadow = await startShadowResponder({
    interfaceName: 'lo', config: allowAll, logger: silentLogger, clock, listInterfaces: loopbackOnly,
    ports: { dhcp: 0, proxy: 0, client: client.port, watch: 0 }, broadcastAddress: '127.255.255.255',
  });
  return {
    clock, client, active, shadow,
    async close() { await shadow.close(); client.socket.close(); active.socket.close(); },
  };
}

test('no offer from another server within 300 ms → the shadow offers (broadcast, proxy offer); not before', async () => {
  const t = await setup();
  try {
    await send(t.client.socket, encodeDhcpPacket(packet(1, 1, 0x101)), t.shadow.ports.dhcp);
    await sleep(100);
    t.clock.advance(299);
    await sleep(100);
    assert.equal(t.client.got.length, 0, 'nothing before the delay');
    t.clock.advance(1);
    await sleep(200);
    assert.equal(t.client.got.length, 1);
    const offer = t.client.got[0]!.p;
    assert.equal(offer.xid, 0x101);
    assert.ok(isProxyOffer(offer));
    assert.equal(offer.bootFile, 'undionly.kpxe');
    assert.equal(t.shadow.counters.get('dhcp_shadow_replies_total'), 1);
  } finally {
    await t.close();
  }
});

test("the active's offer for the same xid → the shadow stays silent; for another xid → it answers", async () => {
  const t = await setup();
  try {
    await send(t.client.socket, encodeDhcpPacket(packet(1, 1, 0x201)), t.shadow.ports.dhcp);
    await send(t.client.socket, encodeDhcpPacket(packet(1, 1, 0x202)), t.shadow.ports.dhcp);
    await sleep(100);
    t.clock.advance(5);
    await send(t.active.socket, encodeDhcpPacket(packet(2, 2, 0x201)), t.shadow.ports.watch);
    await sleep(100);
    t.clock.advance(1000);
    await sleep(200);
    assert.deepEqual(t.client.got.map((g) => g.p.xid), [0x202]);
    assert.equal(t.shadow.counters.get('dhcp_shadow_skipped_total'), 1);
  } finally {
    await t.close();
  }
});

test('a 4011 REQUEST to the shadow is answered at once, from port 4011; malformed input is counted', async () => {
  const t = await setup();
  try {
    await send(t.client.socket, Uint8Array.of(1, 2, 3), t.shadow.ports.dhcp);
    await send(t.active.socket, Uint8Array.of(1, 2, 3), t.shadow.ports.watch);
    const req = packet(1, 3, 0x301, { clientAddr: '0.0.0.0' });
    req.options.set(97, Uint8Array.of(0, ...new Array(16).fill(7)));
    req.options.set(43, Uint8Array.of(71, 4, 0x80, 0, 0, 0, 255));
    await send(t.client.socket, encodeDhcpPacket(req), t.shadow.ports.proxy);
    await sleep(200);
    assert.equal(t.shadow.counters.get('dhcp_shadow_malformed_total'), 2);
    const ack = t.client.got.find((g) => g.p.xid === 0x301);
    assert.ok(ack, 'an ack for the 4011 request');
    assert.equal(ack.rinfo.port, t.shadow.ports.proxy);
  } finally {
    await t.close();
  }
});
