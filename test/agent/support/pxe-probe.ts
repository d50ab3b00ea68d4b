/**
 * A scripted PXE client for the agent system tests, run inside a lab namespace: broadcasts a BIOS
 * PXE DHCPDISCOVER (option 60 PXEClient, 93 = 0, 97 = a UUID) every INTERVAL ms with a fresh xid,
 * from SRC:68, and prints one JSON line per proxy offer it hears on port 68:
 *   {"t": <epoch ms>, "from": "<source ip>", "serverId": "<option 54>", "file": "<file>", "xid": …}
 * Usage: node --import tsx pxe-probe.ts SRC_IP INTERVAL_MS [MAC|rotate] [ipxe]
 * With `ipxe`, the DISCOVER is iPXE's (option 77 "iPXE", option 175 with HTTP support, 175.19),
 * so the responder offers the profile's script by URL and may spread clients over peers.
 * Without MAC, each DISCOVER comes from another MAC (52:54:00:78:xx:yy, 1000 in turn), so the
 * responder's per-MAC reply limit (4 per 10 s; docs/protocol-notes.md, "Reply rate limits") never
 * hides an answer. Two sockets, as the responder does
 * (docs/protocol-notes.md, "Privileged ports and broadcast sockets in Node"): 0.0.0.0:68 receives the broadcast replies, SRC:68 sends.
 */
import { getServerIdentifier, getStringOption } from '../../../src/protocol/dhcp/options.js';
import { openDhcpClientSockets } from './dhcp-client-sockets.js';
import { decodeDhcpPacket, encodeDhcpPacket } from '../../../src/protocol/dhcp/packet.js';
import { encodeClientMachineId } from '../../../src/protocol/dhcp/pxe.js';

const text = (s: string) => new TextEncoder().encode(s);
const [src = '10.77.0.2', intervalText = '100', macArg = 'rotate', mode = 'firmware'] = process.argv.slice(2);
const fixedMac = macArg === 'rotate' ? undefined : macArg;
// iPXE: user class "iPXE" (bare string, as iPXE sends it) and 175 = { 19 (HTTP): 1 }.
const ipxeOptions: Array<[number, Uint8Array]> = mode === 'ipxe' ? [[77, text('iPXE')], [175, Uint8Array.of(19, 1, 1)]] : [];
let n = 0;
const nextMac = (): number[] => {
  if (fixedMac) return fixedMac.split(':').map((h) => parseInt(h, 16));
  n = (n + 1) % 1000;
  return [0x52, 0x54, 0, 0x78, n >> 8, n & 0xff];
};

const { tx } = await openDhcpClientSockets(src, (msg, rinfo) => {
  try {
    const p = decodeDhcpPacket(msg);
    if (p.op !== 2 || getStringOption(p, 60) === undefined) return;
    const mac = [...p.clientHardwareAddr.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
    process.stdout.write(JSON.stringify({ t: Date.now(), from: rinfo.address, serverId: getServerIdentifier(p) ?? null, file: p.bootFile, xid: p.xid, mac }) + '\n');
  } catch {
    // not ours
  }
});

let xid = (Date.now() & 0xffff) << 8;
const send = () => {
  xid = (xid + 1) >>> 0;
  const bytes = encodeDhcpPacket({
    op: 1, htype: 1, hlen: 6, hops: 0, xid, secs: 0, flags: 0x8000,
    clientAddr: '0.0.0.0', yourAddr: '0.0.0.0', serverAddr: '0.0.0.0', gatewayAddr: '0.0.0.0',
    clientHardwareAddr: Uint8Array.from([...nextMac(), ...new Array(10).fill(0)]),
    serverName: '', bootFile: '',
    options: new Map<number, Uint8Array>([
      [53, Uint8Array.of(1)], [93, Uint8Array.of(0, 0)], [94, Uint8Array.of(1, 2, 1)],
      [60, text('PXEClient:Arch:00000:UNDI:002001')], [97, encodeClientMachineId('7a11b007-0078-4c0d-8e5f-525400780000')],
      ...ipxeOptions,
    ]),
  });
  tx.send(bytes, 67, '255.255.255.255');
};
setInterval(send, Number(intervalText));
send();
process.on('SIGTERM', () => process.exit(0));
