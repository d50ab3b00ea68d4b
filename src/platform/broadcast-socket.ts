/**
 * The LAN broadcast socket the agent's peer protocols share (election announcements, package have
 * messages): one UDP socket bound to 0.0.0.0:<port> with SO_REUSEADDR, sending to the subnet's
 * directed broadcast (RFC 919/922: it leaves by the interface of that subnet and never crosses a
 * router). On Linux a socket bound to a unicast address never sees broadcasts, hence 0.0.0.0;
 * SO_REUSEADDR lets several agents on one host (tests, labs) all receive each datagram.
 */
import { bindUdpSocket, createUdpSocket } from './udp-socket.js';
import { bindFailure } from './bind-failure.js';

export type DatagramHandler = (bytes: Uint8Array, from: { address: string; port: number }) => void;

export interface BroadcastSocket {
  /** Broadcast to the subnet; errors go to onSendError. */
  send(bytes: Uint8Array): void;
  onMessage(handler: DatagramHandler): void;
  /** Waits (≤ 200 ms) for sends still queued (a final `leaving` announcement), then closes. */
  close(): Promise<void>;
}

/**
 * Binds the socket. A bind failure rejects with the shared PeerbootError (platform/bind-failure.ts),
 * whose message names the protocol (`purpose`) and what to do when the port is taken (`whenInUse`,
 * e.g. the protocol's own flag).
 */
export async function openBroadcastSocket(o: {
  port: number;
  broadcastAddress: string;
  onSendError?: (error: Error) => void;
  purpose: string;
  whenInUse: string;
}): Promise<BroadcastSocket> {
  const socket = createUdpSocket({ reuseAddr: true });
  try {
    await bindUdpSocket(socket, '0.0.0.0', o.port);
  } catch (error) {
    throw bindFailure(error as NodeJS.ErrnoException, { protocol: 'UDP', address: '0.0.0.0', port: o.port, purpose: o.purpose, whenInUse: o.whenInUse });
  }
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
