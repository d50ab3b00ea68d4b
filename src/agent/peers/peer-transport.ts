/**
 * The election's UDP transport for a real agent: the LAN broadcast socket
 * (src/platform/broadcast-socket.ts) on the election port, which also lets the agent look at every
 * datagram (`tap`): that is how PeerDirectory learns the peers' addresses.
 */
import type { ElectionTransport } from '../election/election-node.js';
import { openBroadcastSocket } from '../../platform/broadcast-socket.js';

export async function openPeerTransport(o: {
  port: number;
  broadcastAddress: string;
  tap: (bytes: Uint8Array, from: { address: string; port: number }) => void;
  onSendError?: (error: Error) => void;
}): Promise<ElectionTransport> {
  const socket = await openBroadcastSocket({
    port: o.port, broadcastAddress: o.broadcastAddress, ...(o.onSendError ? { onSendError: o.onSendError } : {}), purpose: 'the election',
    whenInUse: 'free the port or choose another with --election-port (the same on every agent)',
  });
  return {
    send: (bytes) => socket.send(bytes),
    onMessage(handler) {
      socket.onMessage((bytes, from) => {
        handler(bytes, from);
        try {
          o.tap(bytes, from);
        } catch {
          // The tap is best effort; the election already has the packet.
        }
      });
    },
    close: () => socket.close(),
  };
}
