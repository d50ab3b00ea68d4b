/**
 * The election's UDP transport for a real agent: one socket on 0.0.0.0:<port> (SO_REUSEADDR:
 * a socket bound to a unicast address never sees broadcasts on Linux), sends to the subnet's
 * directed broadcast (RFC 919/922: leaves by the right interface, never crosses a router), and
 * lets the agent look at every datagram too (`tap`), which is how PeerDirectory learns addresses.
 */
import { createSocket } from 'node:dgram';
import type { ElectionTransport } from '../election/election-node.js';

export class PeerTransportError extends Error {
  readonly code = 'PEERBOOT_ERR_ELECTION_PORT';
}

export async function openPeerTransport(o: {
  port: number;
  broadcastAddress: string;
  tap: (bytes: Uint8Array, from: { address: string; port: number }) => void;
  onSendError?: (error: Error) => void;
}): Promise<ElectionTransport> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (error: NodeJS.ErrnoException) => {
      reject(new PeerTransportError(`cannot bind UDP port ${o.port} for the election (${error.code ?? error.message}); free the port or choose another with --election-port (the same on every agent)`));
    });
    socket.bind(o.port, '0.0.0.0', () => resolve());
  });
  socket.setBroadcast(true);
  let handler: (bytes: Uint8Array, from: { address: string; port: number }) => void = () => {};
  socket.on('message', (msg, rinfo) => {
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    const from = { address: rinfo.address, port: rinfo.port };
    handler(bytes, from);
    try {
      o.tap(bytes, from);
    } catch {
      // The tap is best effort; the election already has the packet.
    }
  });
  socket.on('error', () => { /* per-send errors are reported by send(); keep the socket */ });
  let pending = 0;
  let drained: (() => void) | null = null;
  return {
    send(bytes) {
      pending++;
      socket.send(bytes, o.port, o.broadcastAddress, (error) => {
        if (error) o.onSendError?.(error);
        if (--pending === 0) drained?.();
      });
    },
    onMessage(h) {
      handler = h;
    },
    async close() {
      // Let a final `leaving` announcement go out (bounded wait), then close.
      if (pending > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, 200).unref();
        });
      }
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

/** The subnet-directed broadcast address of "a.b.c.d/len". */
export function directedBroadcast(subnet: string): string {
  const [ip = '0.0.0.0', len = '32'] = subnet.split('/');
  const prefix = Number(len);
  if (prefix >= 31) return '255.255.255.255';
  const n = ip.split('.').reduce((acc, p) => (acc * 256 + Number(p)) >>> 0, 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const b = (n | ~mask) >>> 0;
  return [24, 16, 8, 0].map((s) => (b >>> s) & 0xff).join('.');
}
