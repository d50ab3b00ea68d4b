// Goal: the lab's tcpdump reader turns real `tcpdump -n -l -tt -v` output into the events the
// e2e timings and the demo narration rely on (first DISCOVER, the boot file offered, RRQs, SYNs).
// Method: feed lines copied from a lab run (SeaBIOS + iPXE ROM through dnsmasq) and check the events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketWatch, parseTcpdumpPacket } from './packet-watch.js';

const discover = `1795643116.554660 IP (tos 0x0, ttl 64, id 264, offset 0, flags [none], proto UDP (17), length 428)
    0.0.0.0.68 > 255.255.255.255.67: BOOTP/DHCP, Request from 52:54:00:77:00:01, length 400, xid 0x2b9a4d66, secs 4, Flags [none]
	  Client-Ethernet-Address 52:54:00:77:00:01
	  Vendor-rfc1048 Extensions
	    Magic Cookie 0x63825363
	    DHCP-Message (53), length 1: Discover
	    MSZ (57), length 2: 1472
	    ARCH (93), length 2: 0
	    Vendor-Class (60), length 32: "PXEClient:Arch:00000:UNDI:002001"`;

const ack4011 = `1795643116.649743 IP (tos 0xc0, ttl 64, id 26220, offset 0, flags [none], proto UDP (17), length 328)
    10.77.0.11.4011 > 10.77.0.130.68: BOOTP/DHCP, Reply, length 300, secs 4, Flags [Broadcast]
	  Your-IP 10.77.0.130
	  Server-IP 10.77.0.11
	  Client-Ethernet-Address 52:54:00:77:00:01
	  file "undionly.kpxe"
	  Vendor-rfc1048 Extensions
	    Magic Cookie 0x63825363
	    DHCP-Message (53), length 1: ACK
	    Vendor-Class (60), length 9: "PXEClient"`;

const rrq = `1795643116.671870 IP (tos 0x0, ttl 64, id 1053, offset 0, flags [none], proto UDP (17), length 71)
    10.77.0.130.42870 > 10.77.0.11.69: TFTP, length 43, RRQ "undionly.kpxe" octet blksize 1432 tsize 0`;

const syn = `1795643120.000100 IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)
    10.77.0.130.21347 > 10.77.0.11.8080: Flags [S], cksum 0x1234 (correct), seq 1, win 8192, length 0`;

test('a client DISCOVER: sender, type, MAC, vendor class, time', () => {
  const e = parseTcpdumpPacket(discover.split('\n'));
  assert.deepEqual(e, {
    kind: 'dhcp', atEpochMs: 1795643116555, from: '0.0.0.0:68', to: '255.255.255.255:67', fromClient: true,
    messageType: 'Discover', clientMac: '52:54:00:77:00:01', vendorClass: 'PXEClient:Arch:00000:UNDI:002001', bootFile: null,
    yourIp: null,
  });
});

test('a 4011 ACK: a reply carrying the boot file', () => {
  const e = parseTcpdumpPacket(ack4011.split('\n'));
  assert.equal(e?.kind, 'dhcp');
  if (e?.kind !== 'dhcp') return;
  assert.equal(e.fromClient, false);
  assert.equal(e.messageType, 'ACK');
  assert.equal(e.bootFile, 'undionly.kpxe');
  assert.equal(e.yourIp, '10.77.0.130');
  assert.equal(e.from, '10.77.0.11:4011');
});

test('a TFTP RRQ and a TCP SYN', () => {
  assert.deepEqual(parseTcpdumpPacket(rrq.split('\n')), {
    kind: 'tftp-read', atEpochMs: 1795643116672, from: '10.77.0.130:42870', to: '10.77.0.11:69',
    filename: 'undionly.kpxe', options: 'octet blksize 1432 tsize 0',
  });
  assert.deepEqual(parseTcpdumpPacket(syn.split('\n')), {
    kind: 'tcp-connect', atEpochMs: 1795643120000, from: '10.77.0.130:21347', to: '10.77.0.11:8080',
  });
});

test('lines that are no packet of interest give no event', () => {
  assert.equal(parseTcpdumpPacket(['tcpdump: listening on tap0']), null);
  assert.equal(parseTcpdumpPacket(['1795643116.1 IP (tos 0x0)', '    10.0.0.1.5 > 10.0.0.2.6: UDP, length 4']), null);
});

test('PacketWatch splits a stream into packets at each header line', () => {
  const watch = new PacketWatch();
  const seen: string[] = [];
  watch.onEvent((e) => seen.push(e.kind));
  for (const line of [discover, ack4011, rrq, syn].join('\n').split('\n')) watch.feed(line);
  watch.flush();
  assert.deepEqual(seen, ['dhcp', 'dhcp', 'tftp-read', 'tcp-connect']);
  assert.equal(watch.first((e) => e.kind === 'tftp-read')?.atEpochMs, 1795643116672);
});
