/**
 * The proxyDHCP socket shell for one interface (docs/protocol-notes.md,
 * "Privileged ports and broadcast sockets in Node", "Multi-homed hosts in Node",
 * "Coexisting with other DHCP and PXE servers"): receive, decode, decide (proxy-dhcp.ts), rate-limit, encode, send, log. Node has no
 * IP_PKTINFO, so the socket set is:
 *   - `0.0.0.0:67` (reuseAddr): receives the broadcast DISCOVERs (a socket bound to a unicast
 *     address never sees 255.255.255.255 on Linux);
 *   - `<ifaceIP>:67` (reuseAddr, broadcast on): sends every port-67 reply. Linux routes a limited
 *     broadcast from a socket bound to a local address out of the interface owning that address
 *     (route.c "special hack"), so replies leave on the right link. It also receives unicast
 *     (relayed) requests to our address;
 *   - `<ifaceIP>:4011`: receives REQUEST/INFORM and replies from source port 4011 (iPXE checks it).
 * Bad input is dropped and counted, never thrown; start-up failures are one-line errors with a code.
 */
import { decodeDhcpPacket, encodeDhcpPacket, MalformedDhcpPacketError, BOOTREQUEST } from '../../protocol/dhcp/packet.js';
import { systemClock, type Clock, type TimerHandle } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import type { Logger } from '../../platform/logger.js';
import { logBootEvents } from '../events/boot-event-log.js';
import { pxeClientFacts, type BootEventSink, type DhcpReplyEvent } from '../events/boot-event.js';
import { findInterfaceIpv4, type InterfaceLister } from '../../platform/network-interfaces.js';
import type { PeerbootError } from '../../contract/error-codes.js';
import { bindFailure } from '../../platform/bind-failure.js';
import { bindUdpSocket, closeUdpSocket, createUdpSocket, probeExclusive, type UdpRemote as RemoteInfo, type UdpSocket } from '../../platform/udp-socket.js';
import { datagramDropper, decodeOrDrop } from '../../platform/datagram-drop.js';
import { decideProxyDhcp, type ProxyDhcpConfig } from './proxy-dhcp.js';
import { ReplyRateLimiter, type ReplyRateLimits } from './reply-rate-limit.js';

/**
 * Turns a bind error into a one-line error with a registry code, naming the fix (the shared
 * translation in platform/bind-failure.ts, with what a proxyDHCP port's usual holders are). Pure.
 */
export function describeBindError(err: NodeJS.ErrnoException, where: { address: string; port: number; interfaceName: string }): PeerbootError {
  const { address, port, interfaceName } = where;
  return bindFailure(err, {
    protocol: 'UDP', address, port, purpose: 'proxyDHCP',
    whenInUse: address === '0.0.0.0'
      ? 'another DHCP/PXE server on this host? stop it (dnsmasq, libvirt\'s default network, dhcpd, Internet Sharing…), or run peerboot on another machine'
      : 'another proxyDHCP/PXE server on this host? stop it, or run peerboot on another machine',
    whenAddressNotLocal: `it is no longer on interface ${interfaceName}: check 'ip -4 addr show ${interfaceName}' and restart the responder`,
  });
}

export interface PxeResponderOptions {
  /** The interface whose clients we answer; its first IPv4 address becomes siaddr/option 54. */
  interfaceName: string;
  config: ProxyDhcpConfig;
  logger: Logger;
  /** Where each reply sent goes (default: one "proxyDHCP offer/ack sent" log line on `logger`). */
  events?: BootEventSink;
  counters?: Counters;
  /**
   * dnsmasq --dhcp-reply-delay for ROMs upset by instant replies
   * (docs/protocol-notes.md, "What a PXE client sends and how long it waits"). Default 0; keep it
   * well under 1 s.
   */
  replyDelayMs?: number;
  listInterfaces?: InterfaceLister;
  clock?: Clock;
  rateLimits?: Partial<ReplyRateLimits>;
  /** Test seams: ports (0 = pick one; dhcp and the interface socket share it) and the client port. */
  ports?: { dhcp: number; proxy: number; client?: number };
  /** Address of the broadcast listener (default 0.0.0.0). */
  bindAddress?: string;
  /** Where "255.255.255.255" replies go (tests use a loopback address). */
  broadcastAddress?: string;
}

export interface PxeResponderHandle {
  /** Our address on the interface (siaddr, option 54). */
  readonly serverIp: string;
  readonly interfaceName: string;
  /** The bound ports (useful when 0 was asked for). */
  readonly ports: { dhcp: number; proxy: number };
  readonly counters: Counters;
  /** Closes every socket and cancels delayed replies. */
  close(): Promise<void>;
}

/** Binds without SO_EXCLUSIVEADDRUSE; resolves once listening, rejects with the bind error. */
/**
 * The binder a responder uses for its sockets: each socket is recorded in `opened` before it is
 * bound (so a failure part-way can close them all), and a bind error becomes the coded one-line
 * message naming the fix.
 */
export function socketBinder(opened: UdpSocket[], interfaceName: string): (socket: UdpSocket, address: string, port: number) => Promise<void> {
  return async (socket, address, port) => {
    opened.push(socket);
    try {
      await bindUdpSocket(socket, address, port);
    } catch (err) {
      throw describeBindError(err as NodeJS.ErrnoException, { address, port, interfaceName });
    }
  };
}

/** Starts answering PXE clients on one interface. Rejects with a coded one-line error. */
export async function startPxeResponder(options: PxeResponderOptions): Promise<PxeResponderHandle> {
  const { interfaceName, config } = options;
  const logger = options.logger.child({ component: 'pxe' });
  const events = options.events ?? logBootEvents(options.logger);
  const counters = options.counters ?? new Counters();
  const dropMalformed = datagramDropper({ counters, logger, counter: 'dhcp_malformed_total', labelled: false, message: 'dropped malformed DHCP packet' });
  const clock = options.clock ?? systemClock;
  const replyDelayMs = options.replyDelayMs ?? 0;
  const bindAddress = options.bindAddress ?? '0.0.0.0';
  const broadcastAddress = options.broadcastAddress ?? '255.255.255.255';
  const clientPort = options.ports?.client ?? 68;
  const iface = findInterfaceIpv4(interfaceName, options.listInterfaces); // InterfaceError (coded) on failure
  const serverIp = iface.address;

  const sockets: UdpSocket[] = [];
  const bind = socketBinder(sockets, interfaceName);

  const replyLimiter = new ReplyRateLimiter(options.rateLimits);
  // Log lines about ignored PXE clients are limited the same way, so a flood cannot fill the disk.
  const logLimiter = new ReplyRateLimiter({ perMacMax: 4, perMacWindowMs: 10_000, globalPerSecondMax: 20 });
  const pending = new Set<TimerHandle>();
  let closed = false;

  const wildcard = createUdpSocket({ reuseAddr: true });
  const local = createUdpSocket({ reuseAddr: true });
  const proxy = createUdpSocket();
  let ports: { dhcp: number; proxy: number };
  try {
    let dhcpPort = options.ports?.dhcp ?? 67;
    if (dhcpPort !== 0) {
      try {
        await probeExclusive(bindAddress, dhcpPort);
      } catch (err) {
        throw describeBindError(err as NodeJS.ErrnoException, { address: bindAddress, port: dhcpPort, interfaceName });
      }
    }
    await bind(wildcard, bindAddress, dhcpPort);
    dhcpPort = wildcard.address().port;
    await bind(local, serverIp, dhcpPort);
    local.setBroadcast(true); // after bind, before sending to 255.255.255.255 (docs/protocol-notes.md, "Privileged ports and broadcast sockets in Node").
    await bind(proxy, serverIp, options.ports?.proxy ?? 4011);
    ports = { dhcp: dhcpPort, proxy: proxy.address().port };
  } catch (err) {
    await Promise.all(sockets.map(closeUdpSocket));
    throw err;
  }

  const send = (socket: UdpSocket, bytes: Uint8Array, address: string, port: number, onSent: () => void) => {
    socket.send(bytes, port, address, (err) => {
      if (err) {
        counters.increment('dhcp_send_errors_total');
        logger.warn('sending a proxyDHCP reply failed', { to: `${address}:${port}`, error: err.message });
      } else {
        onSent();
      }
    });
  };

  const handle = (msg: Buffer, rinfo: RemoteInfo, port: 67 | 4011) => {
    if (closed) return;
    counters.increment('dhcp_received_total');
    const from = `${rinfo.address}:${rinfo.port}`;
    const request = decodeOrDrop(() => decodeDhcpPacket(msg), MalformedDhcpPacketError, (reason) => dropMalformed(reason, { from, port, reason, bytes: msg.length }));
    if (!request) return;
    if (request.op !== BOOTREQUEST) {
      counters.increment('dhcp_wrong_op_total');
      logger.debug('dropped DHCP packet that is not a BOOTREQUEST', { from, port, op: request.op });
      return;
    }
    const xid = `0x${request.xid.toString(16).padStart(8, '0')}`;
    const decision = decideProxyDhcp(request, { port, serverIp, source: { address: rinfo.address, port: rinfo.port } }, config);
    if (decision.kind === 'ignore') {
      counters.increment(decision.malformed ? 'dhcp_malformed_total' : 'dhcp_ignored_total');
      const c = decision.client;
      const fields = {
        mac: c?.mac, arch: c?.archClass, archCode: c?.archCode, xid, port, from, decision: 'ignore', reason: decision.reason,
      };
      // PXE clients we chose not to answer are worth an info line (bounded); other DHCP traffic is noise.
      if (c && logLimiter.take(c.mac, clock.nowMs()).allowed) logger.info('ignored PXE client', fields);
      else logger.debug('ignored DHCP packet', fields);
      return;
    }
    const { client, destination, offered } = decision;
    const verdict = replyLimiter.take(client.mac, clock.nowMs());
    if (!verdict.allowed) {
      counters.increment('dhcp_rate_limited_total');
      logger.debug('reply suppressed by rate limit', { mac: client.mac, xid, port, limit: verdict.reason });
      return;
    }
    const bytes = encodeDhcpPacket(decision.reply);
    const broadcast = destination.address === '255.255.255.255';
    const toAddress = broadcast ? broadcastAddress : destination.address;
    const toPort = broadcast && destination.port === 68 ? clientPort : destination.port;
    const socket = port === 67 ? local : proxy;
    const sent: DhcpReplyEvent = {
      kind: 'dhcpReply', client: pxeClientFacts(client),
      reply: port === 67 ? 'offer' : 'ack', xid, port, from, to: `${toAddress}:${toPort}`, offered, shadow: false,
    };
    const sendNow = () => send(socket, bytes, toAddress, toPort, () => {
      counters.increment('dhcp_replies_total');
      events(sent);
    });
    if (replyDelayMs <= 0) { sendNow(); return; }
    const timer = clock.setTimer(replyDelayMs, () => { pending.delete(timer); if (!closed) sendNow(); });
    pending.add(timer);
  };

  const guarded = (port: 67 | 4011) => (msg: Buffer, rinfo: RemoteInfo) => {
    try {
      handle(msg, rinfo, port);
    } catch (err) {
      // A bug, not bad input: count it and keep serving the other clients.
      counters.increment('dhcp_internal_errors_total');
      logger.error('internal error while handling a DHCP packet', { error: err instanceof Error ? err.stack ?? err.message : String(err) });
    }
  };
  wildcard.on('message', guarded(67));
  local.on('message', guarded(67));
  proxy.on('message', guarded(4011));
  for (const s of [wildcard, local, proxy]) {
    s.on('error', (err) => {
      counters.increment('dhcp_socket_errors_total');
      logger.error('DHCP socket error', { error: err.message });
    });
  }

  logger.info('pxe responder listening', {
    interface: interfaceName, serverIp, dhcp: `${bindAddress}:${ports.dhcp} + ${serverIp}:${ports.dhcp}`, proxy: `${serverIp}:${ports.proxy}`, replyDelayMs,
  });

  return {
    serverIp,
    interfaceName,
    ports,
    counters,
    async close() {
      if (closed) return;
      closed = true;
      for (const t of pending) t.cancel();
      pending.clear();
      await Promise.all([wildcard, local, proxy].map(closeUdpSocket));
    },
  };
}
