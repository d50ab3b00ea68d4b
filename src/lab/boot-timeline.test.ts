// Goal: boot phases are read correctly off packet events for the TFTP and the HTTP paths, and
// phases that did not happen show as "not seen" rather than a wrong time.
// Method: hand-made event lists (times in ms after a start of 1000 ms).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootTimeline, describeBootPath, formatTimeline } from './boot-timeline.js';
import type { PacketEvent } from './packet-watch.js';

const names = { peerIp: '10.77.0.11', nbpFiles: ['undionly.kpxe', 'ipxe.efi'], script: 'boot.ipxe', kernel: 'vmlinuz', httpPort: 8080 };
const dhcp = (at: number, from: string, fromClient: boolean, messageType: string): PacketEvent => ({
  kind: 'dhcp', atEpochMs: at, from, to: '255.255.255.255:68', fromClient, messageType, clientMac: null, vendorClass: null, bootFile: null, yourIp: null,
});
const rrq = (at: number, filename: string): PacketEvent => ({ kind: 'tftp-read', atEpochMs: at, from: '10.77.0.130:2000', to: '10.77.0.11:69', filename, options: '' });
const syn = (at: number): PacketEvent => ({ kind: 'tcp-connect', atEpochMs: at, from: '10.77.0.130:3000', to: '10.77.0.11:8080' });

test('TFTP path: every phase from the RRQs', () => {
  const t = bootTimeline([
    dhcp(4000, '0.0.0.0:68', true, 'Discover'), dhcp(4010, '10.77.0.2:67', false, 'Offer'), dhcp(4020, '10.77.0.11:67', false, 'Offer'),
    rrq(4500, 'undionly.kpxe'), rrq(9000, 'boot.ipxe'), rrq(9100, 'vmlinuz'),
  ], 1000, names, [
    { time: new Date(12_000).toISOString(), component: 'tftp', file: 'vmlinuz', outcome: 'complete' },
  ]);
  assert.deepEqual(t, {
    firstDiscoverS: 3, proxyOfferS: 3.02, nbpRequestS: 3.5, nbpFile: 'undionly.kpxe', scriptS: 8, scriptVia: 'tftp',
    kernelS: 8.1, kernelVia: 'tftp', kernelLoadedS: 11,
  });
  assert.equal(formatTimeline(t),
    'first DISCOVER 3.0 s, proxy offer 3.0 s, NBP undionly.kpxe 3.5 s, script (tftp) 8.0 s, kernel (tftp) requested 8.1 s, loaded 11.0 s');
  assert.equal(describeBootPath(t, 'BIOS'), 'BIOS → undionly.kpxe (TFTP) → iPXE script (TFTP) → kernel + initrd (TFTP)');
});

test('HTTP path: script and kernel from the TCP connections', () => {
  const t = bootTimeline([dhcp(2000, '0.0.0.0:68', true, 'Discover'), rrq(2500, 'ipxe.efi'), syn(6000), syn(6200)], 1000, names);
  assert.equal(t.scriptS, 5);
  assert.equal(t.kernelS, 5.2);
  assert.equal(t.kernelVia, 'http');
  assert.equal(t.kernelLoadedS, null);
  // One kept-alive connection for everything: no request time, the completion from the log.
  const one = bootTimeline([syn(6000)], 1000, names, [{ time: new Date(8000).toISOString(), component: 'http', file: '/vmlinuz', status: 200 }]);
  assert.equal(one.kernelS, null);
  assert.equal(one.kernelVia, 'http');
  assert.equal(one.kernelLoadedS, 7);
  assert.equal(t.scriptVia, 'http');
  assert.equal(describeBootPath(t, 'UEFI'), 'UEFI → ipxe.efi (TFTP) → iPXE script (HTTP) → kernel + initrd (HTTP)');
});

test('nothing seen: every phase null', () => {
  const t = bootTimeline([], 0, names);
  assert.equal(formatTimeline(t), 'first DISCOVER not seen, proxy offer not seen, NBP not seen, script not seen, kernel loaded not seen');
});
