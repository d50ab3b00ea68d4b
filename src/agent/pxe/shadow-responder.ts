/**
 * The standby's shadow proxyDHCP shell (see shadow-gate.ts for why): it hears the same DISCOVERs
 * as the active and the offers on the LAN, and answers a DISCOVER only when no other server offered
 * within the gate's delay. Sockets, as in pxe-responder.ts (Node has no IP_PKTINFO;
 * docs/protocol-notes.md, "Multi-homed hosts in Node"):
 *   - `0.0.0.0:67` (reuseAddr): the broadcast DISCOVERs;
 *   - `<ifaceIP>:67` (reuseAddr, broadcast on): sends the offers, out of the interface owning the address,
 *     and receives unicast (relayed) DISCOVERs to our address;
 *   - `0.0.0.0:68` (reuseAddr): a copy of every broadcast reply to clients, i.e. the other servers' offers
 *     (the rogue listener shares this port the same way);
 *   - `<ifaceIP>:4011`: REQUEST/INFORM sent to us, which a client sends only after taking our offer:
 *     answered at once.
 * The decision is the active's (`decideProxyDhcp` + the policy's `select`), run only when the gate
 * says answer, so the policy's side effects (load book, ignored reports) happen only for real answers.
 * Bad input is dropped and counted, never thrown.
 */
import { systemClock, type Clock } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import { datagramDropper, decodeOrDrop } from '../../platform/datagram-drop.js';
import type { Logger } from '../../platform/logger.js';
import { logBootEvents } from '../events/boot-event-log.js';
import { pxeClientFacts, type BootEventSink, type DhcpReplyEvent } from '../events/boot-event.js';
import { findInterfaceIpv4, type InterfaceLister } from '../../platform/network-interfaces.js';
import { DhcpMessageType, getMessageType, getStringOption } from '../../protocol/dhcp/options.js';
import { BOOTREPLY, BOOTREQUEST, decodeDhcpPacket, encodeDhcpPacket, MalformedDhcpPacketError, type DhcpPacket } from '../../protocol/dhcp/packet.js';
import { decideProxyDhcp, type ProxyDhcpConfig } from './proxy-dhcp.js';
import { socketBinder } from './pxe-responder.js';
import { closeUdpSocket, createUdpSocket, type UdpRemote as RemoteInfo, type UdpSocket } from '../../platform/udp-socket.js';
import { ReplyRateLimiter } from './reply-rate-limit.js';
import { ShadowGate } from './shadow-gate.js';

export interface ShadowResponderOptions {
  interfaceName: string;
  config: ProxyDhcpConfig;
  logger: Logger;
  /** Where each reply sent goes (default: one "proxyDHCP offer/ack sent" log line on `logger`). */
  events?: BootEventSink;
  counters?: Counters;
  clock?: Clock;
  /** Wait for another server's offer this long before answering (default 300 ms). */
  delayMs?: number;
  listInterfaces?: InterfaceLister;
  /** Test seams: ports (0 = pick one; client = where broadcast replies go, watch = where offers are heard; both 68 on a LAN). */
  ports?: { dhcp: number; proxy: number; client: number; watch: number };
  bindAddress?: string;
  broadcastAddress?: string;
}

export interface ShadowResponderHandle {
  readonly serverIp: string;
  readonly ports: { dhcp: number; proxy: number; client: number; watch: number };
  readonly counters: Counters;
  close(): Promise<void>;
}

const hexXid = (xid: number) => `0x${xid.toString(16).padStart(8, '0')}`;

/** A proxy offer: BOOTREPLY, DHCPOFFER, yiaddr 0.0.0.0, option 60 "PXEClient" (PXE spec §2.2.2). */
export function isProxyOffer(p: DhcpPacket): boolean {
  return p.op === BOOTREPLY && getMessageType(p) === DhcpMessageType.offer && p.yourAddr === '0.0.0.0' && (getStringOption(p, 60) ?? '').startsWith('PXEClient');
}

export async function startShadowResponder(options: ShadowResponderOptions): Promise<ShadowResponderHandle> {
  const { interfaceName, config } = options;
  const logger = options.logger.child({ component: 'pxe-shadow' });
  const events = options.events ?? logBootEvents(options.logger);
  const counters = options.counters ?? new Counters();
  const clock = options.clock ?? systemClock;
  const bindAddress = options.bindAddress ?? '0.0.0.0';
  const broadcastAddress = options.broadcastAddress ?? '255.255.255.255';
  const serverIp = findInterfaceIpv4(interfaceName, options.listInterfaces).address;
  const gate = new ShadowGate({ clock, selfAddress: serverIp, ...(options.delayMs !== undefined ? { delayMs: options.delayMs } : {}) });
  const replyLimiter = new ReplyRateLimiter();
  let closed = false;

  const sockets: UdpSocket[] = [];
  const bind = socketBinder(sockets, interfaceName);
  const wildcard = createUdpSocket({ reuseAddr: true });
  const local = createUdpSocket({ reuseAddr: true });
  const watch = createUdpSocket({ reuseAddr: true });
  const proxy = createUdpSocket();
  let ports: { dhcp: number; proxy: number; client: number; watch: number };
  try {
    await bind(wildcard, bindAddress, options.ports?.dhcp ?? 67);
    const dhcp = wildcard.address().port;
    await bind(local, serverIp, dhcp);
    local.setBroadcast(true);
    await bind(watch, bindAddress, options.ports?.watch ?? 68);
    await bind(proxy, serverIp, options.ports?.proxy ?? 4011);
    const watchPort = watch.address().port;
    ports = { dhcp, proxy: proxy.address().port, client: options.ports?.client ?? watchPort, watch: watchPort };
  } catch (err) {
    await Promise.all(sockets.map(closeUdpSocket));
    throw err;
  }

  const dropMalformed = datagramDropper({ counters, logger, counter: 'dhcp_shadow_malformed_total', labelled: false, message: 'dropped malformed DHCP packet' });
  const decode = (msg: Buffer, rinfo: RemoteInfo, where: string): DhcpPacket | null =>
    decodeOrDrop(() => decodeDhcpPacket(msg), MalformedDhcpPacketError, (reason) => dropMalformed('malformed', { from: `${rinfo.address}:${rinfo.port}`, where, reason }));

  /** Decides as the active would and sends; `port` is where the request arrived. */
  const answer = (request: DhcpPacket, rinfo: RemoteInfo, port: 67 | 4011, extra: Record<string, unknown>) => {
    const decision = decideProxyDhcp(request, { port, serverIp, source: { address: rinfo.address, port: rinfo.port } }, config);
    const xid = hexXid(request.xid);
    if (decision.kind === 'ignore') {
      counters.increment('dhcp_shadow_ignored_total');
      logger.debug('shadow: ignored DHCP packet', { xid, port, reason: decision.reason });
      return;
    }
    const { client, destination, offered } = decision;
    if (!replyLimiter.take(client.mac, clock.nowMs()).allowed) {
      counters.increment('dhcp_rate_limited_total');
      return;
    }
    const broadcast = destination.address === '255.255.255.255';
    const toAddress = broadcast ? broadcastAddress : destination.address;
    const toPort = broadcast && destination.port === 68 ? ports.client : destination.port;
    const sent: DhcpReplyEvent = {
      kind: 'dhcpReply', client: pxeClientFacts(client),
      reply: port === 67 ? 'offer' : 'ack', xid, port, from: `${rinfo.address}:${rinfo.port}`, to: `${toAddress}:${toPort}`, offered, shadow: true, extra,
    };
    (port === 67 ? local : proxy).send(encodeDhcpPacket(decision.reply), toPort, toAddress, (err) => {
      if (err) {
        counters.increment('dhcp_send_errors_total');
        logger.warn('sending a shadow proxyDHCP reply failed', { to: sent.to, error: err.message });
        return;
      }
      counters.increment('dhcp_shadow_replies_total');
      events(sent);
    });
  };

  const onDhcp = (msg: Buffer, rinfo: RemoteInfo) => {
    if (closed) return;
    const request = decode(msg, rinfo, 'port 67');
    if (!request || request.op !== BOOTREQUEST || getMessageType(request) !== DhcpMessageType.discover) return;
    if (!(getStringOption(request, 60) ?? '').startsWith('PXEClient')) return; // not a PXE client: never ours
    counters.increment('dhcp_shadow_discovers_total');
    const accepted = gate.discover(request.xid, (v) => {
      if (closed) return;
      if (v.kind === 'skip') {
        counters.increment('dhcp_shadow_skipped_total');
        logger.debug('shadow: the active answered', { xid: hexXid(request.xid), reason: v.reason });
        return;
      }
      counters.increment('dhcp_shadow_unanswered_total');
      answer(request, rinfo, 67, { shadowReason: v.reason });
    });
    if (!accepted) counters.increment('dhcp_shadow_overflow_total');
  };

  const onReply = (msg: Buffer, rinfo: RemoteInfo) => {
    if (closed || rinfo.address === serverIp) return;
    const p = decode(msg, rinfo, 'port 68');
    if (p && isProxyOffer(p)) gate.offerSeen(p.xid, rinfo.address);
  };

  const onProxy = (msg: Buffer, rinfo: RemoteInfo) => {
    if (closed) return;
    const request = decode(msg, rinfo, 'port 4011');
    if (request && request.op === BOOTREQUEST) answer(request, rinfo, 4011, {});
  };

  const guarded = (fn: (msg: Buffer, rinfo: RemoteInfo) => void) => (msg: Buffer, rinfo: RemoteInfo) => {
    try {
      fn(msg, rinfo);
    } catch (err) {
      counters.increment('dhcp_internal_errors_total');
      logger.error('internal error in the shadow responder', { error: err instanceof Error ? err.stack ?? err.message : String(err) });
    }
  };
  wildcard.on('message', guarded(onDhcp));
  local.on('message', guarded(onDhcp)); // unicast (relayed) DISCOVERs to our address
  watch.on('message', guarded(onReply));
  proxy.on('message', guarded(onProxy));
  for (const s of [wildcard, local, watch, proxy]) {
    s.on('error', (err) => {
      counters.increment('dhcp_socket_errors_total');
      logger.error('shadow DHCP socket error', { error: err.message });
    });
  }
  logger.info('pxe shadow listening', { interface: interfaceName, serverIp, delayMs: gate.delayMs, ports });

  return {
    serverIp,
    ports,
    counters,
    async close() {
      if (closed) return;
      closed = true;
      gate.close();
      await Promise.all([wildcard, local, watch, proxy].map(closeUdpSocket));
    },
  };
}
