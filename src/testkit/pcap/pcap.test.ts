// Goal: the pcap codec reads both byte orders and micro- and nanosecond files, writes a file back
// byte for byte, and refuses what is not a classic pcap; the datagram reader finds exactly the
// complete IPv4/UDP datagrams of a capture, for Ethernet (with VLAN tags) and Linux cooked captures,
// and skips fragments, non-UDP and snaplen-cut frames.
// Method: pcap files assembled byte by byte in the test, plus real captures from testdata.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LinkType, readPcap, writePcap } from './pcap-file.js';
import { udpDatagrams, udpInEthernet } from './udp-datagrams.js';

function ipv4Udp(src: number[], dst: number[], sport: number, dport: number, payload: number[], opts: { protocol?: number; fragment?: number } = {}): number[] {
  const udpLen = 8 + payload.length;
  const total = 20 + udpLen;
  const frag = opts.fragment ?? 0;
  return [
    0x45, 0, total >> 8, total & 0xff, 0, 1, frag >> 8, frag & 0xff, 64, opts.protocol ?? 17, 0, 0, ...src, ...dst,
    sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, udpLen >> 8, udpLen & 0xff, 0, 0, ...payload,
  ];
}

const ETH = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0x77, 0, 1];

function pcap(linkType: number, frames: Array<{ data: number[]; cut?: number }>, le = true, nanos = false): Uint8Array {
  const out: number[] = [];
  const u32 = (v: number) => (le ? [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff] : [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
  const u16 = (v: number) => (le ? [v & 0xff, v >> 8] : [v >> 8, v & 0xff]);
  out.push(...u32(nanos ? 0xa1b23c4d : 0xa1b2c3d4), ...u16(2), ...u16(4), ...u32(0), ...u32(0), ...u32(65535), ...u32(linkType));
  frames.forEach((f, i) => {
    const captured = f.cut ?? f.data.length;
    out.push(...u32(1000 + i), ...u32(nanos ? 5000 : 5), ...u32(captured), ...u32(f.data.length), ...f.data.slice(0, captured));
  });
  return Uint8Array.from(out);
}

test('Ethernet (little-endian, µs): UDP datagrams with addresses, ports and payload; others skipped', () => {
  const udp = ipv4Udp([0, 0, 0, 0], [255, 255, 255, 255], 68, 67, [1, 2, 3]);
  const file = pcap(LinkType.ethernet, [
    { data: [...ETH, 0x08, 0x00, ...udp] },
    { data: [...ETH, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00, ...ipv4Udp([10, 0, 0, 1], [10, 0, 0, 2], 4011, 68, [9])] }, // VLAN 5
    { data: [...ETH, 0x86, 0xdd, 0x60, 0, 0, 0] }, // IPv6
    { data: [...ETH, 0x08, 0x00, ...ipv4Udp([1, 1, 1, 1], [2, 2, 2, 2], 1, 2, [7], { protocol: 6 })] }, // TCP
    { data: [...ETH, 0x08, 0x00, ...ipv4Udp([1, 1, 1, 1], [2, 2, 2, 2], 1, 2, [7], { fragment: 0x2000 })] }, // MF
    { data: [...ETH, 0x08, 0x00, ...udp], cut: 30 }, // snaplen
  ]);
  const got = udpDatagrams(file);
  assert.deepEqual(got, [
    { recordIndex: 0, timestampMicros: 1000 * 1e6 + 5, srcIp: '0.0.0.0', dstIp: '255.255.255.255', srcPort: 68, dstPort: 67, payload: Uint8Array.of(1, 2, 3) },
    { recordIndex: 1, timestampMicros: 1001 * 1e6 + 5, srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 4011, dstPort: 68, payload: Uint8Array.of(9) },
  ]);
});

test('big-endian nanosecond files and Linux cooked (SLL, SLL2) link types', () => {
  const udp = ipv4Udp([10, 0, 0, 1], [10, 0, 0, 2], 67, 68, [42]);
  const sll = [0, 0, 0, 1, 0, 6, ...ETH.slice(6), 0, 0, 0x08, 0x00];
  const sll2 = [0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, ...ETH.slice(6), 0, 0];
  for (const [linkType, header] of [[LinkType.linuxSll, sll], [LinkType.linuxSll2, sll2]] as const) {
    const file = pcap(linkType, [{ data: [...header, ...udp] }], false, true);
    assert.equal(readPcap(file).linkType, linkType);
    const [d] = udpDatagrams(file);
    assert.equal(d?.timestampMicros, 1000 * 1e6 + 5);
    assert.deepEqual(d?.payload, Uint8Array.of(42));
    assert.equal(d?.srcPort, 67);
  }
});

test('rejects what is not a classic pcap, with a useful message', () => {
  assert.throws(() => readPcap(new Uint8Array(10)), /not a pcap file/);
  assert.throws(() => readPcap(Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, ...new Array(28).fill(0)])), /pcapng is not supported/);
  const file = pcap(LinkType.ethernet, [{ data: [...ETH, 0x08, 0x00] }]);
  assert.throws(() => readPcap(file.subarray(0, file.length - 1)), /truncated record data/);
  assert.throws(() => udpDatagrams(pcap(147, [{ data: [1] }])), /unsupported pcap link type 147/);
});

test('reads a real firmware capture (OVMF native PXE, tcpdump -w)', () => {
  const file = readFileSync(new URL('../../protocol/dhcp/testdata/ovmf-pxe.pcap', import.meta.url));
  const datagrams = udpDatagrams(file);
  assert.equal(readPcap(file).linkType, LinkType.ethernet);
  assert.ok(datagrams.length >= 7, `${datagrams.length} datagrams`);
  assert.deepEqual(
    datagrams.filter((d) => d.dstPort === 4011).map((d) => [d.srcIp, d.srcPort, d.dstIp]),
    [['10.77.0.130', 4011, '10.77.0.11'], ['10.77.0.11', 4011, '10.77.0.130']],
    'the BINL request and its ACK, both port 4011 to port 4011',
  );
});

test('pcap files survive a read/write round trip; bad input is refused', () => {
  const bytes = readFileSync(new URL('../../protocol/dhcp/testdata/ovmf-pxe.pcap', import.meta.url));
  const pcap = readPcap(bytes);
  assert.equal(pcap.linkType, 1);
  assert.deepEqual(Buffer.from(writePcap(pcap, pcap.records)), bytes);
  assert.throws(() => readPcap(new Uint8Array(10)), /shorter/);
  assert.throws(() => readPcap(new Uint8Array(24)), /not a classic pcap/);
  assert.throws(() => readPcap(bytes.subarray(0, bytes.length - 5)), /truncated/);
  assert.equal(udpInEthernet(new Uint8Array(20)), null);
});
