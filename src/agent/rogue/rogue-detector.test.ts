// Goal: every PXE reply on the LAN that is not from the elected peerboot responder is a finding of
// the right kind — another peerboot agent (duplicate), a foreign proxyDHCP, a DHCP server sending
// PXEClient, WDS named — while the elected responder's own replies and plain DHCP are not; and a
// finding is reported once per quiet period. Method: DhcpPacket values through the real codec
// (encode → decode) and judgePxeReply; FindingBook with explicit times.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DhcpOptionCode, ipv4Option, stringOption, uint8Option } from '../../protocol/dhcp/options.js';
import { BOOTREPLY, decodeDhcpPacket, encodeDhcpPacket, type DhcpPacket } from '../../protocol/dhcp/packet.js';
import { FindingBook, judgePxeReply, type ExpectedResponders } from './rogue-detector.js';

function reply(o: { server: string; yiaddr?: string; vendor?: string | null; file?: string; type?: number; extra?: Array<[number, Uint8Array]> }): DhcpPacket {
  const options = new Map<number, Uint8Array>([[DhcpOptionCode.messageType, uint8Option(o.type ?? 2)], [DhcpOptionCode.serverIdentifier, ipv4Option(o.server)]]);
  if (o.vendor !== null) options.set(DhcpOptionCode.vendorClassIdentifier, stringOption(o.vendor ?? 'PXEClient'));
  for (const [k, v] of o.extra ?? []) options.set(k, v);
  const p: DhcpPacket = {
    op: BOOTREPLY, htype: 1, hlen: 6, hops: 0, xid: 0x1234, secs: 0, flags: 0x8000, clientAddr: '0.0.0.0', yourAddr: o.yiaddr ?? '0.0.0.0',
    serverAddr: o.server, gatewayAddr: '0.0.0.0', clientHardwareAddr: Uint8Array.from([0x52, 0x54, 0, 0x77, 0, 1, ...new Array(10).fill(0)]),
    serverName: '', bootFile: o.file ?? 'undionly.kpxe', options,
  };
  return decodeDhcpPacket(encodeDhcpPacket(p));
}

const expected: ExpectedResponders = { elected: new Set(['10.77.0.11']), peerboot: new Map([['10.77.0.11', 'agent-a'], ['10.77.0.12', 'agent-b']]) };

test('the elected responder and plain DHCP are not findings', () => {
  assert.equal(judgePxeReply(reply({ server: '10.77.0.11' }), '10.77.0.11', expected), null);
  assert.equal(judgePxeReply(reply({ server: '10.77.0.2', yiaddr: '10.77.0.100', vendor: null }), '10.77.0.2', expected), null);
  assert.equal(judgePxeReply(reply({ server: '10.77.0.9', type: 1 }), '10.77.0.9', expected), null, 'not an OFFER/ACK');
});

test('another peerboot agent answering is a duplicate responder', () => {
  const f = judgePxeReply(reply({ server: '10.77.0.12' }), '10.77.0.12', expected);
  assert.equal(f?.kind, 'duplicateResponder');
  assert.match(f!.reason, /agent-b \(10\.77\.0\.12\).*not the elected responder/);
  assert.equal(f!.clientMac, '52:54:00:77:00:01');
});

test('a foreign proxyDHCP, a DHCP server sending PXEClient, and WDS are rogue responders', () => {
  const proxy = judgePxeReply(reply({ server: '10.77.0.9' }), '10.77.0.9', expected);
  assert.equal(proxy?.kind, 'rogueResponder');
  assert.match(proxy!.reason, /^proxyDHCP 10\.77\.0\.9 answers PXE clients/);
  const dhcp = judgePxeReply(reply({ server: '10.77.0.2', yiaddr: '10.77.0.150' }), '10.77.0.2', expected);
  assert.match(dhcp!.reason, /DHCP server 10\.77\.0\.2 sends PXEClient in its own offers/);
  const wds = judgePxeReply(reply({ server: '10.77.0.20', file: 'boot\\x86\\wdsnbp.com' }), '10.77.0.20', expected);
  assert.match(wds!.reason, /looks like WDS/);
  const http = judgePxeReply(reply({ server: '10.77.0.21', vendor: 'HTTPClient', file: 'http://10.77.0.21/x.efi' }), '10.77.0.21', expected);
  assert.equal(http?.kind, 'rogueResponder');
});

test('a duplicate peerboot responder is reported only when seen again after the confirmation time', () => {
  const book = new FindingBook(60_000, 3000);
  const f = judgePxeReply(reply({ server: '10.77.0.12' }), '10.77.0.12', expected)!;
  assert.equal(book.shouldReport(f, 0), false, 'first sighting: maybe a failover in progress');
  assert.equal(book.shouldReport(f, 1000), false);
  assert.equal(book.shouldReport(f, 3500), true, 'still answering 3.5 s later: a split election');
  assert.equal(book.shouldReport(f, 4000), false, 'then quiet');
});

test('findings are reported once per quiet period per responder', () => {
  const book = new FindingBook(1000);
  const f = judgePxeReply(reply({ server: '10.77.0.9' }), '10.77.0.9', expected)!;
  assert.equal(book.shouldReport(f, 0), true);
  assert.equal(book.shouldReport(f, 500), false);
  assert.equal(book.shouldReport(f, 1500), true);
});
