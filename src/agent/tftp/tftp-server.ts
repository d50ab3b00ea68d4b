/**
 * The TFTP server shell (UDP 69): sockets, sessions and files around the pure codec and the
 * transfer state machine. One listening socket per local address; every transfer gets its own
 * socket bound to that same address and port 0 (RFC 1350 §4 TIDs), so replies come from exactly the
 * address the RRQ was sent to, as EDK2 requires (docs/protocol-notes.md,
 * "TFTP transfer IDs and the server address" and "Multi-homed hosts in Node"). Read-only; paths confined by BootRoot;
 * sessions bounded; bad packets dropped and counted, never thrown.
 *
 * Each transfer socket is connect()ed to the client's address:port once the session exists, and
 * sends without an address: Node then skips its per-datagram address lookup and the kernel its
 * per-datagram route lookup (docs/benchmarks.md, "Where peerboot loses"). The price: the kernel
 * delivers only the client's datagrams to a connected socket. A datagram from another TID reaches
 * no socket and the kernel answers it with ICMP port unreachable, not with the ERROR 5 RFC 1350 §4
 * suggests; the transfer is undisturbed either way, which is the part of §4 that matters.
 */
import { logBootEvents } from '../events/boot-event-log.js';
import type { BootEventSink, TftpOutcome } from '../events/boot-event.js';
import type { BootRoot } from '../files/boot-root.js';
import type { SharedFile } from '../files/shared-file.js';
import { systemClock, type Clock, type TimerHandle } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import type { Logger } from '../../platform/logger.js';
import type { PeerbootError } from '../../contract/error-codes.js';
import { bindFailure } from '../../platform/bind-failure.js';
import { decodeOrDrop } from '../../platform/datagram-drop.js';
import {
  bindUdpSocket, connectUdpSocket, createUdpSocket, type UdpRemote as RemoteInfo, type UdpSocket as Socket,
} from '../../platform/udp-socket.js';
import {
  MalformedTftpPacketError,
  TFTP_DATA_HEADER_BYTES,
  TftpErrorCode,
  decodeTftpPacket,
  encodeTftpDataHeader,
  encodeTftpPacket,
  tftpAckBlockOf,
  type TftpPacket,
} from '../../protocol/tftp/packet.js';
import {
  NetasciiBlockSource,
  OctetBlockSource,
  netasciiSizeOf,
  type BlockSource,
} from './block-source.js';
import {
  TftpTransfer,
  defaultNegotiationLimits,
  negotiateTftpOptions,
  type TransferEffect,
  type TransferTiming,
} from './transfer.js';

export interface TftpServerOptions {
  root: BootRoot;
  /** Local IPv4 address to bind (replies leave from it). '0.0.0.0' works but cannot pin the reply address. */
  address: string;
  /** Default 69. 0 picks a free port (tests). */
  port?: number;
  logger: Logger;
  /** Where each request's end goes (default: one "tftp transfer" log line on `logger`). */
  events?: BootEventSink;
  counters?: Counters;
  clock?: Clock;
  /** Concurrent transfers (default 200); more get ERROR 0 "server busy". */
  maxSessions?: number;
  /**
   * Concurrent transfers per client IP (default 16): one machine needs one or two at a time, so
   * this stops a single address from taking every slot. Raise it for a lab behind NAT, where many
   * machines share one address (`peerboot tftp --max-per-client N`).
   */
  maxSessionsPerClient?: number;
  /** Largest blksize granted (default 1468). */
  maxBlockSize?: number;
  /** Largest windowsize granted (default 64). */
  maxWindowSize?: number;
  /** Retransmission timing overrides (see TransferTiming). */
  timing?: Partial<TransferTiming>;
  /** How long a finished transfer's socket keeps absorbing late packets (default 2000 ms). */
  finishedLingerMs?: number;
}

export interface TftpSessionSummary {
  client: string;
  file: string;
  size: number;
  bytesAcked: number;
  blockSize: number;
  windowSize: number;
}

export interface TftpServerHandle {
  readonly address: string;
  readonly port: number;
  readonly counters: Counters;
  activeSessions(): TftpSessionSummary[];
  /** Stops listening and ends every transfer (their sockets close; no ERROR is sent). */
  close(): Promise<void>;
}

/** Turns a bind error into one line that names the fix (docs/protocol-notes.md, "Privileged ports and broadcast sockets in Node"). */
export function describeBindError(err: NodeJS.ErrnoException, address: string, port: number): PeerbootError {
  return bindFailure(err, {
    protocol: 'UDP', address, port, purpose: 'TFTP',
    whenInUse: 'stop the other TFTP server (e.g. systemctl stop tftpd-hpa atftpd dnsmasq) or choose another port with --port',
    otherwisePrivileged: 'or use --port 1024 or above',
    whenAddressNotLocal: 'pass one of its IPv4 addresses with --address (see: ip -4 addr)',
  });
}


type Outcome = TftpOutcome;

class Session {
  transfer!: TftpTransfer;
  socket!: Socket;
  source!: BlockSource;
  /** Window slots: block b lives in slot b % windowSize as a ready DATA packet (header + payload). */
  slotViews: Buffer[] = [];
  /** Highest absolute block whose packet is in its slot. */
  filledUpTo = 0;
  optionAckBytes: Uint8Array | null = null;
  /** Ranges waiting for data, in order: [next, end) pairs, flattened. */
  readonly queue: number[] = [];
  pumping = false;
  finished = false;
  prefetchedUpTo = 0;
  lingerTimer: TimerHandle | null = null;

  constructor(
    readonly key: string,
    readonly clientAddress: string,
    readonly clientPort: number,
    readonly file: string,
    readonly mode: string,
    readonly startedMs: number,
  ) {}
}

const GOOD_MODES = new Set(['octet', 'netascii']);
const RECENT_MAX = 4096;
const RECENT_TTL_MS = 1000;

class TftpServer implements TftpServerHandle {
  readonly counters: Counters;
  port = 0;
  readonly #listener: Socket;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #events: BootEventSink;
  readonly #root: BootRoot;
  readonly #sessions = new Map<string, Session | 'pending'>();
  readonly #perClient = new Map<string, number>();
  /** (client ip:port) -> [file, finishedAtMs]: swallow an RRQ retransmitted after its transfer ended. */
  readonly #recent = new Map<string, { file: string; atMs: number }>();
  readonly #lingering = new Set<Session>();
  readonly #pendingSetups = new Set<Promise<void>>();
  #closing = false;

  constructor(readonly options: TftpServerOptions) {
    this.counters = options.counters ?? new Counters();
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger.child({ component: 'tftp' });
    this.#events = options.events ?? logBootEvents(options.logger);
    this.#root = options.root;
    this.#listener = createUdpSocket({ fastLookup: true });
  }

  get address(): string {
    return this.options.address;
  }

  async start(): Promise<void> {
    const port = this.options.port ?? 69;
    try {
      await bindUdpSocket(this.#listener, this.options.address, port, true);
    } catch (err) {
      this.#listener.close();
      throw describeBindError(err as NodeJS.ErrnoException, this.options.address, port);
    }
    this.port = this.#listener.address().port;
    this.#listener.on('message', (msg, rinfo) => this.#onRequest(msg, rinfo));
    this.#listener.on('error', (err) => this.#log.warn('tftp listener error', { error: err.message }));
    if (this.options.address === '0.0.0.0') {
      this.#log.warn('listening on 0.0.0.0: replies leave from the routing table’s choice of address; EDK2 needs the exact address it asked, so bind one address per interface');
    }
  }

  activeSessions(): TftpSessionSummary[] {
    const out: TftpSessionSummary[] = [];
    for (const s of this.#sessions.values()) {
      if (s === 'pending' || !s.transfer) continue;
      out.push({
        client: s.key, file: s.file, size: s.transfer.fileSize, bytesAcked: s.transfer.bytesAcked,
        blockSize: s.transfer.blockSize, windowSize: s.transfer.windowSize,
      });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await new Promise<void>((resolve) => this.#listener.close(() => resolve()));
    await Promise.allSettled([...this.#pendingSetups]);
    for (const s of [...this.#sessions.values()]) {
      if (s !== 'pending') this.#finish(s, 'aborted', 'server closing');
    }
    const closing: Promise<void>[] = [];
    for (const s of [...this.#lingering]) closing.push(this.#closeSocket(s));
    await Promise.all(closing);
  }

  // ---- requests on the listening socket -------------------------------------------------------

  #drop(what: string, rinfo: RemoteInfo, counter: string, fields: Record<string, unknown> = {}): void {
    this.counters.increment(counter);
    this.#log.debug(what, { client: `${rinfo.address}:${rinfo.port}`, ...fields });
  }

  #reply(socket: Socket, packet: TftpPacket, address: string, port: number): void {
    if (packet.op === 'error') this.counters.increment('tftp_errors_sent_total');
    socket.send(encodeTftpPacket(packet), port, address);
  }

  /** A packet to the session's client over its connected transfer socket (no address: it is connected). */
  #replyToClient(session: Session, packet: TftpPacket): void {
    if (packet.op === 'error') this.counters.increment('tftp_errors_sent_total');
    session.socket.send(encodeTftpPacket(packet));
  }

  #onRequest(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#closing || rinfo.port === 0) return;
    const packet = decodeOrDrop(() => decodeTftpPacket(msg), MalformedTftpPacketError,
      (reason) => this.#drop('tftp malformed packet dropped', rinfo, 'tftp_malformed_total', { reason, bytes: msg.length }));
    if (!packet) return;
    switch (packet.op) {
      case 'readRequest':
        this.#onReadRequest(packet, rinfo);
        return;
      case 'writeRequest':
        this.counters.increment('tftp_write_requests_total');
        this.#events({ kind: 'tftpTransfer', client: `${rinfo.address}:${rinfo.port}`, file: packet.filename, outcome: 'accessViolation', detail: 'write request refused: this server is read-only', ms: 0 });
        this.#reply(this.#listener, { op: 'error', code: TftpErrorCode.accessViolation, message: 'Access violation: read-only server' }, rinfo.address, rinfo.port);
        return;
      case 'error':
        // Never answer an ERROR with an ERROR (RFC 1350 §7).
        this.#drop('tftp error packet on the request port ignored', rinfo, 'tftp_unexpected_total', { code: packet.code });
        return;
      default:
        // DATA/ACK/OACK belong to a transfer port; answering here would only help reflection attacks.
        this.#drop(`tftp ${packet.op} on the request port ignored`, rinfo, 'tftp_unexpected_total');
    }
  }

  #onReadRequest(request: Extract<TftpPacket, { op: 'readRequest' }>, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    this.counters.increment('tftp_read_requests_total');
    if (this.#sessions.has(key)) {
      // The client retransmitted its RRQ from the same port: the live session's timer already resends
      // (docs/protocol-notes.md, "Duplicate requests and the end of a transfer").
      this.#drop('tftp duplicate RRQ ignored', rinfo, 'tftp_duplicate_requests_total', { file: request.filename });
      return;
    }
    const recent = this.#recent.get(key);
    if (recent && recent.file === request.filename && this.#clock.nowMs() - recent.atMs < RECENT_TTL_MS) {
      this.#drop('tftp RRQ for a just-finished transfer ignored', rinfo, 'tftp_duplicate_requests_total', { file: request.filename });
      return;
    }
    const refuse = (code: number, message: string, outcome: Outcome, detail: string) => {
      this.#events({ kind: 'tftpTransfer', client: key, file: request.filename, outcome, detail, ms: 0 });
      this.counters.increment('tftp_refused_total', { reason: outcome });
      this.#reply(this.#listener, { op: 'error', code, message }, rinfo.address, rinfo.port);
    };
    if (!GOOD_MODES.has(request.mode)) {
      refuse(TftpErrorCode.illegalOperation, `Illegal operation: mode '${request.mode}' not supported (use octet)`, 'badRequest', `mode ${request.mode}`);
      return;
    }
    if (request.filename === '') {
      refuse(TftpErrorCode.illegalOperation, 'Illegal operation: empty file name', 'badRequest', 'empty file name');
      return;
    }
    const maxSessions = this.options.maxSessions ?? 200;
    const maxPerClient = this.options.maxSessionsPerClient ?? 16;
    const clientCount = this.#perClient.get(rinfo.address) ?? 0;
    if (this.#sessions.size >= maxSessions || clientCount >= maxPerClient) {
      // Name the cap that was hit, in the log and in the ERROR the client prints, so an operator
      // behind NAT knows which knob to turn.
      const serverCap = this.#sessions.size >= maxSessions;
      const why = serverCap
        ? `server cap reached: ${maxSessions} transfers running (maxSessions)`
        : `per-client cap reached: ${maxPerClient} transfers from ${rinfo.address} running (maxSessionsPerClient; many machines behind one NAT address? raise it, e.g. peerboot tftp --max-per-client N)`;
      const message = serverCap
        ? `Server busy: ${maxSessions} transfers running (server limit), try again later`
        : `Server busy: ${maxPerClient} transfers from your address (per-client limit, --max-per-client), try again later`;
      refuse(TftpErrorCode.notDefined, message, 'busy', why);
      return;
    }
    this.#sessions.set(key, 'pending');
    this.#perClient.set(rinfo.address, clientCount + 1);
    const setup = this.#setUp(key, request, rinfo)
      .catch((err: unknown) => {
        this.#log.error('tftp session setup failed', { client: key, file: request.filename, error: (err as Error).message });
        this.#release(key, rinfo.address);
      })
      .finally(() => this.#pendingSetups.delete(setup));
    this.#pendingSetups.add(setup);
  }

  #release(key: string, clientAddress: string): void {
    if (!this.#sessions.delete(key)) return;
    const n = (this.#perClient.get(clientAddress) ?? 1) - 1;
    if (n <= 0) this.#perClient.delete(clientAddress);
    else this.#perClient.set(clientAddress, n);
  }

  async #setUp(key: string, request: Extract<TftpPacket, { op: 'readRequest' }>, rinfo: RemoteInfo): Promise<void> {
    const startedMs = this.#clock.nowMs();
    const fail = (code: number, message: string, outcome: Outcome, detail: string) => {
      this.#release(key, rinfo.address);
      this.counters.increment('tftp_refused_total', { reason: outcome });
      this.#events({ kind: 'tftpTransfer', client: key, file: request.filename, outcome, detail, ms: Math.round(this.#clock.nowMs() - startedMs) });
      if (!this.#closing) this.#reply(this.#listener, { op: 'error', code, message }, rinfo.address, rinfo.port);
    };
    const resolved = await this.#root.resolve(request.filename);
    if (!resolved.ok) {
      if (resolved.code === 'notFound') fail(TftpErrorCode.fileNotFound, 'File not found', 'notFound', resolved.reason);
      else fail(TftpErrorCode.accessViolation, 'Access violation', 'accessViolation', resolved.reason);
      return;
    }
    let file: SharedFile;
    try {
      file = await this.#root.openShared(resolved.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') fail(TftpErrorCode.accessViolation, 'Access violation', 'accessViolation', `cannot open: ${code}`);
      else if (code === 'ENOENT') fail(TftpErrorCode.fileNotFound, 'File not found', 'notFound', 'vanished before open');
      else fail(TftpErrorCode.notDefined, 'Cannot read file', 'openError', `cannot open: ${code ?? (err as Error).message}`);
      return;
    }
    let source: BlockSource;
    try {
      source = request.mode === 'netascii' ? new NetasciiBlockSource(file, await netasciiSizeOf(file)) : new OctetBlockSource(file);
    } catch (err) {
      file.release();
      fail(TftpErrorCode.notDefined, 'Cannot read file', 'openError', (err as Error).message);
      return;
    }
    const negotiated = negotiateTftpOptions(request, source.size, {
      blockSizeMax: this.options.maxBlockSize ?? defaultNegotiationLimits.blockSizeMax,
      windowSizeMax: this.options.maxWindowSize ?? defaultNegotiationLimits.windowSizeMax,
    });
    if (negotiated.ignored.length > 0) this.#log.debug('tftp options not granted', { client: key, file: request.filename, ignored: negotiated.ignored });
    const socket = createUdpSocket({ fastLookup: true });
    try {
      await bindUdpSocket(socket, this.options.address, 0, true);
      await connectUdpSocket(socket, rinfo.address, rinfo.port);
    } catch (err) {
      socket.close();
      source.release();
      fail(TftpErrorCode.notDefined, 'Server error', 'openError', `cannot bind a transfer socket: ${(err as Error).message}`);
      return;
    }
    if (this.#closing) {
      socket.close();
      source.release();
      this.#release(key, rinfo.address);
      return;
    }
    const session = new Session(key, rinfo.address, rinfo.port, request.filename, request.mode, startedMs);
    session.socket = socket;
    session.source = source;
    session.transfer = new TftpTransfer({
      clock: this.#clock,
      fileSize: source.size,
      negotiated,
      timing: this.options.timing,
      onTimerEffects: (effects) => this.#apply(session, effects),
    });
    const packetBytes = TFTP_DATA_HEADER_BYTES + session.transfer.blockSize;
    const slots = Buffer.allocUnsafeSlow(packetBytes * session.transfer.windowSize);
    for (let i = 0; i < session.transfer.windowSize; i++) session.slotViews.push(slots.subarray(i * packetBytes, (i + 1) * packetBytes));
    if (negotiated.optionAck) session.optionAckBytes = encodeTftpPacket({ op: 'optionAck', options: negotiated.optionAck });
    socket.on('message', (msg, from) => this.#onTransferPacket(session, msg, from));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.counters.increment('tftp_socket_errors_total');
      this.#log.debug('tftp transfer socket error', { client: key, error: err.message });
      // The socket is connected, so the kernel reports the client's ICMP port unreachable here: its
      // port is closed and nothing we resend can arrive. End now instead of retransmitting for
      // idleGiveUpMs; this frees the client's slot at once.
      if (err.code === 'ECONNREFUSED' && !session.finished) {
        const finalSent = session.transfer.sentBlock === session.transfer.totalBlocks;
        this.#finish(session, 'clientGone', finalSent
          ? 'the client closed its port after the final block was sent (ICMP port unreachable): it most likely finished and its final ACK was lost'
          : 'the client closed its port (ICMP port unreachable)');
      }
    });
    this.#sessions.set(key, session);
    this.counters.increment('tftp_transfers_started_total');
    this.#apply(session, session.transfer.start());
  }

  // ---- packets on a transfer socket ---------------------------------------------------------

  #onTransferPacket(session: Session, msg: Buffer, from: RemoteInfo): void {
    if (from.port !== session.clientPort || from.address !== session.clientAddress) {
      // The socket is connected to the client, so the kernel hands it nothing from another TID
      // (the stranger gets ICMP port unreachable from the kernel, not ERROR 5). This catches only a
      // datagram queued in the instant between bind() and connect(): dropped, the transfer carries on.
      this.counters.increment('tftp_unknown_tid_total');
      this.#log.debug('tftp packet from an unknown TID dropped', { client: session.key, from: `${from.address}:${from.port}` });
      return;
    }
    if (session.finished) {
      // Late duplicates (a retransmitted final ACK) after the end: absorbed without an ERROR
      // (docs/protocol-notes.md, "Duplicate requests and the end of a transfer").
      this.counters.increment('tftp_late_packets_total');
      return;
    }
    const ackBlock = tftpAckBlockOf(msg); // hot path: no packet object per ACK
    if (ackBlock >= 0) {
      this.#apply(session, session.transfer.receiveAck(ackBlock));
      return;
    }
    const packet = decodeOrDrop(() => decodeTftpPacket(msg), MalformedTftpPacketError,
      (reason) => this.#drop('tftp malformed packet dropped', from, 'tftp_malformed_total', { reason, bytes: msg.length }));
    if (!packet) return;
    if (packet.op === 'error') {
      this.#apply(session, session.transfer.receiveError(packet.code, packet.message));
      return;
    }
    this.counters.increment('tftp_illegal_operations_total');
    this.#replyToClient(session, { op: 'error', code: TftpErrorCode.illegalOperation, message: `Illegal operation: unexpected ${packet.op}` });
    this.#finish(session, 'illegalOperation', `client sent ${packet.op} to the transfer port`);
  }

  #apply(session: Session, effects: TransferEffect[]): void {
    for (const effect of effects) {
      if (session.finished) return;
      switch (effect.kind) {
        case 'sendOptionAck':
          if (effect.retransmit) this.counters.increment('tftp_retransmits_total');
          session.socket.send(session.optionAckBytes as Uint8Array);
          break;
        case 'sendBlocks':
          if (effect.retransmit) this.counters.increment('tftp_retransmits_total');
          this.#sendBlocks(session, effect.first, effect.first + effect.count);
          break;
        case 'done':
          this.#finish(session, effect.outcome);
          break;
        case 'failed':
          this.#finish(session, effect.reason, effect.detail);
          break;
      }
    }
  }

  /** Sends blocks [first, end): synchronously while the data is cached, else queued behind a load. */
  #sendBlocks(session: Session, first: number, end: number): void {
    if (session.pumping) {
      session.queue.push(first, end);
      return;
    }
    const stoppedAt = this.#sendReady(session, first, end);
    if (stoppedAt < end) {
      session.queue.push(stoppedAt, end);
      void this.#pump(session);
    }
    this.#prefetchAhead(session);
  }

  /** Sends what it can without waiting; returns the first block that needs a load (or `end`). */
  #sendReady(session: Session, first: number, end: number): number {
    const transfer = session.transfer;
    for (let index = first; index < end; index++) {
      if (index <= transfer.ackedBlock) continue; // acknowledged while it waited
      const view = session.slotViews[index % transfer.windowSize] as Buffer;
      const length = transfer.blockLength(index);
      if (index > session.filledUpTo) {
        if (length > 0 && !session.source.copy(transfer.blockOffset(index), length, view, TFTP_DATA_HEADER_BYTES)) return index;
        encodeTftpDataHeader(view, transfer.wireBlock(index));
        session.filledUpTo = index;
      }
      // A full block sends its slot view as is (no per-packet slice in dgram); only the final short block is cut.
      session.socket.send(length === transfer.blockSize ? view : view.subarray(0, TFTP_DATA_HEADER_BYTES + length));
    }
    return end;
  }

  async #pump(session: Session): Promise<void> {
    session.pumping = true;
    try {
      while (session.queue.length > 0 && !session.finished) {
        const first = session.queue[0] as number;
        const end = session.queue[1] as number;
        const stoppedAt = this.#sendReady(session, first, end);
        if (stoppedAt >= end) {
          session.queue.splice(0, 2);
          continue;
        }
        session.queue[0] = stoppedAt;
        const transfer = session.transfer;
        await session.source.load(transfer.blockOffset(stoppedAt), transfer.blockLength(stoppedAt));
      }
    } catch (err) {
      if (!session.finished) {
        this.#replyToClient(session, { op: 'error', code: TftpErrorCode.notDefined, message: 'Read error' });
        this.#finish(session, 'readError', (err as Error).message);
      }
    } finally {
      session.pumping = false;
      session.queue.length = 0;
    }
  }

  /** Keeps the shared read-ahead about two windows in front of the client. */
  #prefetchAhead(session: Session): void {
    const transfer = session.transfer;
    const ahead = transfer.blockOffset(transfer.sentBlock + 1) + 2 * transfer.windowSize * transfer.blockSize;
    if (ahead <= session.prefetchedUpTo || session.prefetchedUpTo >= transfer.fileSize) return;
    const from = Math.max(session.prefetchedUpTo, transfer.blockOffset(transfer.sentBlock + 1));
    const to = Math.min(transfer.fileSize, from + Math.max(ahead - from, 256 * 1024));
    session.source.prefetch(from, to - from);
    session.prefetchedUpTo = to;
  }

  #finish(session: Session, outcome: Outcome, detail?: string): void {
    if (session.finished) return;
    session.finished = true;
    const transfer = session.transfer;
    transfer.abort();
    session.source.release();
    this.#release(session.key, session.clientAddress);
    const nowMs = this.#clock.nowMs();
    this.#recent.set(session.key, { file: session.file, atMs: nowMs });
    if (this.#recent.size > RECENT_MAX) {
      for (const [k, v] of this.#recent) if (nowMs - v.atMs >= RECENT_TTL_MS || this.#recent.size > RECENT_MAX) this.#recent.delete(k);
    }
    const bytes = outcome === 'probe' ? 0 : transfer.bytesAcked;
    this.counters.increment('tftp_transfers_finished_total', { outcome });
    this.counters.increment('tftp_bytes_sent_total', bytes);
    this.#events({
      kind: 'tftpTransfer', client: session.key, file: session.file, outcome, ms: Math.round(nowMs - session.startedMs),
      ...(detail ? { detail } : {}),
      transfer: {
        size: transfer.fileSize, bytes, blksize: transfer.blockSize, windowsize: transfer.windowSize,
        retransmitted: transfer.stats.retransmitted, timeouts: transfer.stats.timeouts,
        srttMs: transfer.srttMs === null ? null : Math.round(transfer.srttMs * 10) / 10,
        ...(session.mode !== 'octet' ? { mode: session.mode } : {}),
        finalBlockSent: transfer.sentBlock === transfer.totalBlocks,
      },
    });
    // Keep the socket open a moment: a retransmitted final ACK then meets silence, not ICMP port unreachable.
    this.#lingering.add(session);
    if (this.#closing) return; // close() closes every lingering socket and waits for it
    const lingerMs = this.options.finishedLingerMs ?? 2000;
    if (lingerMs <= 0) void this.#closeSocket(session);
    else session.lingerTimer = this.#clock.setTimer(lingerMs, () => void this.#closeSocket(session));
  }

  #closeSocket(session: Session): Promise<void> {
    session.lingerTimer?.cancel();
    session.lingerTimer = null;
    if (!this.#lingering.delete(session)) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        session.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/**
 * Starts a TFTP server on `address:port` serving `root` read-only. Rejects with a PeerbootError
 * (code PEERBOOT_ERR_PORT_IN_USE, PEERBOOT_ERR_PRIVILEGE, …; message names the fix) if it cannot bind.
 */
export async function startTftpServer(options: TftpServerOptions): Promise<TftpServerHandle> {
  const server = new TftpServer(options);
  await server.start();
  return server;
}

export interface TftpServerSetHandle {
  readonly servers: readonly TftpServerHandle[];
  readonly counters: Counters;
  close(): Promise<void>;
}

/**
 * One TFTP server per local IPv4 address (Node has no IP_PKTINFO, so this is how each reply
 * leaves from the address its RRQ reached; docs/protocol-notes.md, "Multi-homed hosts in Node").
 * All share `root` and one Counters. If any bind fails, the ones already started are closed and the
 * error is thrown.
 */
export async function startTftpServers(
  options: Omit<TftpServerOptions, 'address'> & { addresses: readonly string[] },
): Promise<TftpServerSetHandle> {
  const counters = options.counters ?? new Counters();
  const servers: TftpServerHandle[] = [];
  try {
    for (const address of options.addresses) servers.push(await startTftpServer({ ...options, address, counters }));
  } catch (err) {
    await Promise.allSettled(servers.map((s) => s.close()));
    throw err;
  }
  return {
    servers,
    counters,
    close: async () => {
      await Promise.allSettled(servers.map((s) => s.close()));
    },
  };
}
