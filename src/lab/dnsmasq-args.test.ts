// Goal: the stand-in "corporate" DHCP server really is DHCP-only (no DNS, no TFTP, no PXE options),
// announces the IPv6 RA that spares iPXE its ~16 s wait, and the stand-in proxy breaks the chain loop.
// Method: inspect the generated dnsmasq argv.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dhcpOnlyDnsmasqArgs, proxyDnsmasqArgs } from './dnsmasq-args.js';

test('DHCP-only server: no DNS, no TFTP, no PXE, RA-only IPv6', () => {
  const args = dhcpOnlyDnsmasqArgs({
    iface: 'eth0', range: ['10.77.0.100', '10.77.0.199'], netmask: '255.255.255.0', leaseFile: '/x/l', ipv6RaPrefix: 'fd77::',
  });
  assert.ok(args.includes('--port=0'));
  assert.ok(args.includes('--conf-file=/dev/null'));
  assert.ok(args.includes('--dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,1h'));
  assert.ok(args.includes('--enable-ra') && args.includes('--dhcp-range=fd77::,ra-only'));
  assert.ok(args.includes('--no-ping'));
  assert.equal(args.some((a) => /tftp|pxe|dhcp-boot|proxy|server-ip-address/.test(a)), false);
});

test('DHCP-only server without IPv6, with the ping check, with next-server', () => {
  const args = dhcpOnlyDnsmasqArgs({
    iface: 'eth0', range: ['10.77.0.100', '10.77.0.199'], netmask: '255.255.255.0', leaseFile: '/x/l',
    ipv6RaPrefix: null, pingCheck: true, nextServer: '10.77.0.11',
  });
  assert.equal(args.includes('--enable-ra'), false);
  assert.equal(args.includes('--no-ping'), false);
  assert.ok(args.includes('--dhcp-option=option:server-ip-address,10.77.0.11'));
});

test('stand-in proxy: proxy range, TFTP, firmware services, script only for chained iPXE', () => {
  const args = proxyDnsmasqArgs({
    iface: 'eth0', serverIp: '10.77.0.11', subnet: '10.77.0.0', tftpRoot: '/r', biosFile: 'undionly.kpxe',
    uefiFile: 'ipxe.efi', ipxeScript: 'boot.ipxe', leaseFile: '/x/p',
  });
  assert.ok(args.includes('--dhcp-range=10.77.0.0,proxy'));
  assert.ok(args.includes('--enable-tftp') && args.includes('--tftp-root=/r'));
  assert.ok(args.includes('--pxe-service=tag:!chained,x86PC,peerboot-bios,undionly.kpxe'));
  assert.ok(args.includes('--pxe-service=tag:!chained,BC_EFI,peerboot-uefi,ipxe.efi'));
  assert.ok(args.includes('--dhcp-boot=tag:chained,boot.ipxe,peerboot,10.77.0.11'));
  assert.ok(args.includes('--tag-if=set:chained,tag:ipxe,tag:!biosrom'));
});
