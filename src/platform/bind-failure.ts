/**
 * One translation of socket bind/listen failures for every port peerboot opens (proxyDHCP 67/4011,
 * TFTP 69, HTTP, the election, have messages, the chunk server): the errno becomes a registry code
 * (contract/error-codes.ts) and a one-line message that says what to do. Callers add what only they
 * know: who usually holds their port, and which flag picks another.
 */
import { PeerbootError } from '../contract/error-codes.js';

export interface BindPlace {
  protocol: 'UDP' | 'TCP';
  address: string;
  port: number;
  /** What the port is for, e.g. "TFTP" or "the election". */
  purpose: string;
  /** What to do when the port is taken, e.g. "stop the other TFTP server (…) or choose another port with --port". */
  whenInUse: string;
  /** Another way out when the port needs privilege, e.g. "or use --port 1024 or above". */
  otherwisePrivileged?: string;
  /** What to do when the address is not local (default: use one of this machine's IPv4 addresses). */
  whenAddressNotLocal?: string;
}

export function bindFailure(err: NodeJS.ErrnoException, p: BindPlace): PeerbootError {
  const where = `${p.protocol} ${p.address}:${p.port} (${p.purpose})`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new PeerbootError('PEERBOOT_ERR_PORT_IN_USE', `${where} is already in use: ${p.whenInUse}`);
    case 'EACCES':
    case 'EPERM':
      return new PeerbootError('PEERBOOT_ERR_PRIVILEGE', `binding ${where} needs privilege (ports below 1024): run as root, or grant it once with: sudo setcap cap_net_bind_service=+ep "$(readlink -f "$(command -v node)")"${p.otherwisePrivileged ? `; ${p.otherwisePrivileged}` : ''}`);
    case 'EADDRNOTAVAIL':
      return new PeerbootError('PEERBOOT_ERR_ADDRESS_NOT_LOCAL', `cannot bind ${where}: ${p.address} is not an address of this machine; ${p.whenAddressNotLocal ?? 'use one of its IPv4 addresses (see: ip -4 addr)'}`);
    default:
      return new PeerbootError('PEERBOOT_ERR_BIND', `cannot bind ${where}: ${err.code ?? err.message}`);
  }
}
