/**
 * A scripted SeaBIOS iPXE ROM for the agent system tests, run inside a lab namespace: on each
 * SIGUSR1 it broadcasts the ROM's recorded DHCPDISCOVER (src/protocol/dhcp/testdata/seabios-ipxe-rom.pcap,
 * byte for byte except xid and MAC, which change per round so the responders' per-MAC limit never
 * hides an answer) from SRC:68, and the same bytes again 1 s later, as the ROM does (two DISCOVERs,
 * at 0 s and ≈1 s, same xid: docs/lab-notes.md, "The iPXE ROM asks twice, about 1 s apart").
 * Prints JSON lines:
 *   {"sent": <epoch ms>, "xid": n, "attempt": 0|1}       per DISCOVER sent
 *   {"t": <epoch ms>, "from": "<ip>", "xid": n, "file": "…"} per proxy offer heard on port 68
 * Prints {"ready": true} once its sockets are bound. Usage: node --import tsx rom-discover.ts SRC_IP
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getStringOption } from '../../../src/protocol/dhcp/options.js';
import { openDhcpClientSockets } from './dhcp-client-sockets.js';
import { decodeDhcpPacket } from '../../../src/protocol/dhcp/packet.js';
import { udpDatagrams } from '../../../src/testkit/pcap/udp-datagrams.js';

const [src = '10.77.0.2'] = process.argv.slice(2);
const pcap = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'protocol', 'dhcp', 'testdata', 'seabios-ipxe-rom.pcap'));
const first = udpDatagrams(pcap).find((d) => d.dstPort === 67 && d.payload[0] === 1);
if (!first) throw new Error('no DISCOVER in seabios-ipxe-rom.pcap');
const template = Buffer.from(first.payload);
const MAC = Buffer.from([0x52, 0x54, 0x00, 0x77, 0x00, 0x01]);

const { tx } = await openDhcpClientSockets(src, (msg, rinfo) => {
  try {
    const p = decodeDhcpPacket(msg);
    if (p.op !== 2 || !(getStringOption(p, 60) ?? '').startsWith('PXEClient') || p.yourAddr !== '0.0.0.0') return;
    process.stdout.write(JSON.stringify({ t: Date.now(), from: rinfo.address, xid: p.xid, file: p.bootFile }) + '\n');
  } catch {
    // not a DHCP reply we can read
  }
});

let round = 0;
process.on('SIGUSR1', () => {
  round++;
  const bytes = Buffer.from(template);
  const xid = (0x5eed0000 + round) >>> 0;
  bytes.writeUInt32BE(xid, 4);
  // The MAC appears in chaddr and option 61 (and the UUID's tail): replace every copy.
  const mac = Buffer.from(MAC);
  mac[4] = (round >> 8) & 0xff;
  mac[5] = round & 0xff;
  for (let i = bytes.indexOf(MAC); i >= 0; i = bytes.indexOf(MAC, i + 6)) mac.copy(bytes, i);
  const send = (attempt: number) => tx.send(bytes, 67, '255.255.255.255', () => {
    process.stdout.write(JSON.stringify({ sent: Date.now(), xid, attempt }) + '\n');
  });
  send(0);
  setTimeout(() => send(1), 1000);
});
process.on('SIGTERM', () => process.exit(0));
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
