/**
 * The one seam through which peerboot opens UDP sockets (proxyDHCP, the standby shadow, the rogue
 * watch, TFTP, the LAN broadcast socket): creating, binding, connecting and closing them, so an
 * operating system's differences (Windows' socket options, its port owners) have one place to be
 * handled. IPv4 only; callers turn bind errors into coded messages with bind-failure.ts.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIPv4 } from 'node:net';

export type UdpSocket = Socket;
export type UdpRemote = RemoteInfo;

/** dgram resolves every destination through `lookup`; this one answers IPv4 literals synchronously (no tick per packet). */
function literalLookup(
  address: string,
  _family: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  if (isIPv4(address)) callback(null, address, 4);
  else dnsLookup(address, 4, callback);
}

/**
 * A new IPv4 UDP socket. `reuseAddr`: several sockets may bind the same port (broadcast listeners,
 * several agents on one host). `fastLookup`: skip the resolver for IPv4 literals (hot send paths).
 */
export function createUdpSocket(o: { reuseAddr?: boolean; fastLookup?: boolean } = {}): UdpSocket {
  return createSocket({ type: 'udp4', reuseAddr: o.reuseAddr ?? false, ...(o.fastLookup ? { lookup: literalLookup as never } : {}) });
}

/** Binds; rejects with the errno error (EADDRINUSE, EACCES, EADDRNOTAVAIL, …). */
export function bindUdpSocket(socket: UdpSocket, address: string, port: number, exclusive = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => { socket.off('listening', onListening); reject(err); };
    const onListening = () => { socket.off('error', onError); resolve(); };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind({ address, port, exclusive });
  });
}

/** connect()s a bound socket to its one peer: it then sends without an address and receives only from the peer. */
export function connectUdpSocket(socket: UdpSocket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    socket.once('error', onError);
    socket.connect(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

/** Closes, never rejects (a socket already closed counts as closed). */
export function closeUdpSocket(socket: UdpSocket): Promise<void> {
  return new Promise((resolve) => {
    try { socket.close(() => resolve()); } catch { resolve(); }
  });
}

/** Fails with EADDRINUSE when anything (even with SO_REUSEADDR) holds `address:port`. */
export async function probeExclusive(address: string, port: number): Promise<void> {
  const probe = createUdpSocket();
  try {
    await bindUdpSocket(probe, address, port);
  } finally {
    await closeUdpSocket(probe);
  }
}
