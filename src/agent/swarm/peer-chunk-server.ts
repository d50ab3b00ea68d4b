/**
 * The chunk server every agent runs for its LAN neighbours: `GET /peerboot/v1/chunks/<sha256>`
 * over HTTP/1.1 (keep-alive). A request is served only when all of these hold, checked cheapest
 * first, every refusal counted (`swarm_serve_refused_total{reason}`, or `swarm_serve_auth_refused_total{reason}`
 * for a failed peer authentication) and answered with a JSON
 * `{ code, message }`:
 *   - the path names a chunk (64 hex digits)                         else 404 PEERBOOT_ERR_NO_ROUTE
 *   - the requester is an enrolled agent of our site (./peer-auth.ts) else 401 PEERBOOT_ERR_PEER_AUTH
 *   - the chunk is in a signed manifest we accepted                   else 403 PEERBOOT_ERR_CHUNK_NOT_IN_MANIFEST
 *   - an upload slot is free (bounded concurrency)                    else 503 PEERBOOT_ERR_PEER_BUSY
 *   - we hold it and it still verifies (verify on read)               else 404 PEERBOOT_ERR_CHUNK_NOT_HELD
 * LAN transfers are unthrottled unless `lanCapBytesPerSecond` is set (then a token bucket paces
 * the writes of all uploads together).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import type { ChunkRead } from '../content/chunk-store.js';
import { TokenBucket } from '../wan/token-bucket.js';
import { bindFailure } from '../../platform/bind-failure.js';
import type { ChunkRequestVerifier } from './peer-auth.js';

export const PEER_CHUNK_PATH_PREFIX = '/peerboot/v1/chunks/';
/** The chunk server's default TCP port (next to the have message's 4016). */
export const PEER_CHUNK_PORT = 4017;

export interface PeerChunkServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  verifier: ChunkRequestVerifier;
  /** In an accepted signed manifest? */
  isInManifest(sha256: string): boolean;
  /** Reads and verifies a held chunk. */
  read(sha256: string): Promise<ChunkRead>;
  /** A held chunk failed verification on read (it was removed): the swarm must fetch it again. */
  onCorrupt?(sha256: string): void;
  uploadsMax?: number;
  lanCapBytesPerSecond?: number | null;
  clock?: Clock;
  logger?: Logger;
  counters?: Counters;
}

export interface PeerChunkServer {
  readonly port: number;
  readonly uploadsActive: number;
  close(): Promise<void>;
}

/** Starts listening; resolves when bound. */
export async function startPeerChunkServer(o: PeerChunkServerOptions): Promise<PeerChunkServer> {
  const counters = o.counters ?? new Counters();
  const logger = (o.logger ?? silentLogger).child({ component: 'chunk-server' });
  const clock = o.clock ?? systemClock;
  const uploadsMax = o.uploadsMax ?? 8;
  const bucket = o.lanCapBytesPerSecond ? new TokenBucket(o.lanCapBytesPerSecond, 256 * 1024, clock.nowMs()) : null;
  let active = 0;

  const refuse = (res: ServerResponse, status: number, code: string, reason: string | { auth: string }, message: string, extra: Record<string, string> = {}) => {
    if (typeof reason === 'string') counters.increment('swarm_serve_refused_total', { reason });
    else counters.increment('swarm_serve_auth_refused_total', { reason: reason.auth });
    const body = JSON.stringify({ code, message });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  };

  const send = async (res: ServerResponse, bytes: Uint8Array) => {
    if (!bucket) {
      res.end(bytes);
      return;
    }
    const piece = 64 * 1024;
    for (let off = 0; off < bytes.byteLength; off += piece) {
      const part = bytes.subarray(off, Math.min(off + piece, bytes.byteLength));
      const waitMs = bucket.reserve(part.byteLength, clock.nowMs());
      if (waitMs > 0) await new Promise<void>((resolve) => clock.setTimer(waitMs, resolve));
      if (res.destroyed) return;
      if (!res.write(part)) await new Promise<void>((resolve) => res.once('drain', resolve));
    }
    res.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    const sha = url.startsWith(PEER_CHUNK_PATH_PREFIX) ? url.slice(PEER_CHUNK_PATH_PREFIX.length) : '';
    if (req.method !== 'GET' || !/^[0-9a-f]{64}$/.test(sha)) {
      refuse(res, 404, 'PEERBOOT_ERR_NO_ROUTE', 'no-route', `no route ${req.method} ${url.slice(0, 100)}`);
      return;
    }
    const auth = o.verifier.verify('GET', url, req.headers);
    if (!auth.ok) {
      logger.debug('chunk request refused', { reason: auth.reason, detail: auth.detail, from: req.socket.remoteAddress });
      refuse(res, 401, 'PEERBOOT_ERR_PEER_AUTH', { auth: auth.reason }, `request not authenticated (${auth.reason})`);
      return;
    }
    if (!o.isInManifest(sha)) {
      logger.debug('chunk request refused: not in a signed manifest', { chunk: sha, peer: auth.agentId });
      refuse(res, 403, 'PEERBOOT_ERR_CHUNK_NOT_IN_MANIFEST', 'not-in-manifest', 'that chunk is in no signed manifest this agent holds');
      return;
    }
    if (active >= uploadsMax) {
      refuse(res, 503, 'PEERBOOT_ERR_PEER_BUSY', 'busy', `${active} uploads in progress; try another peer`, { 'retry-after': '1' });
      return;
    }
    active++;
    try {
      const read = await o.read(sha);
      if (read.kind !== 'ok') {
        if (read.kind === 'corrupt') {
          counters.increment('swarm_serve_corrupt_on_read_total');
          logger.warn('held chunk failed verification on read; removed, will fetch again', { chunk: sha, detail: read.detail });
          o.onCorrupt?.(sha);
        }
        refuse(res, 404, 'PEERBOOT_ERR_CHUNK_NOT_HELD', 'not-held', 'this agent does not hold that chunk');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': read.bytes.byteLength, 'cache-control': 'no-store' });
      await send(res, read.bytes);
      counters.increment('swarm_served_chunks_total');
      counters.increment('swarm_served_bytes_total', read.bytes.byteLength);
    } finally {
      active--;
    }
  };

  const server: Server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    handle(req, res).catch((error: Error) => {
      counters.increment('swarm_serve_errors_total');
      logger.warn('chunk upload failed', { error: error.message });
      if (!res.headersSent) refuse(res, 500, 'PEERBOOT_ERR_INTERNAL', 'internal', 'internal error');
      else res.destroy();
    });
  });
  server.on('clientError', (_error, socket) => {
    counters.increment('swarm_serve_client_errors_total');
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(bindFailure(error, { protocol: 'TCP', address: o.host, port: o.port, purpose: 'peer chunk transfers', whenInUse: 'free the port or choose another with --chunk-port' }));
    });
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info('peer chunk server listening', { host: o.host, port, uploadsMax, lanCapBytesPerSecond: o.lanCapBytesPerSecond ?? null });
  return {
    port,
    get uploadsActive() { return active; },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
