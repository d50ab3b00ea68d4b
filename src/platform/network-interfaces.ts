/**
 * Finding the IPv4 identity of a named network interface: the address we put in siaddr and
 * option 54, and the address every unicast socket (4011, TFTP, HTTP) binds to so replies leave
 * from the address the client talked to (EDK2 accepts TFTP only from that address).
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { formatIpv4, parseIpv4 } from '../protocol/ipv4.js';

export interface InterfaceIpv4 {
  name: string;
  address: string;
  netmask: string;
  /** e.g. "10.77.0.0/24" */
  subnet: string;
  prefixLength: number;
  mac: string;
}

export type InterfaceLister = () => NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Error with a stable `code` and a message that names the fix. */
export class InterfaceError extends Error {
  constructor(message: string, readonly code: 'PEERBOOT_ERR_NO_INTERFACE' | 'PEERBOOT_ERR_NO_IPV4') {
    super(message);
    this.name = 'InterfaceError';
  }
}

/** The first IPv4 address of interface `name`, or an InterfaceError naming the fix. */
export function findInterfaceIpv4(name: string, list: InterfaceLister = networkInterfaces): InterfaceIpv4 {
  const all = list();
  const entries = all[name];
  if (!entries) {
    const known = Object.keys(all).join(', ') || 'none';
    throw new InterfaceError(`network interface '${name}' not found (this machine has: ${known}); pass one of those to --interface`, 'PEERBOOT_ERR_NO_INTERFACE');
  }
  const v4 = entries.find((e) => e.family === 'IPv4' && !e.internal) ?? entries.find((e) => e.family === 'IPv4');
  if (!v4) {
    throw new InterfaceError(`network interface '${name}' has no IPv4 address; bring it up with an address (DHCP or static) first`, 'PEERBOOT_ERR_NO_IPV4');
  }
  const prefixLength = v4.cidr ? Number(v4.cidr.split('/')[1]) : 32;
  const network = ((parseIpv4(v4.address) ?? 0) & (parseIpv4(v4.netmask) ?? 0)) >>> 0;
  return { name, address: v4.address, netmask: v4.netmask, prefixLength, subnet: `${formatIpv4(network)}/${prefixLength}`, mac: v4.mac };
}
