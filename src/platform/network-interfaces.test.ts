// Goal: interface lookup returns the right IPv4 identity and fails with a message naming the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findInterfaceIpv4, InterfaceError } from './network-interfaces.js';

const lister = () => ({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth0: [
    { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6' as const, mac: '52:54:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
    { address: '10.77.0.11', netmask: '255.255.255.0', family: 'IPv4' as const, mac: '52:54:00:00:00:01', internal: false, cidr: '10.77.0.11/24' },
  ],
  wlan0: [{ address: 'fe80::2', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6' as const, mac: '52:54:00:00:00:02', internal: false, cidr: 'fe80::2/64', scopeid: 3 }],
});

test('finds the IPv4 address, subnet and MAC of a named interface', () => {
  assert.deepEqual(findInterfaceIpv4('eth0', lister), {
    name: 'eth0', address: '10.77.0.11', netmask: '255.255.255.0', prefixLength: 24, subnet: '10.77.0.0/24', mac: '52:54:00:00:00:01',
  });
});

test('a missing interface names the ones that exist', () => {
  assert.throws(() => findInterfaceIpv4('eth9', lister), (e: unknown) =>
    e instanceof InterfaceError && e.code === 'PEERBOOT_ERR_NO_INTERFACE' && e.message.includes('lo, eth0, wlan0'));
});

test('an interface without IPv4 is refused with the fix', () => {
  assert.throws(() => findInterfaceIpv4('wlan0', lister), (e: unknown) => e instanceof InterfaceError && e.code === 'PEERBOOT_ERR_NO_IPV4');
});
