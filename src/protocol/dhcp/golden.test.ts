// Goal: the codec reads real firmware traffic (SeaBIOS + iPXE ROM, OVMF native PXE, chained
// undionly.kpxe and ipxe.efi; recorded in the lab, see testdata/README.md) exactly as checked in,
// and every captured message survives decode -> encode -> decode.
// Method: every DHCP datagram (ports 67/68/4011) of testdata/*.pcap is decoded and rendered with
// describeDhcpPacket; the text must equal testdata/<name>.decoded.txt (UPDATE_GOLDEN=1 rewrites it,
// after pixiecore's dhcp.pcap -> dhcp.parsed). Then each message is re-encoded and decoded again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { udpDatagrams, type CapturedDatagram } from '../../testkit/pcap/udp-datagrams.js';
import { describeDhcpPacket } from '../../testkit/describe-dhcp.js';
import { decodeDhcpPacket, encodeDhcpPacket } from './packet.js';

const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));
const DHCP_PORTS = new Set([67, 68, 4011]);
const EXPECTED_CAPTURES = ['seabios-ipxe-rom.pcap', 'undionly-chained.pcap', 'ovmf-pxe.pcap', 'ipxe-efi-chained.pcap'];

function dhcpDatagrams(file: string): CapturedDatagram[] {
  return udpDatagrams(readFileSync(`${testdata}${file}`)).filter((d) => DHCP_PORTS.has(d.srcPort) && DHCP_PORTS.has(d.dstPort));
}

function render(datagrams: CapturedDatagram[]): string {
  const t0 = datagrams[0]?.timestampMicros ?? 0;
  return datagrams
    .map((d, i) => {
      const at = ((d.timestampMicros - t0) / 1e6).toFixed(3);
      const head = `#${i + 1} +${at}s ${d.srcIp}:${d.srcPort} -> ${d.dstIp}:${d.dstPort} (${d.payload.length} bytes)`;
      return `${head}\n${describeDhcpPacket(decodeDhcpPacket(d.payload))}\n`;
    })
    .join('\n');
}

test('the firmware captures named in the brief are checked in', () => {
  for (const name of EXPECTED_CAPTURES) {
    assert.ok(existsSync(`${testdata}${name}`), `missing fixture ${name}`);
    assert.ok(dhcpDatagrams(name).length >= 2, `${name} holds no DHCP exchange`);
  }
});

const captures = readdirSync(testdata).filter((f) => f.endsWith('.pcap') && dhcpDatagrams(f).length > 0).sort();

for (const name of captures) {
  test(`golden decode: ${name}`, () => {
    const goldenPath = `${testdata}${name.replace(/\.pcap$/, '.decoded.txt')}`;
    const actual = render(dhcpDatagrams(name));
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenPath, actual);
    assert.ok(existsSync(goldenPath), `${goldenPath} is missing: run with UPDATE_GOLDEN=1 and review the diff`);
    assert.equal(actual, readFileSync(goldenPath, 'utf8'), 'decoded text changed: if intended, rerun with UPDATE_GOLDEN=1 and review the diff');
  });

  test(`decode -> encode -> decode round-trip: ${name}`, () => {
    for (const d of dhcpDatagrams(name)) {
      const first = decodeDhcpPacket(d.payload);
      const wire = encodeDhcpPacket(first);
      assert.ok(wire.length >= 300);
      assert.deepEqual(decodeDhcpPacket(wire), first);
      // These captures are canonical (no overload, no PAD between options, one instance per code,
      // END then zero padding), so re-encoding reproduces every byte. A future capture that is not
      // canonical would need only the decode equality above.
      assert.deepEqual(wire, d.payload, `${d.srcIp}:${d.srcPort} -> ${d.dstIp}:${d.dstPort} re-encodes differently`);
    }
  });
}
