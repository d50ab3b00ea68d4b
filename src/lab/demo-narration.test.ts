// Goal: the demo tells each step once, in plain words, from real packet events and real responder
// log lines (the shapes below are copied from e2e runs), and stays silent about noise.
// Method: feed a BIOS-over-HTTP and a UEFI-over-TFTP sequence through one Narrator each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeClient, Narrator } from './demo-narration.js';
import type { PacketEvent } from './packet-watch.js';

const names = { dhcpServerIp: '10.77.0.2', peerIp: '10.77.0.11' };
const discover = (vendorClass: string): PacketEvent => ({
  kind: 'dhcp', atEpochMs: 0, from: '0.0.0.0:68', to: '255.255.255.255:67', fromClient: true, messageType: 'Discover',
  clientMac: '52:54:00:77:00:01', vendorClass, bootFile: null, yourIp: null,
});
const serverOffer: PacketEvent = {
  kind: 'dhcp', atEpochMs: 0, from: '10.77.0.2:67', to: '10.77.0.130:68', fromClient: false, messageType: 'Offer',
  clientMac: '52:54:00:77:00:01', vendorClass: null, bootFile: null, yourIp: '10.77.0.130',
};

test('BIOS over HTTP: DISCOVER once, the address offer, the peer\'s answer, the downloads', () => {
  const n = new Narrator(names);
  const lines = [
    n.packet(discover('PXEClient:Arch:00000:UNDI:002001')),
    n.packet(discover('PXEClient:Arch:00000:UNDI:002001')), // retransmission: not told again
    n.packet(serverOffer),
    n.responderLog({ msg: 'proxyDHCP offer sent', component: 'pxe', mac: '52:54:00:77:00:01', arch: 'bios', ipxe: true, port: 67, decision: 'offer', offered: 'http://10.77.0.11:8080/boot.ipxe' }),
    n.responderLog({ msg: 'http request', component: 'http', method: 'GET', file: '/vmlinuz', status: 200, bytes: 14186432, ms: 981 }),
    n.responderLog({ msg: 'responder ready', interface: 'eth0' }),
  ].filter((l) => l !== null);
  assert.deepEqual(lines, [
    'the VM\'s BIOS network ROM (iPXE) broadcasts a DHCP DISCOVER: "I need an address, and something to boot"',
    'the DHCP server offers address 10.77.0.130 (nothing about booting: it is a plain DHCP server)',
    'the peerboot peer answers 52:54:00:77:00:01 (bios, iPXE): boot "http://10.77.0.11:8080/boot.ipxe"',
    'the peer sent vmlinuz over HTTP (13.5 MiB in 1.0 s)',
  ]);
});

test('UEFI over TFTP: 4011 ack, the size probe, the transfer, an ignore', () => {
  const n = new Narrator(names);
  assert.match(n.responderLog({ component: 'pxe', mac: 'm', arch: 'uefi-x64', ipxe: false, port: 4011, decision: 'ack', offered: 'ipxe.efi' }) ?? '', /on port 4011\): boot "ipxe\.efi"/);
  assert.match(n.responderLog({ component: 'tftp', file: 'ipxe.efi', size: 850528, bytes: 0, outcome: 'probe', ms: 6 }) ?? '', /size probe/);
  assert.equal(n.responderLog({ component: 'tftp', file: 'ipxe.efi', bytes: 850528, outcome: 'complete', ms: 219 }), 'the peer sent ipxe.efi over TFTP (831 KiB in 0.2 s)');
  assert.match(n.responderLog({ component: 'pxe', mac: 'm', decision: 'ignore', reason: 'no client is allowed' }) ?? '', /ignores m: no client is allowed/);
});

test('clients are named by their vendor class', () => {
  assert.match(describeClient('PXEClient:Arch:00007:UNDI:003000'), /UEFI firmware/);
  assert.match(describeClient('PXEClient:Arch:00007:UNDI:003010'), /iPXE \(just loaded, UEFI build\)/);
  assert.match(describeClient('PXEClient'), /iPXE \(just loaded\)/);
});
