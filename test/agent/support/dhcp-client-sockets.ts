/**
 * The two sockets a scripted PXE client in the agent system tests uses, as a firmware client does
 * (docs/protocol-notes.md, "What a PXE client sends and how long it waits" and "Privileged ports
 * and broadcast sockets in Node"): 0.0.0.0:68 receives the broadcast replies, SRC:68 sends the
 * broadcast DISCOVERs (SO_REUSEADDR on both, so they share port 68). `onReply` gets every datagram
 * the receiver reads.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export async function openDhcpClientSockets(src: string, onReply: (msg: Buffer, rinfo: RemoteInfo) => void): Promise<{ rx: Socket; tx: Socket }> {
  const rx = createSocket({ type: 'udp4', reuseAddr: true });
  const tx = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((r) => rx.bind(68, '0.0.0.0', r));
  await new Promise<void>((r) => tx.bind(68, src, r));
  tx.setBroadcast(true);
  rx.on('message', onReply);
  return { rx, tx };
}
