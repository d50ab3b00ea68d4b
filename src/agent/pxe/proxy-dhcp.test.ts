// Goal: decideProxyDhcp answers exactly the rows of docs/protocol-notes.md,
// "Reply per kind of client", and honours every quirk of "Firmware quirks": PXE/HTTP-boot clients
// only, DISCOVER on 67, REQUEST/INFORM on 4011, never a port-67 REQUEST, yiaddr 0, option 54 =
// siaddr = our IP, broadcast rules, BINL for UEFI, scripts for iPXE without chain loops, HTTPClient for HTTP Boot.
// Method: requests shaped like the lab captures (SeaBIOS+iPXE ROM, OVMF, chained iPXE) go through
// the pure decision; each test asserts the reply fields, and every reply is also checked against
// invariants (encodes to 300..576 bytes, no address options, no NAK, no 43.1-5 or 43.9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDhcpPacket, encodeDhcpPacket, type DhcpPacket } from '../../protocol/dhcp/packet.js';
import { encodeUserClass, encodeClientMachineId, decodePxeVendorOptions, encodePxeVendorOptions } from '../../protocol/dhcp/pxe.js';
import {
  bootUrl,
  decideProxyDhcp,
  isIpxeBinaryName,
  normalizeMac,
  staticBootPolicy,
  WINDOWS_BCD_PATH_OPTION,
  type ProxyDhcpConfig,
  type ProxyDhcpContext,
  type ProxyDhcpDecision,
} from './proxy-dhcp.js';

const S = '10.77.0.11';
const MAC = '52:54:00:77:00:01';
const UUID = '7a11b007-0001-4c0d-8e5f-525400770001';
const text = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
const u16 = (...v: number[]) => Uint8Array.from(v.flatMap((x) => [x >> 8, x & 0xff]));
const hexBytes = (h: string) => Uint8Array.from(h.replace(/\s/g, '').match(/../g) ?? [], (x) => parseInt(x, 16));

const EDK2_PRL = [1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135];
const IPXE_PRL = [1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203];
const IPXE_175 = hexBytes('b105011af41000eb03010000170101220101130101110101270101190101290101100102210101150101180101120101');
const IPXE_175_NO_HTTP = hexBytes('eb03010000 150101');

function request(options: Array<[number, Uint8Array]>, fields: Partial<DhcpPacket> = {}): DhcpPacket {
  return {
    op: 1, htype: 1, hlen: 6, hops: 0, xid: 0x11223344, secs: 4, flags: 0x8000,
    clientAddr: '0.0.0.0', yourAddr: '0.0.0.0', serverAddr: '0.0.0.0', gatewayAddr: '0.0.0.0',
    clientHardwareAddr: Uint8Array.from([0x52, 0x54, 0x00, 0x77, 0x00, 0x01, ...new Array(10).fill(0)]),
    serverName: '', bootFile: '', options: new Map(options), ...fields,
  };
}

/** Returns a copy with options replaced (value) or removed (null). */
function edit(p: DhcpPacket, changes: Array<[number, Uint8Array | null]>, fields: Partial<DhcpPacket> = {}): DhcpPacket {
  const options = new Map(p.options);
  for (const [code, v] of changes) { if (v === null) options.delete(code); else options.set(code, v); }
  return { ...p, ...fields, options };
}

// A plain PXE 2.1 BIOS ROM (no iPXE): what Intel/Broadcom option ROMs send.
const biosPxeDiscover = request([
  [53, Uint8Array.of(1)], [57, u16(1472)], [55, Uint8Array.from(EDK2_PRL)],
  [97, encodeClientMachineId(UUID)], [94, Uint8Array.of(1, 2, 1)], [93, u16(0)],
  [60, text('PXEClient:Arch:00000:UNDI:002001')],
]);
// SeaBIOS + QEMU iPXE ROM (lab facts): the firmware itself is iPXE.
const ipxeRomDiscover = request([
  [53, Uint8Array.of(1)], [57, u16(1472)], [93, u16(0)], [94, Uint8Array.of(1, 2, 1)],
  [60, text('PXEClient:Arch:00000:UNDI:002001')], [77, text('iPXE')], [55, Uint8Array.from(IPXE_PRL)],
  [61, hexBytes('01525400770001')], [97, encodeClientMachineId(UUID)], [175, IPXE_175],
]);
// Chained undionly.kpxe: plain `PXEClient`, otherwise like the ROM.
const undionlyDiscover = edit(ipxeRomDiscover, [[60, text('PXEClient')]]);
// OVMF native PXE (EDK2 PxeBcDxe).
const ovmfDiscover = request([
  [53, Uint8Array.of(1)], [57, u16(1472)], [55, Uint8Array.from(EDK2_PRL)],
  [97, encodeClientMachineId(UUID)], [94, Uint8Array.of(1, 3, 0)], [93, u16(7)],
  [60, text('PXEClient:Arch:00007:UNDI:003000')],
], { secs: 0, flags: 0 });
// OVMF's BINL request to siaddr:4011 after DORA: new xid, ciaddr set, from its port 4011.
const ovmfBinlRequest = edit(ovmfDiscover, [[53, Uint8Array.of(3)], [57, u16(65280)]], { xid: 0x5eed0001, clientAddr: '10.77.0.130' });
// Chained ipxe.efi on OVMF.
const ipxeEfiDiscover = request([
  [53, Uint8Array.of(1)], [57, u16(1472)], [93, u16(7)], [94, Uint8Array.of(1, 3, 10)],
  [60, text('PXEClient:Arch:00007:UNDI:003010')], [77, text('iPXE')], [55, Uint8Array.from(IPXE_PRL)],
  [97, encodeClientMachineId(UUID)], [175, IPXE_175],
]);
// The iPXE ROM's boot-server request to 4011 from port 68 (lab facts): xid 0, ciaddr, 60 plain, 43.71.
const ipxe4011Request = edit(ipxeRomDiscover, [
  [53, Uint8Array.of(3)], [60, text('PXEClient')],
  [43, encodePxeVendorOptions({ bootItem: { type: 0x8000, layer: 0 } })],
], { xid: 0, clientAddr: '10.77.0.130', flags: 0 });
// OVMF HTTP Boot over IPv4 (lab facts: 60 HTTPClient:Arch:00016, 93 = 16).
const httpBootDiscover = request([
  [53, Uint8Array.of(1)], [57, u16(1472)], [55, Uint8Array.from([1, 3, 6, 15, 43, 60, 67])],
  [97, encodeClientMachineId(UUID)], [94, Uint8Array.of(1, 3, 0)], [93, u16(16)],
  [60, text('HTTPClient:Arch:00016:UNDI:003000')],
], { secs: 0 });

const on67: ProxyDhcpContext = { port: 67, serverIp: S, source: { address: '0.0.0.0', port: 68 } };
const on4011 = (address: string, port: number): ProxyDhcpContext => ({ port: 4011, serverIp: S, source: { address, port } });

function config(overrides: Partial<ProxyDhcpConfig> = {}, script: string | null = 'boot.ipxe'): ProxyDhcpConfig {
  return {
    select: staticBootPolicy({
      biosFile: 'undionly.kpxe', uefiX64File: 'ipxe.efi', uefiArm64File: 'arm64/ipxe.efi',
      ...(script ? { ipxeScript: script } : {}), allow: { kind: 'unknown' },
    }),
    httpPort: 8080,
    ...overrides,
  };
}

/**
 * Properties every reply must have, whatever the row (docs/protocol-notes.md, "BOOTP message layout",
 * "Option encoding and message size", "Fields of a proxy offer", "Option 43 PXE sub-options",
 * "Firmware quirks").
 */
function checkReplyInvariants(request: DhcpPacket, d: Extract<ProxyDhcpDecision, { kind: 'reply' }>, port: 67 | 4011): void {
  const wire = encodeDhcpPacket(d.reply);
  assert.ok(wire.length >= 300 && wire.length <= 576, `reply is ${wire.length} bytes`);
  const r = decodeDhcpPacket(wire);
  assert.equal(r.op, 2);
  assert.equal(r.xid, request.xid);
  assert.equal(r.htype, request.htype);
  assert.equal(r.hlen, request.hlen);
  assert.deepEqual(r.clientHardwareAddr, request.clientHardwareAddr);
  assert.equal(r.gatewayAddr, request.gatewayAddr);
  assert.equal(r.yourAddr, '0.0.0.0', 'a proxy never hands out an address');
  assert.equal(r.serverAddr, S);
  assert.equal(r.serverName, S);
  assert.deepEqual(r.options.get(54), Uint8Array.of(10, 77, 0, 11), 'option 54 = siaddr = our IP');
  assert.deepEqual(r.options.get(53), Uint8Array.of(port === 67 ? 2 : 5), 'OFFER on 67, ACK on 4011, never NAK');
  for (const code of [1, 3, 6, 50, 51, 52, 58, 59]) assert.equal(r.options.has(code), false, `no option ${code}`);
  assert.equal(r.bootFile, d.offered);
  if (r.options.has(43)) {
    const pxe = decodePxeVendorOptions(r.options.get(43)!);
    assert.equal(pxe.bootMenu, undefined, 'never 43.9');
    assert.equal(pxe.other, undefined, 'never 43.1-5 (WFM11a)');
  }
  assert.deepEqual(r.options.get(97), request.options.get(97), '97 echoed when sent, absent otherwise');
  assert.equal(r.options.has(66), request.options.get(55)?.includes(66) ?? false, '66 only when requested');
  assert.equal(r.options.has(67), request.options.get(55)?.includes(67) ?? false, '67 only when requested');
  if (r.options.has(67)) assert.deepEqual(r.options.get(67), text(`${d.offered}\0`));
  if (r.options.has(66)) assert.deepEqual(r.options.get(66), text(`${S}\0`));
  if (port === 67) {
    assert.equal(r.flags, 0x8000, 'broadcast flag on port-67 replies');
    assert.equal(r.clientAddr, '0.0.0.0');
  } else {
    assert.equal(r.clientAddr, request.clientAddr);
  }
}

function expectReply(request: DhcpPacket, context: ProxyDhcpContext, cfg: ProxyDhcpConfig) {
  const d = decideProxyDhcp(request, context, cfg);
  assert.equal(d.kind, 'reply', d.kind === 'ignore' ? `ignored: ${d.reason}` : '');
  if (d.kind !== 'reply') throw new Error('unreachable');
  checkReplyInvariants(request, d, context.port);
  return d;
}

function expectIgnore(request: DhcpPacket, context: ProxyDhcpContext, cfg: ProxyDhcpConfig, reason: RegExp) {
  const d = decideProxyDhcp(request, context, cfg);
  assert.equal(d.kind, 'ignore', d.kind === 'reply' ? `answered with ${d.offered}` : '');
  if (d.kind !== 'ignore') throw new Error('unreachable');
  assert.match(d.reason, reason);
  return d;
}

const vendorOf = (d: { reply: DhcpPacket }) => String.fromCharCode(...(d.reply.options.get(60) ?? []));
const pxeOf = (d: { reply: DhcpPacket }) => {
  const v = d.reply.options.get(43);
  return v && decodePxeVendorOptions(v);
};

// ---- "Reply per kind of client" rows (docs/protocol-notes.md) ------------------------------

test('BIOS PXE ROM, port 67: broadcast OFFER with siaddr + file = BIOS NBP, 43 = {6:08, 10:{0,"PXE"}}', () => {
  const d = expectReply(biosPxeDiscover, on67, config());
  assert.equal(d.offered, 'undionly.kpxe');
  assert.deepEqual(d.destination, { address: '255.255.255.255', port: 68 });
  assert.equal(vendorOf(d), 'PXEClient');
  assert.deepEqual(d.reply.options.get(43), hexBytes('06 01 08 0a 04 00 50 58 45 ff'));
  assert.deepEqual(d.client, {
    mac: MAC, uuid: UUID, archCode: 0, archClass: 'bios', isIpxe: false, ipxeHttp: false, isHttpBoot: false,
    vendorClass: 'PXEClient:Arch:00000:UNDI:002001', messageType: 1,
  });
  assert.deepEqual([...d.reply.options.keys()], [53, 54, 60, 43, 97, 66, 67]);
});

test('BIOS PXE ROM, port 4011 (BINL fallback, PXE-E55 safety net): unicast ACK with the same file', () => {
  const req = edit(biosPxeDiscover, [[53, Uint8Array.of(3)]], { clientAddr: '10.77.0.130', xid: 77 });
  const d = expectReply(req, on4011('10.77.0.130', 4011), config());
  assert.equal(d.offered, 'undionly.kpxe');
  assert.deepEqual(d.destination, { address: '10.77.0.130', port: 4011 });
  assert.equal(d.reply.flags, 0);
  assert.equal(d.reply.options.has(43), false, 'no 71 in the request, nothing to echo');
});

test('UEFI PXE (OVMF), port 67: BINL style, no option 43, siaddr and file both set', () => {
  const d = expectReply(ovmfDiscover, on67, config());
  assert.equal(d.offered, 'ipxe.efi');
  assert.equal(d.reply.options.has(43), false);
  assert.equal(d.client.archClass, 'uefi-x64');
  assert.equal(vendorOf(d), 'PXEClient');
  assert.deepEqual(d.destination, { address: '255.255.255.255', port: 68 });
});

test('EDK2 BINL exchange on 4011: REQUEST from A:4011 gets an ACK to A:4011 with file, 54, 60, 97', () => {
  const d = expectReply(ovmfBinlRequest, on4011('10.77.0.130', 4011), config());
  assert.deepEqual(d.destination, { address: '10.77.0.130', port: 4011 });
  assert.equal(d.reply.xid, 0x5eed0001, 'the fresh xid of the 4011 request is echoed');
  assert.equal(d.offered, 'ipxe.efi');
  assert.equal(d.reply.options.has(43), false);
  assert.equal(vendorOf(d), 'PXEClient');
});

test('UEFI PXE with uefiOfferStyle "direct": 43 = {6:08, 10} + file (smee style fallback)', () => {
  const d = expectReply(ovmfDiscover, on67, config({ uefiOfferStyle: 'direct' }));
  assert.deepEqual(pxeOf(d), { discoveryControl: 8, menuPrompt: { timeoutSeconds: 0, prompt: 'PXE' } });
});

test('arch 9 is x64 UEFI too (RFC 4578 erratum), arch 6 is IA32 (no file configured: ignored)', () => {
  assert.equal(expectReply(edit(ovmfDiscover, [[93, u16(9)]]), on67, config()).offered, 'ipxe.efi');
  expectIgnore(edit(ovmfDiscover, [[93, u16(6)]]), on67, config(), /no boot file configured for uefi-ia32/);
});

test('ARM64 UEFI gets the ARM64 NBP; without one configured it is ignored with the reason', () => {
  assert.equal(expectReply(edit(ovmfDiscover, [[93, u16(11)]]), on67, config()).offered, 'arm64/ipxe.efi');
  const cfg: ProxyDhcpConfig = { select: staticBootPolicy({ biosFile: 'a', uefiX64File: 'b', allow: { kind: 'unknown' } }) };
  expectIgnore(edit(ovmfDiscover, [[93, u16(11)]]), on67, cfg, /no boot file configured for uefi-arm64/);
});

test('chained ipxe.efi with HTTP (175.19) and an HTTP port: the script as http://IP:PORT/path, no 43', () => {
  const d = expectReply(ipxeEfiDiscover, on67, config());
  assert.equal(d.offered, 'http://10.77.0.11:8080/boot.ipxe');
  assert.equal(d.reply.options.has(43), false);
  assert.equal(d.client.isIpxe, true);
  assert.equal(d.client.ipxeHttp, true);
});

test('chained undionly.kpxe (plain PXEClient, arch 0): the script, never undionly again', () => {
  const d = expectReply(undionlyDiscover, on67, config());
  assert.equal(d.offered, 'http://10.77.0.11:8080/boot.ipxe');
});

test('iPXE ROM in the NIC (arch 0, 77 = iPXE): straight to the script', () => {
  assert.equal(expectReply(ipxeRomDiscover, on67, config()).offered, 'http://10.77.0.11:8080/boot.ipxe');
});

test('iPXE without HTTP support, or no HTTP port configured: plain relative script name (TFTP from siaddr)', () => {
  const noHttp = edit(ipxeEfiDiscover, [[175, IPXE_175_NO_HTTP]]);
  assert.equal(expectReply(noHttp, on67, config()).offered, 'boot.ipxe');
  assert.equal(expectReply(ipxeEfiDiscover, on67, config({ httpPort: undefined })).offered, 'boot.ipxe');
  const only77 = edit(ipxeEfiDiscover, [[175, null]]);
  const d = expectReply(only77, on67, config());
  assert.equal(d.client.ipxeHttp, false);
  assert.equal(d.offered, 'boot.ipxe');
});

test('iPXE detection: RFC 3004 user class form, or option 175 without 77', () => {
  const rfc3004 = edit(ipxeEfiDiscover, [[77, encodeUserClass(['iPXE'], 'rfc3004')]]);
  assert.equal(expectReply(rfc3004, on67, config()).client.isIpxe, true);
  const only175 = edit(ipxeEfiDiscover, [[77, null]]);
  assert.equal(expectReply(only175, on67, config()).client.isIpxe, true);
  const other77 = edit(ovmfDiscover, [[77, text('MSFT')]]);
  assert.equal(expectReply(other77, on67, config()).client.isIpxe, false);
});

test('chain-loop guard: an iPXE client with no script is ignored when its boot file is iPXE itself', () => {
  const noScript = config({}, null);
  expectIgnore(undionlyDiscover, on67, noScript, /chain-loop guard.*undionly\.kpxe.*is iPXE itself/);
  expectIgnore(ipxeEfiDiscover, on67, noScript, /chain-loop guard.*ipxe\.efi/);
  // A boot file that is not iPXE (pxelinux via the ROM's PXE API) is fine.
  const pxelinux: ProxyDhcpConfig = { select: () => ({ bootFile: 'pxelinux.0' }) };
  assert.equal(expectReply(ipxeRomDiscover, on67, pxelinux).offered, 'pxelinux.0');
});

test('iPXE 4011 request from port 68: ACK unicast to ip:68, 43.71 echoed, script offered, never 43.9', () => {
  const d = expectReply(ipxe4011Request, on4011('10.77.0.130', 68), config());
  assert.deepEqual(d.destination, { address: '10.77.0.130', port: 68 });
  assert.deepEqual(pxeOf(d), { bootItem: { type: 0x8000, layer: 0 } });
  assert.equal(d.offered, 'http://10.77.0.11:8080/boot.ipxe');
  assert.equal(d.reply.xid, 0);
});

test('INFORM on 4011 is answered like REQUEST (dnsmasq accepts it for boot-server requests)', () => {
  const inform = edit(ovmfBinlRequest, [[53, Uint8Array.of(8)]]);
  assert.equal(expectReply(inform, on4011('10.77.0.130', 4011), config()).offered, 'ipxe.efi');
});

test('UEFI HTTP Boot: HTTPClient echoed, absolute IP-literal URL in file (and 67 when asked), no 43', () => {
  const d = expectReply(httpBootDiscover, on67, config());
  assert.equal(vendorOf(d), 'HTTPClient');
  assert.equal(d.offered, 'http://10.77.0.11:8080/ipxe.efi');
  assert.equal(d.reply.options.has(43), false);
  assert.equal(d.client.isHttpBoot, true);
  assert.equal(d.client.archClass, 'http-x64');
  const withoutPrl = edit(httpBootDiscover, [[55, null]]);
  const d2 = expectReply(withoutPrl, on67, config());
  assert.equal(d2.reply.bootFile, 'http://10.77.0.11:8080/ipxe.efi');
});

test('UEFI HTTP Boot is ignored without an HTTP port, and never answered on 4011', () => {
  expectIgnore(httpBootDiscover, on67, config({ httpPort: undefined }), /no HTTP port/);
  const req = edit(httpBootDiscover, [[53, Uint8Array.of(3)]], { clientAddr: '10.77.0.130' });
  expectIgnore(req, on4011('10.77.0.130', 68), config(), /HTTP Boot clients do not use port 4011/);
});

// ---- "Which requests a proxy answers" / "Firmware quirks" (docs/protocol-notes.md) ----------

test('never answers a DHCPREQUEST on port 67, even from a PXE client', () => {
  expectIgnore(edit(ovmfDiscover, [[53, Uint8Array.of(3)]]), on67, config(), /DHCPREQUEST on port 67 belongs to the real DHCP server/);
});

test('other message types, replies and BOOTP are ignored', () => {
  expectIgnore(edit(ovmfDiscover, [[53, Uint8Array.of(8)]]), on67, config(), /DHCPINFORM on port 67/);
  expectIgnore(edit(ovmfDiscover, [[53, Uint8Array.of(7)]]), on67, config(), /RELEASE/);
  expectIgnore(ovmfDiscover, on4011('10.77.0.130', 4011), config(), /DHCPDISCOVER on port 4011/);
  expectIgnore(edit(ovmfDiscover, [], { op: 2 }), on67, config(), /not a BOOTREQUEST/);
  expectIgnore(edit(ovmfDiscover, [[53, null]]), on67, config(), /BOOTP/);
});

test('non-PXE DHCP traffic is ignored: no 60, Windows, Apple BSDP', () => {
  expectIgnore(edit(ovmfDiscover, [[60, null]]), on67, config(), /no option 60/);
  expectIgnore(edit(ovmfDiscover, [[60, text('MSFT 5.0')]]), on67, config(), /not a PXE client \(option 60 "MSFT 5.0"\)/);
  expectIgnore(edit(ovmfDiscover, [[60, text('AAPLBSDPC/i386/MacBookPro5,1')]]), on67, config(), /not a PXE client/);
});

test('option 93 is required on 67; on 4011 the Arch field of option 60 stands in', () => {
  expectIgnore(edit(ovmfDiscover, [[93, null]]), on67, config(), /option 93 missing/);
  const d = expectReply(edit(ovmfBinlRequest, [[93, null]]), on4011('10.77.0.130', 4011), config());
  assert.equal(d.client.archCode, 7);
  expectIgnore(edit(ipxe4011Request, [[93, null]]), on4011('10.77.0.130', 68), config(), /option 93 missing/);
});

test('option 97 may be missing (Intel NICs); malformed 97 or 93 is rejected as malformed', () => {
  const d = expectReply(edit(biosPxeDiscover, [[97, null]]), on67, config());
  assert.equal(d.reply.options.has(97), false);
  assert.equal(d.client.uuid, undefined);
  const zero = expectReply(edit(biosPxeDiscover, [[97, new Uint8Array(17)]]), on67, config());
  assert.equal(zero.client.uuid, undefined, 'an all-zero GUID is no identity');
  assert.deepEqual(zero.reply.options.get(97), new Uint8Array(17), 'but it is still echoed');
  const bad97 = decideProxyDhcp(edit(biosPxeDiscover, [[97, new Uint8Array(16)]]), on67, config());
  assert.deepEqual(bad97, { kind: 'ignore', reason: 'malformed: option 97 must be 17 bytes, got 16', malformed: true });
  const bad93 = decideProxyDhcp(edit(biosPxeDiscover, [[93, Uint8Array.of(0)]]), on67, config());
  assert.equal(bad93.kind === 'ignore' && bad93.malformed, true);
  const bad53 = decideProxyDhcp(edit(biosPxeDiscover, [[53, Uint8Array.of(1, 1)]]), on67, config());
  assert.equal(bad53.kind === 'ignore' && bad53.malformed, true);
});

test('unknown and unsupported architectures are ignored; the first supported code of a list wins', () => {
  expectIgnore(edit(ovmfDiscover, [[93, u16(0x99)]]), on67, config(), /unsupported architecture 153/);
  expectIgnore(edit(ovmfDiscover, [[93, u16(2)]]), on67, config(), /unsupported architecture 2 \(Itanium\)/);
  assert.equal(expectReply(edit(ovmfDiscover, [[93, u16(0x99, 7)]]), on67, config()).client.archCode, 7);
});

test('architecture overrides: code -> class from the config', () => {
  const d = expectReply(biosPxeDiscover, on67, config({ archOverrides: { 0: 'uefi-x64' } }));
  assert.equal(d.offered, 'ipxe.efi');
  assert.equal(d.reply.options.has(43), false, 'now treated as UEFI: BINL style');
});

test('configurable vendor prefixes (dnsmasq --dhcp-pxe-vendor): HW-Client answered and echoed', () => {
  const hw = edit(biosPxeDiscover, [[60, text('HW-Client:Arch:00000:UNDI:002001')]]);
  expectIgnore(hw, on67, config(), /not a PXE client/);
  const d = expectReply(hw, on67, config({ pxeVendorPrefixes: ['PXEClient', 'HW-Client'] }));
  assert.equal(vendorOf(d), 'HW-Client');
});

test('relayed DISCOVER (giaddr set): reply to giaddr:67 with giaddr echoed and the broadcast flag', () => {
  const relayed = edit(biosPxeDiscover, [], { gatewayAddr: '10.1.2.1', hops: 1 });
  const d = expectReply(relayed, on67, config());
  assert.deepEqual(d.destination, { address: '10.1.2.1', port: 67 });
  assert.equal(d.reply.hops, 0);
});

test('66/67 only when listed in 55; `file` is always filled', () => {
  const d = expectReply(edit(biosPxeDiscover, [[55, Uint8Array.of(1, 3, 6)]]), on67, config());
  assert.equal(d.reply.options.has(66), false);
  assert.equal(d.reply.options.has(67), false);
  assert.equal(d.reply.bootFile, 'undionly.kpxe');
});

test('a 4011 request from 0.0.0.0 cannot be answered', () => {
  expectIgnore(ovmfBinlRequest, on4011('0.0.0.0', 4011), config(), /0\.0\.0\.0/);
});

test('policy: nobody allowed -> silence with the reason; MAC allow list matches case/dash-insensitively', () => {
  const nobody: ProxyDhcpConfig = { select: staticBootPolicy({ biosFile: 'a', uefiX64File: 'b', allow: { kind: 'nobody' } }) };
  const d = expectIgnore(biosPxeDiscover, on67, nobody, /no client is allowed.*--allow-unknown/);
  assert.equal(d.client?.mac, MAC, 'the ignore carries the client for the log line');
  const macs = (list: string[]): ProxyDhcpConfig => ({
    select: staticBootPolicy({ biosFile: 'undionly.kpxe', uefiX64File: 'ipxe.efi', allow: { kind: 'macs', macs: list } }),
  });
  assert.equal(expectReply(biosPxeDiscover, on67, macs(['52-54-00-77-00-01'])).offered, 'undionly.kpxe');
  expectIgnore(biosPxeDiscover, on67, macs(['52:54:00:77:00:02']), /52:54:00:77:00:01 is not in the allow list/);
  assert.throws(() => staticBootPolicy({ biosFile: 'a', uefiX64File: 'b', allow: { kind: 'macs', macs: ['nope'] } }), /invalid MAC address "nope"/);
});

test('hlen 16 (EDK2 SendGUID): MAC from option 61, all 16 chaddr bytes echoed', () => {
  const guidChaddr = encodeClientMachineId(UUID).subarray(1);
  const req = edit(ovmfDiscover, [[61, hexBytes('01525400770001')]], { hlen: 16, clientHardwareAddr: guidChaddr });
  const d = expectReply(req, on67, config());
  assert.equal(d.client.mac, MAC);
  assert.equal(d.reply.hlen, 16);
});

test('boot file names over 127 bytes or outside latin1 are refused, not truncated', () => {
  const long: ProxyDhcpConfig = { select: () => ({ bootFile: `${'d/'.repeat(64)}x.efi` }) };
  expectIgnore(ovmfDiscover, on67, long, /longer than 127 bytes/);
  const snowman: ProxyDhcpConfig = { select: () => ({ bootFile: '\u2603.efi' }) };
  expectIgnore(ovmfDiscover, on67, snowman, /cannot be sent/);
});

test('isIpxeBinaryName, bootUrl and normalizeMac', () => {
  for (const name of ['undionly.kpxe', 'x/undionly.kkpxe', 'IPXE.EFI', 'snponly.efi', 'ipxe.pxe', 'boot\\ipxe-x86_64.efi', 'ipxe.lkrn', 'snp.efi']) {
    assert.equal(isIpxeBinaryName(name), true, name);
  }
  for (const name of ['pxelinux.0', 'bootmgfw.efi', 'shimx64.efi', 'grubx64.efi', 'boot.ipxe', 'ipxe/script.txt']) {
    assert.equal(isIpxeBinaryName(name), false, name);
  }
  assert.equal(bootUrl(S, 8080, '/dir/a b.ipxe'), 'http://10.77.0.11:8080/dir/a%20b.ipxe');
  assert.equal(bootUrl(S, 80, 'boot\\x.efi'), 'http://10.77.0.11:80/boot/x.efi');
  assert.equal(bootUrl(S, 80, 'https://example.invalid/a'), 'https://example.invalid/a');
  assert.equal(normalizeMac(' AA-BB-CC-DD-EE-FF '), 'aa:bb:cc:dd:ee:ff');
  assert.throws(() => normalizeMac('aa:bb:cc-dd:ee:ff'), RangeError);
});

test('property: any decodable mutation of the fixtures yields a decision, never an exception', () => {
  // Goal: client input can never crash the decision. Method: seeded byte flips on encoded fixtures.
  let state = 0x1234567;
  const rand = () => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state / 2 ** 32; };
  const fixtures = [biosPxeDiscover, ipxeRomDiscover, ovmfDiscover, ovmfBinlRequest, ipxeEfiDiscover, ipxe4011Request, httpBootDiscover];
  let decided = 0;
  for (let i = 0; i < 4000; i++) {
    const base = fixtures[i % fixtures.length]!;
    const wire = encodeDhcpPacket(base);
    const flips = 1 + Math.floor(rand() * 4);
    for (let f = 0; f < flips; f++) wire[240 + Math.floor(rand() * (wire.length - 240))] = Math.floor(rand() * 256);
    let p: DhcpPacket;
    try { p = decodeDhcpPacket(wire); } catch { continue; }
    const ctx = i % 2 === 0 ? on67 : on4011('10.77.0.130', 4011);
    const d = decideProxyDhcp(p, ctx, config());
    if (d.kind === 'reply') checkReplyInvariants(p, d, ctx.port);
    decided++;
  }
  assert.ok(decided > 1000, `only ${decided} mutations decoded`);
});

// ---- Windows profile: backslash NBP paths, option 252, abortpxe; architecture-exact -------------
// (docs/protocol-notes.md, "Windows boot manager paths and option 252" and "Architecture codes")

function windowsConfig(extra: Partial<Parameters<typeof staticBootPolicy>[0]> = {}): ProxyDhcpConfig {
  return {
    select: staticBootPolicy({
      biosFile: '\\Boot\\x86\\pxeboot.n12', uefiX64File: '\\Boot\\x64\\bootmgfw.efi', bcdPath: '\\Boot\\BCD',
      allow: { kind: 'unknown' }, ...extra,
    }),
  };
}
const option252 = (d: { reply: DhcpPacket }) => d.reply.options.get(WINDOWS_BCD_PATH_OPTION);

test('Windows BIOS profile: the backslash NBP path goes into `file` byte for byte, 252 = BCD path + NUL', () => {
  for (const [req, ctx] of [[biosPxeDiscover, on67], [edit(biosPxeDiscover, [[53, Uint8Array.of(3)]], { clientAddr: '10.77.0.130' }), on4011('10.77.0.130', 68)]] as const) {
    const d = expectReply(req, ctx, windowsConfig());
    assert.equal(d.offered, '\\Boot\\x86\\pxeboot.n12', 'pxeboot.n12 finds bootmgr.exe only through a backslash path');
    const wire = decodeDhcpPacket(encodeDhcpPacket(d.reply));
    assert.equal(wire.bootFile, '\\Boot\\x86\\pxeboot.n12');
    assert.deepEqual(wire.options.get(252), text('\\Boot\\BCD\0'));
  }
});

test('Windows UEFI profile: OVMF-style BINL offer and 4011 ACK both carry 252; iPXE and HTTP Boot never do', () => {
  const offer = expectReply(ovmfDiscover, on67, windowsConfig());
  assert.equal(offer.offered, '\\Boot\\x64\\bootmgfw.efi');
  assert.deepEqual(option252(offer), text('\\Boot\\BCD\0'));
  const ack = expectReply(ovmfBinlRequest, on4011('10.77.0.130', 4011), windowsConfig());
  assert.deepEqual(option252(ack), text('\\Boot\\BCD\0'));
  const cfg = { ...windowsConfig(), httpPort: 8080 };
  assert.equal(option252(expectReply(httpBootDiscover, on67, cfg)), undefined, 'HTTP Boot: no 252');
  const ipxeCfg: ProxyDhcpConfig = { select: staticBootPolicy({ biosFile: 'pxeboot.n12', uefiX64File: 'x.efi', ipxeScript: 'boot.ipxe', bcdPath: '\\Boot\\BCD', allow: { kind: 'unknown' } }) };
  assert.equal(option252(expectReply(ipxeRomDiscover, on67, ipxeCfg)), undefined, 'iPXE: no 252');
  assert.equal(option252(expectReply(ovmfDiscover, on67, config())), undefined, 'no bcdPath configured: no 252');
  // One BCD per firmware: UEFI gets uefiBcdPath, BIOS keeps bcdPath.
  const both = windowsConfig({ uefiBcdPath: '\\Boot\\EFI\\BCD' });
  assert.deepEqual(option252(expectReply(ovmfDiscover, on67, both)), text('\\Boot\\EFI\\BCD\0'));
  assert.deepEqual(option252(expectReply(biosPxeDiscover, on67, both)), text('\\Boot\\BCD\0'));
});

test('a per-machine BCD path is sent as given; an unsendable or overlong one is refused with the reason', () => {
  const perMachine: ProxyDhcpConfig = { select: () => ({ bootFile: 'pxeboot.n12', bcdPath: '\\Boot\\pc-0042.bcd' }) };
  assert.deepEqual(option252(expectReply(biosPxeDiscover, on67, perMachine)), text('\\Boot\\pc-0042.bcd\0'));
  expectIgnore(biosPxeDiscover, on67, { select: () => ({ bootFile: 'pxeboot.n12', bcdPath: '\\Boot\\\u20ac.bcd' }) }, /BCD path .* characters that cannot be sent/);
  expectIgnore(biosPxeDiscover, on67, { select: () => ({ bootFile: 'pxeboot.n12', bcdPath: `\\${'b'.repeat(127)}` }) }, /BCD path .* 1 to 127 bytes/);
  expectIgnore(biosPxeDiscover, on67, { select: () => ({ bootFile: 'pxeboot.n12', bcdPath: '' }) }, /BCD path .* 1 to 127 bytes/);
  // The longest accepted path still fits a reply of at most 576 bytes (checked by expectReply).
  expectReply(biosPxeDiscover, on67, { select: () => ({ bootFile: `\\${'n'.repeat(126)}`, bcdPath: `\\${'b'.repeat(126)}` }) });
});

test('abortpxe.com for BIOS machines without a deployment, when configured; UEFI and iPXE stay unanswered', () => {
  const cfg = windowsConfig({ allow: { kind: 'macs', macs: ['aa:bb:cc:dd:ee:ff'] }, biosNoDeploymentFile: '\\Boot\\x86\\abortpxe.com' });
  const d = expectReply(biosPxeDiscover, on67, cfg);
  assert.equal(d.offered, '\\Boot\\x86\\abortpxe.com');
  assert.equal(option252(d), undefined, 'abortpxe needs no BCD');
  expectIgnore(ovmfDiscover, on67, cfg, /not in the allow list/);
  expectIgnore(ipxeRomDiscover, on67, cfg, /not in the allow list/);
  // Not configured: silence, as before.
  expectIgnore(biosPxeDiscover, on67, windowsConfig({ allow: { kind: 'macs', macs: ['aa:bb:cc:dd:ee:ff'] } }), /not in the allow list/);
  // An allowed machine gets its deployment, not abortpxe.
  const allowed = windowsConfig({ allow: { kind: 'macs', macs: ['52:54:00:77:00:01'] }, biosNoDeploymentFile: '\\Boot\\x86\\abortpxe.com' });
  assert.equal(expectReply(biosPxeDiscover, on67, allowed).offered, '\\Boot\\x86\\pxeboot.n12');
});

test('architecture-exact: each UEFI architecture gets only its own image; BIOS gets the BIOS image', () => {
  const cfg = windowsConfig();
  assert.equal(expectReply(ovmfDiscover, on67, cfg).offered, '\\Boot\\x64\\bootmgfw.efi');
  assert.equal(expectReply(edit(ovmfDiscover, [[93, u16(9)]]), on67, cfg).offered, '\\Boot\\x64\\bootmgfw.efi', 'arch 9 = x64');
  // No IA32 or ARM64 image configured: silence, never the x64 or BIOS image.
  expectIgnore(edit(ovmfDiscover, [[93, u16(6)]]), on67, cfg, /no boot file configured for uefi-ia32/);
  expectIgnore(edit(ovmfDiscover, [[93, u16(11)]]), on67, cfg, /no boot file configured for uefi-arm64/);
  // Option 93 lists several: the first known one decides
  // (docs/protocol-notes.md, "Architecture codes"), here ARM64 before x64.
  expectIgnore(edit(ovmfDiscover, [[93, u16(11, 7)]]), on67, cfg, /uefi-arm64/);
  // BIOS (arch 0 says nothing about x86 vs x64): the one BIOS image, whatever its bitness.
  assert.equal(expectReply(biosPxeDiscover, on67, cfg).offered, '\\Boot\\x86\\pxeboot.n12');
});
