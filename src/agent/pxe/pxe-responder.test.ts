// Goal: the socket shell answers PXE DISCOVERs with a broadcast OFFER from its interface socket and
// 4011 requests with a unicast ACK from source port 4011; drops and counts malformed, wrong-op and
// flooding input without crashing; rate-limits per MAC; delays replies when told; logs one JSON
// line per decision; and fails to start with coded one-line errors (port in use, no interface).
// Method: real UDP sockets on loopback only (127.0.0.1; "broadcast" replies go to 127.255.255.255),
// ports picked by the kernel, a FakeClock for rate limits and delays, memoryLogger for log lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { NetworkInterfaceInfo } from 'node:os';
import { decodeDhcpPacket, encodeDhcpPacket, type DhcpPacket } from '../../protocol/dhcp/packet.js';
import { encodeClientMachineId } from '../../protocol/dhcp/pxe.js';
import { memoryLogger, silentLogger } from '../../platform/logger.js';
import { FakeClock } from '../../testkit/fake-clock.js';
import { staticBootPolicy, type ProxyDhcpConfig } from './proxy-dhcp.js';
import { describeBindError, startPxeResponder, type PxeResponderOptions } from './pxe-responder.js';

const text = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
const loopbackOnly = () => ({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' } as NetworkInterfaceInfo],
});

function discover(mac: number, xid: number, fields: Partial<DhcpPacket> = {}, extra: Array<[number, Uint8Array]> = []): Uint8Array {
  return encodeDhcpPacket({
    op: 1, htype: 1, hlen: 6, hops: 0, xid, secs: 0, flags: 0x8000,
    clientAddr: '0.0.0.0', yourAddr: '0.0.0.0', serverAddr: '0.0.0.0', gatewayAddr: '0.0.0.0',
    clientHardwareAddr: Uint8Array.from([0x52, 0x54, 0, 0x77, 0, mac, ...new Array(10).fill(0)]),
    serverName: '', bootFile: '',
    options: new Map<number, Uint8Array>([
      [53, Uint8Array.of(1)], [93, Uint8Array.of(0, 0)], [94, Uint8Array.of(1, 2, 1)],
      [60, text('PXEClient:Arch:00000:UNDI:002001')], [97, encodeClientMachineId('7a11b007-0001-4c0d-8e5f-525400770001')],
      ...extra,
    ]),
    ...fields,
  });
}

const allowAll: ProxyDhcpConfig = {
  select: staticBootPolicy({ biosFile: 'undionly.kpxe', uefiX64File: 'ipxe.efi', allow: { kind: 'unknown' } }),
};

async function udpClient(): Promise<{ socket: Socket; port: number; next(timeoutMs?: number): Promise<{ msg: Buffer; rinfo: RemoteInfo }>; drain(): Array<{ msg: Buffer; rinfo: RemoteInfo }> }> {
  const socket = createSocket({ type: 'udp4' });
  const queue: Array<{ msg: Buffer; rinfo: RemoteInfo }> = [];
  let waiter: (() => void) | undefined;
  socket.on('message', (msg, rinfo) => { queue.push({ msg, rinfo }); waiter?.(); });
  await new Promise<void>((resolve) => socket.bind(0, '0.0.0.0', resolve));
  return {
    socket,
    port: socket.address().port,
    async next(timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('no datagram within the timeout');
        await new Promise<void>((resolve) => { waiter = resolve; setTimeout(resolve, Math.min(left, 50)); });
      }
      return queue.shift()!;
    },
    drain: () => queue.splice(0),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sendTo = (s: Socket, bytes: Uint8Array, port: number) =>
  new Promise<void>((resolve, reject) => s.send(bytes, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));

async function start(clientPort: number, extra: Partial<PxeResponderOptions> = {}) {
  return startPxeResponder({
    interfaceName: 'lo', config: allowAll, logger: silentLogger, listInterfaces: loopbackOnly,
    ports: { dhcp: 0, proxy: 0, client: clientPort }, broadcastAddress: '127.255.255.255', ...extra,
  });
}

test('DISCOVER on the dhcp port -> broadcast OFFER from the interface socket; 4011 REQUEST -> unicast ACK from 4011', async () => {
  const client = await udpClient();
  const logger = memoryLogger();
  const responder = await start(client.port, { logger });
  try {
    assert.equal(responder.serverIp, '127.0.0.1');
    await sendTo(client.socket, discover(1, 0xabcdef01), responder.ports.dhcp);
    const offer = await client.next();
    const p = decodeDhcpPacket(offer.msg);
    assert.equal(p.op, 2);
    assert.equal(p.xid, 0xabcdef01);
    assert.equal(p.bootFile, 'undionly.kpxe');
    assert.equal(p.serverAddr, '127.0.0.1');
    assert.equal(p.flags, 0x8000);
    assert.equal(offer.rinfo.port, responder.ports.dhcp, 'port-67 replies leave from the dhcp port');
    assert.ok(offer.msg.length >= 300);

    const req = discover(1, 0x42, { clientAddr: '127.0.0.1', flags: 0 }, [[53, Uint8Array.of(3)]]);
    await sendTo(client.socket, req, responder.ports.proxy);
    const ack = await client.next();
    assert.equal(ack.rinfo.port, responder.ports.proxy, 'iPXE accepts 4011 replies only from source port 4011');
    const a = decodeDhcpPacket(ack.msg);
    assert.deepEqual(a.options.get(53), Uint8Array.of(5));
    assert.equal(a.xid, 0x42);
    assert.equal(a.clientAddr, '127.0.0.1');

    assert.equal(responder.counters.get('dhcp_replies_total'), 2);
    const sent = logger.lines.filter((l) => l.msg === 'proxyDHCP offer sent');
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.mac, '52:54:00:77:00:01');
    assert.equal(sent[0]!.arch, 'bios');
    assert.equal(sent[0]!.xid, '0xabcdef01');
    assert.equal(sent[0]!.offered, 'undionly.kpxe');
  } finally {
    await responder.close();
    client.socket.close();
  }
});

test('a malformed flood is dropped and counted, never crashes, and real clients are still served', async () => {
  const client = await udpClient();
  const logger = memoryLogger();
  const responder = await start(client.port, { logger });
  try {
    let seed = 99;
    const rand = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32; };
    const valid = discover(2, 7);
    for (let i = 0; i < 600; i++) {
      let bytes: Uint8Array;
      if (i % 3 === 0) bytes = Uint8Array.from({ length: Math.floor(rand() * 400) }, () => Math.floor(rand() * 256));
      else if (i % 3 === 1) bytes = valid.subarray(0, 240 + Math.floor(rand() * 20)).map((b, k) => (k === 241 ? 200 : b));
      else { bytes = valid.slice(); bytes[240] = 60; bytes[241] = 250; }
      await sendTo(client.socket, bytes, i % 2 === 0 ? responder.ports.dhcp : responder.ports.proxy);
      if (i % 40 === 39) await sleep(15); // stay under the socket receive buffer: we test the shell, not the kernel
    }
    // Let the responder drain the flood before the real client speaks.
    let seen = -1;
    while (seen !== responder.counters.get('dhcp_received_total')) { seen = responder.counters.get('dhcp_received_total'); await sleep(50); }
    const reply = valid.slice();
    reply[0] = 2; // a BOOTREPLY (e.g. a relayed server reply) is not for us
    await sendTo(client.socket, reply, responder.ports.dhcp);
    const notPxe = discover(3, 8, {}, [[60, text('MSFT 5.0')]]);
    await sendTo(client.socket, notPxe, responder.ports.dhcp);
    await sendTo(client.socket, valid, responder.ports.dhcp);
    const offer = await client.next();
    assert.equal(decodeDhcpPacket(offer.msg).xid, 7);
    await sleep(50);
    assert.deepEqual(client.drain(), [], 'nothing but the one valid DISCOVER was answered');
    const c = responder.counters;
    assert.ok(c.get('dhcp_malformed_total') >= 300, `malformed ${c.get('dhcp_malformed_total')}`);
    assert.equal(c.get('dhcp_wrong_op_total'), 1);
    assert.ok(c.get('dhcp_ignored_total') >= 1);
    assert.equal(c.get('dhcp_internal_errors_total'), 0);
    assert.equal(c.get('dhcp_replies_total'), 1);
    // Every datagram received is accounted for exactly once.
    assert.equal(
      c.get('dhcp_received_total'),
      c.get('dhcp_malformed_total') + c.get('dhcp_wrong_op_total') + c.get('dhcp_ignored_total') + c.get('dhcp_replies_total'),
    );
    assert.ok(logger.lines.some((l) => l.level === 'debug' && l.msg === 'dropped malformed DHCP packet' && typeof l.reason === 'string'));
  } finally {
    await responder.close();
    client.socket.close();
  }
});

test('per-MAC rate limit (4 per 10 s by default) and its recovery, on a FakeClock', async () => {
  const client = await udpClient();
  const clock = new FakeClock(1000);
  const responder = await start(client.port, { clock });
  try {
    for (let i = 0; i < 6; i++) await sendTo(client.socket, discover(4, 100 + i), responder.ports.dhcp);
    for (let i = 0; i < 4; i++) await client.next();
    await sleep(100);
    assert.deepEqual(client.drain(), []);
    assert.equal(responder.counters.get('dhcp_rate_limited_total'), 2);
    // Another MAC is not affected.
    await sendTo(client.socket, discover(5, 200), responder.ports.dhcp);
    assert.equal(decodeDhcpPacket((await client.next()).msg).xid, 200);
    clock.advance(10_000);
    await sendTo(client.socket, discover(4, 300), responder.ports.dhcp);
    assert.equal(decodeDhcpPacket((await client.next()).msg).xid, 300);
  } finally {
    await responder.close();
    client.socket.close();
  }
});

test('replyDelayMs holds the reply until the clock says so; close() cancels pending replies', async () => {
  const client = await udpClient();
  const clock = new FakeClock();
  const responder = await start(client.port, { clock, replyDelayMs: 200 });
  try {
    await sendTo(client.socket, discover(6, 1), responder.ports.dhcp);
    await sleep(100);
    assert.deepEqual(client.drain(), [], 'not before the delay');
    clock.advance(199);
    await sleep(30);
    assert.deepEqual(client.drain(), []);
    clock.advance(1);
    assert.equal(decodeDhcpPacket((await client.next()).msg).xid, 1);
    await sendTo(client.socket, discover(6, 2), responder.ports.dhcp);
    await sleep(100);
    await responder.close();
    clock.advance(1000);
    await sleep(50);
    assert.deepEqual(client.drain(), [], 'a reply pending at close is never sent');
  } finally {
    await responder.close();
    client.socket.close();
  }
});

test('ignored PXE clients get one info JSON line with mac, arch, xid and the reason', async () => {
  const client = await udpClient();
  const logger = memoryLogger();
  const nobody: ProxyDhcpConfig = { select: staticBootPolicy({ biosFile: 'a', uefiX64File: 'b', allow: { kind: 'nobody' } }) };
  const responder = await start(client.port, { logger, config: nobody });
  try {
    await sendTo(client.socket, discover(9, 0x99), responder.ports.dhcp);
    for (let i = 0; i < 100 && !logger.lines.some((l) => l.msg === 'ignored PXE client'); i++) await sleep(10);
    const line = logger.lines.find((l) => l.msg === 'ignored PXE client');
    assert.ok(line, 'an info line for the ignored client');
    assert.equal(line.level, 'info');
    assert.equal(line.mac, '52:54:00:77:00:09');
    assert.equal(line.arch, 'bios');
    assert.equal(line.xid, '0x00000099');
    assert.equal(line.decision, 'ignore');
    assert.match(String(line.reason), /no client is allowed/);
    assert.deepEqual(client.drain(), []);
  } finally {
    await responder.close();
    client.socket.close();
  }
});

test('start fails with PEERBOOT_ERR_PORT_IN_USE when the dhcp port is held, even with SO_REUSEADDR', async () => {
  for (const reuseAddr of [false, true]) {
    const blocker = createSocket({ type: 'udp4', reuseAddr });
    await new Promise<void>((resolve) => blocker.bind(0, '0.0.0.0', resolve));
    const port = blocker.address().port;
    try {
      await assert.rejects(
        startPxeResponder({ interfaceName: 'lo', config: allowAll, logger: silentLogger, listInterfaces: loopbackOnly, ports: { dhcp: port, proxy: 0 } }),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'PEERBOOT_ERR_PORT_IN_USE');
          assert.match(err.message, new RegExp(`UDP 0\\.0\\.0\\.0:${port} \\(proxyDHCP\\) is already in use: another DHCP/PXE server on this host\\? stop it`));
          assert.ok(!err.message.includes('\n'), 'one line');
          return true;
        },
      );
    } finally {
      blocker.close();
    }
  }
});

test('start fails with PEERBOOT_ERR_PORT_IN_USE naming the address when 4011 is held', async () => {
  const blocker = createSocket({ type: 'udp4' });
  await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', resolve));
  try {
    await assert.rejects(
      startPxeResponder({ interfaceName: 'lo', config: allowAll, logger: silentLogger, listInterfaces: loopbackOnly, ports: { dhcp: 0, proxy: blocker.address().port } }),
      (err: Error & { code?: string }) => err.code === 'PEERBOOT_ERR_PORT_IN_USE' && err.message.includes(`UDP 127.0.0.1:${blocker.address().port} (proxyDHCP) is already in use: another proxyDHCP/PXE server`),
    );
  } finally {
    blocker.close();
  }
});

test('start fails with coded errors for a missing interface or one without IPv4', async () => {
  await assert.rejects(
    startPxeResponder({ interfaceName: 'eth9', config: allowAll, logger: silentLogger, listInterfaces: loopbackOnly }),
    (err: Error & { code?: string }) => err.code === 'PEERBOOT_ERR_NO_INTERFACE' && /eth9.*--interface/.test(err.message),
  );
  const v6only = () => ({ eth0: [{ address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 } as NetworkInterfaceInfo] });
  await assert.rejects(
    startPxeResponder({ interfaceName: 'eth0', config: allowAll, logger: silentLogger, listInterfaces: v6only }),
    (err: Error & { code?: string }) => err.code === 'PEERBOOT_ERR_NO_IPV4',
  );
});

test('describeBindError: each errno becomes a one-line message naming the fix', () => {
  const where = { address: '0.0.0.0', port: 67, interfaceName: 'eth0' };
  const e = (code: string) => Object.assign(new Error(code), { code });
  const perm = describeBindError(e('EACCES'), where);
  assert.equal(perm.code, 'PEERBOOT_ERR_PRIVILEGE');
  assert.match(perm.message, /^binding UDP 0\.0\.0\.0:67 \(proxyDHCP\) needs privilege .*run as root.*setcap cap_net_bind_service=\+ep/);
  assert.equal(describeBindError(e('EPERM'), where).code, 'PEERBOOT_ERR_PRIVILEGE');
  const gone = describeBindError(e('EADDRNOTAVAIL'), { ...where, address: '10.0.0.5' });
  assert.equal(gone.code, 'PEERBOOT_ERR_ADDRESS_NOT_LOCAL');
  assert.match(gone.message, /10\.0\.0\.5 is not an address of this machine; it is no longer on interface eth0: check 'ip -4 addr show eth0'/);
  assert.equal(describeBindError(e('EINVAL'), where).code, 'PEERBOOT_ERR_BIND');
  for (const code of ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'EINVAL']) assert.ok(!describeBindError(e(code), where).message.includes('\n'));
});
