/**
 * The LAN broadcast socket the agent's peer protocols share (election announcements, package have
 * messages): one UDP socket bound to 0.0.0.0:<port> with SO_REUSEADDR, sending to the subnet's
 * directed broadcast (RFC 919/922: it leaves by the interface of that subnet and never crosses a
 * router). On Linux a socket bound to a unicast address never sees broadcasts, hence 0.0.0.0;
 * SO_REUSEADDR lets several agents on one host (tests, labs) all receive each datagram.
 */
import { createSocket } from 'node:dgram';
import { ipv4ToNumber, numberToIpv4 } from './network-interfaces.js';

export type DatagramHandler = (bytes: Uint8Array, from: { address: string; port: number }) => void;

export interface BroadcastSocket {
  /** Broadcast to the subnet; errors go to onSendError. */
  send(bytes: Uint8Array): void;
  onMessage(handler: DatagramHandler): void;
  /** Waits (≤ 200 ms) for sends still queued (a final `leaving` announcement), then closes. */
  close(): Promise<void>;
}

export class BroadcastBindError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'BroadcastBindError';
  }
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.77.0.17/24" or "10.77.0.0/24" → "10.77.0.0/24". */
export function networkOf(cidr: string): string {
  const [ip = '0.0.0.0', len = '32'] = cidr.split('/');
  const prefix = Number(len);
  return `${numberToIpv4((ipv4ToNumber(ip) & maskOf(prefix)) >>> 0)}/${prefix}`;
}

/** The subnet-directed broadcast address of "a.b.c.d/len" (255.255.255.255 for /31 and /32). */
export function directedBroadcast(subnet: string): string {
  const [ip = '0.0.0.0', len = '32'] = subnet.split('/');
  const prefix = Number(len);
  if (prefix >= 31) return '255.255.255.255';
  return numberToIpv4((ipv4ToNumber(ip) | ~maskOf(prefix)) >>> 0);
}

/**
 * Binds the socket. A bind failure rejects with BroadcastBindError(`bindError(code)`, errorCode),
 * so each protocol names its own flag in the message.
 */
export async function openBroadcastSocket(o: {
  port: number;
  broadcastAddress: string;
  onSendError?: (error: Error) => void;
  bindError: (reason: string) => string;
  errorCode: string;
}): Promise<BroadcastSocket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (error: NodeJS.ErrnoException) => reject(new BroadcastBindError(o.bindError(error.code ?? error.message), o.errorCode)));
    socket.bind(o.port, '0.0.0.0', () => resolve());
  });
  socket.setBroadcast(true);
  let handler: DatagramHandler = () => {};
  socket.on('message', (msg, rinfo) => handler(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), { address: rinfo.address, port: rinfo.port }));
  socket.on('error', () => { /* send errors surface per send; a socket error after bind must not crash the agent */ });
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
