// Goal: on the real firmware requests recorded in the lab (protocol/dhcp/testdata/*.pcap), the
// decision answers the DISCOVERs and 4011 requests, ignores every port-67 REQUEST, and its replies
// agree with the stand-in dnsmasq replies that booted those machines (53, 54, 60, 97, 43.71 echo,
// siaddr, sname/file/ciaddr on 4011), differing only where
// docs/protocol-notes.md, "Reply per kind of client", says we do better (file in a BINL OFFER;
// script URL for iPXE).
// Method: replay each client message with the context it arrived in (port, source), and compare
// our reply with the captured reply from 10.77.0.11 for the same xid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeDhcpPacket, type DhcpPacket } from '../../protocol/dhcp/packet.js';
import { udpDatagrams } from '../../testkit/pcap/udp-datagrams.js';
import { decideProxyDhcp, staticBootPolicy, type ProxyDhcpConfig, type ProxyDhcpDecision } from './proxy-dhcp.js';

const STANDIN = '10.77.0.11';

interface Message { packet: DhcpPacket; srcIp: string; srcPort: number; dstIp: string; dstPort: number }

function capture(name: string): Message[] {
  const file = readFileSync(new URL(`../../protocol/dhcp/testdata/${name}`, import.meta.url));
  return udpDatagrams(file).map((d) => ({ packet: decodeDhcpPacket(d.payload), srcIp: d.srcIp, srcPort: d.srcPort, dstIp: d.dstIp, dstPort: d.dstPort }));
}

const withScript = (httpPort?: number): ProxyDhcpConfig => ({
  select: staticBootPolicy({ biosFile: 'undionly.kpxe', uefiX64File: 'ipxe.efi', ipxeScript: 'boot.ipxe', allow: { kind: 'unknown' } }),
  ...(httpPort ? { httpPort } : {}),
});

function decide(m: Message, config: ProxyDhcpConfig): ProxyDhcpDecision {
  assert.ok(m.dstPort === 67 || m.dstPort === 4011);
  return decideProxyDhcp(m.packet, { port: m.dstPort, serverIp: STANDIN, source: { address: m.srcIp, port: m.srcPort } }, config);
}

function requests(messages: Message[]) {
  return messages.filter((m) => m.packet.op === 1);
}

/** The stand-in's captured reply to `request` (same xid, sent from 10.77.0.11). */
function standinReply(messages: Message[], request: Message): DhcpPacket {
  const reply = messages.find((m) => m.packet.op === 2 && m.srcIp === STANDIN && m.packet.xid === request.packet.xid && m.srcPort === request.dstPort);
  assert.ok(reply, 'the capture holds the stand-in reply');
  return reply.packet;
}

function assertSameOptions(ours: DhcpPacket, theirs: DhcpPacket, codes: number[]): void {
  for (const code of codes) assert.deepEqual(ours.options.get(code), theirs.options.get(code), `option ${code}`);
}

function reply(d: ProxyDhcpDecision) {
  assert.equal(d.kind, 'reply', d.kind === 'ignore' ? d.reason : '');
  if (d.kind !== 'reply') throw new Error('unreachable');
  return d;
}

test('every port-67 DHCPREQUEST in every capture is ignored (it belongs to the real server)', () => {
  let seen = 0;
  for (const name of ['seabios-ipxe-rom.pcap', 'undionly-chained.pcap', 'ovmf-pxe.pcap', 'ipxe-efi-chained.pcap']) {
    for (const m of requests(capture(name)).filter((r) => r.dstPort === 67 && r.packet.options.get(53)?.[0] === 3)) {
      const d = decide(m, withScript(8080));
      assert.equal(d.kind, 'ignore', name);
      seen++;
    }
  }
  assert.equal(seen, 4);
});

test('OVMF native PXE: BINL OFFER (no 43, siaddr, file too), then the 4011 ACK matches dnsmasq\'s', () => {
  const messages = capture('ovmf-pxe.pcap');
  const [discover, , binl] = requests(messages);
  assert.ok(discover && binl);
  const offer = reply(decide(discover, withScript(8080)));
  const theirOffer = standinReply(messages, discover);
  assert.equal(offer.offered, 'ipxe.efi');
  assert.deepEqual(offer.destination, { address: '255.255.255.255', port: 68 });
  assert.equal(offer.reply.serverAddr, theirOffer.serverAddr);
  assert.equal(offer.reply.flags, theirOffer.flags);
  assert.equal(offer.reply.options.has(43), false);
  assertSameOptions(offer.reply, theirOffer, [53, 54, 60, 97, 43]);

  assert.equal(binl.srcPort, 4011);
  const ack = reply(decide(binl, withScript(8080)));
  const theirAck = standinReply(messages, binl);
  assert.deepEqual(ack.destination, { address: '10.77.0.130', port: 4011 });
  for (const field of ['xid', 'clientAddr', 'yourAddr', 'serverAddr', 'serverName', 'bootFile', 'flags'] as const) {
    assert.deepEqual(ack.reply[field], theirAck[field], field);
  }
  assertSameOptions(ack.reply, theirAck, [53, 54, 60, 97, 43]);
});

test('SeaBIOS + iPXE ROM: DISCOVER gets the script (ROM is iPXE); its 4011 boot-server request gets 43.71 echoed like dnsmasq', () => {
  const messages = capture('seabios-ipxe-rom.pcap');
  const [discover, , bootServerRequest] = requests(messages);
  assert.ok(discover && bootServerRequest);
  const offer = reply(decide(discover, withScript(8080)));
  assert.equal(offer.offered, `http://${STANDIN}:8080/boot.ipxe`);
  assert.equal(offer.client.isIpxe, true);
  assert.equal(offer.reply.options.has(43), false, 'no PXE menu for iPXE');

  assert.deepEqual([bootServerRequest.srcPort, bootServerRequest.dstPort], [68, 4011]);
  const ack = reply(decide(bootServerRequest, withScript(8080)));
  const theirAck = standinReply(messages, bootServerRequest);
  assert.deepEqual(ack.destination, { address: '10.77.0.130', port: 68 });
  assertSameOptions(ack.reply, theirAck, [53, 54, 60, 97, 43]);
  assert.equal(ack.reply.serverAddr, theirAck.serverAddr);
});

test('SeaBIOS + iPXE ROM without a script: the chain-loop guard stays silent rather than offer undionly.kpxe to iPXE', () => {
  const [discover] = requests(capture('seabios-ipxe-rom.pcap'));
  const noScript: ProxyDhcpConfig = { select: staticBootPolicy({ biosFile: 'undionly.kpxe', uefiX64File: 'ipxe.efi', allow: { kind: 'unknown' } }) };
  const d = decide(discover!, noScript);
  assert.equal(d.kind, 'ignore');
  assert.match(d.kind === 'ignore' ? d.reason : '', /chain-loop guard/);
});

test('chained undionly.kpxe and ipxe.efi: the script (HTTP URL with an HTTP port, else the relative name as dnsmasq gave)', () => {
  for (const name of ['undionly-chained.pcap', 'ipxe-efi-chained.pcap']) {
    const messages = capture(name);
    const [discover] = requests(messages);
    assert.ok(discover);
    const overHttp = reply(decide(discover, withScript(8080)));
    assert.equal(overHttp.offered, `http://${STANDIN}:8080/boot.ipxe`, name);
    const overTftp = reply(decide(discover, withScript()));
    assert.equal(overTftp.offered, 'boot.ipxe', name);
    const theirs = standinReply(messages, discover);
    assert.equal(overTftp.reply.serverAddr, theirs.serverAddr, `${name}: siaddr`);
    assertSameOptions(overTftp.reply, theirs, [53, 54, 60, 97]);
  }
});
