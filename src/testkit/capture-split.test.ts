// Goal: the fixture cutter finds the firmware/chained boundary and follows TFTP transfers, and the
// checked-in golden captures hold what their README says (a regression guard for re-recording).
// Method: read the fixtures with readPcap, classify, and check message types, ports and options.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { classifyCapture, dhcpOptionBytes, splitBootCapture, type CapturedPacket } from './capture-split.js';
import { readPcap } from './pcap/pcap-file.js';
import { udpInEthernet } from './pcap/udp-datagrams.js';

const fixture = (rel: string) => readPcap(readFileSync(new URL(`../protocol/${rel}`, import.meta.url)));

test('SeaBIOS + iPXE ROM capture: DISCOVER from 68, the PXEBS REQUEST to 4011 with 43.71', () => {
  const pcap = fixture('dhcp/testdata/seabios-ipxe-rom.pcap');
  const kinds = classifyCapture(pcap.records);
  assert.ok(kinds.every((k) => k.proto === 'dhcp'));
  const first = udpInEthernet(pcap.records[0]!.data)!;
  assert.equal(first.dstPort, 67);
  assert.equal(Buffer.from(dhcpOptionBytes(first.payload, 60)!).toString(), 'PXEClient:Arch:00000:UNDI:002001');
  assert.equal(Buffer.from(dhcpOptionBytes(first.payload, 77)!).toString(), 'iPXE');
  const bs = pcap.records.map((r) => udpInEthernet(r.data)!).find((d) => d.dstPort === 4011);
  assert.ok(bs, 'a boot-server request to port 4011');
  assert.equal(bs.srcPort, 68);
  const opt43 = dhcpOptionBytes(bs.payload, 43)!;
  assert.equal(opt43[0], 71, 'the request carries PXE_BOOT_ITEM (43.71)');
});

test('OVMF capture: arch 7, no user class, REQUEST from port 4011 to port 4011', () => {
  const pcap = fixture('dhcp/testdata/ovmf-pxe.pcap');
  const datagrams = pcap.records.map((r) => udpInEthernet(r.data)!);
  const discover = datagrams[0]!;
  assert.deepEqual([...dhcpOptionBytes(discover.payload, 93)!], [0, 7]);
  assert.equal(dhcpOptionBytes(discover.payload, 77), null);
  assert.ok(datagrams.some((d) => d.srcPort === 4011 && d.dstPort === 4011 && d.payload[0] === 1));
});

test('chained captures: plain PXEClient from undionly, :003010 + iPXE from ipxe.efi', () => {
  const undi = udpInEthernet(fixture('dhcp/testdata/undionly-chained.pcap').records[0]!.data)!;
  assert.equal(Buffer.from(dhcpOptionBytes(undi.payload, 60)!).toString(), 'PXEClient');
  const efi = udpInEthernet(fixture('dhcp/testdata/ipxe-efi-chained.pcap').records[0]!.data)!;
  assert.equal(Buffer.from(dhcpOptionBytes(efi.payload, 60)!).toString(), 'PXEClient:Arch:00007:UNDI:003010');
  assert.equal(Buffer.from(dhcpOptionBytes(efi.payload, 77)!).toString(), 'iPXE');
});

test('OVMF TFTP capture: tsize probe, OACK, ERROR 8, then the real RRQ', () => {
  const pcap = fixture('tftp/testdata/ovmf-tftp.pcap');
  const kinds = classifyCapture(pcap.records) as Array<Extract<CapturedPacket, { proto: 'tftp' }>>;
  assert.deepEqual(kinds.slice(0, 5).map((k) => k.opcode), [1, 6, 5, 1, 6]);
  const probe = udpInEthernet(pcap.records[0]!.data)!;
  const fields = Buffer.from(probe.payload.subarray(2)).toString('latin1').split('\0');
  assert.deepEqual(fields, ['ipxe.efi', 'octet', 'tsize', '0', 'blksize', '1468', 'windowsize', '4', '']);
  const err = udpInEthernet(pcap.records[2]!.data)!;
  assert.deepEqual([...err.payload.slice(0, 4)], [0, 5, 0, 8]);
  assert.ok(kinds.every((k) => k.block === null || k.block <= 8));
});

test('splitBootCapture: DHCP before the first RRQ is firmware, after is chained; TFTP blocks capped', () => {
  const dhcp = (op: number): CapturedPacket => ({ proto: 'dhcp', op, messageType: 1 });
  const tftp = (opcode: number, block: number | null): CapturedPacket => ({ proto: 'tftp', opcode, block, filename: null });
  const packets: CapturedPacket[] = [
    dhcp(1), dhcp(2), { proto: 'other' }, tftp(1, null), tftp(6, null), tftp(3, 1), tftp(4, 1), tftp(3, 2), tftp(4, 2), dhcp(1), tftp(1, null),
  ];
  assert.deepEqual(splitBootCapture(packets, 1), { firmwareDhcp: [0, 1], chainedDhcp: [9], nbpTftp: [3, 4, 5, 6] });
  assert.deepEqual(splitBootCapture([dhcp(1)], 8), { firmwareDhcp: [0], chainedDhcp: [], nbpTftp: [] });
});
