/**
 * HTTP boot server: serves the boot root over HTTP/1.1 for iPXE (scripts, kernels, WIMs) and UEFI
 * HTTP Boot. GET and HEAD only, single byte ranges (RFC 9110 §14), exact Content-Length, paths
 * resolved by the same safe, case-insensitive resolver as TFTP, so no byte outside the root is
 * ever served.
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Counters } from '../../platform/counters.js';
import type { Logger } from '../../platform/logger.js';
import { bindFailure } from '../../platform/bind-failure.js';
import { logBootEvents } from '../events/boot-event-log.js';
import type { BootEventSink } from '../events/boot-event.js';

/** What the server needs from the boot root (src/agent/files/boot-root.ts implements it). */
export interface BootFileResolver {
  resolve(requestPath: string): Promise<
    { ok: true; path: string; size: number } | { ok: false; code: 'notFound' | 'accessViolation'; reason: string }
  >;
}

export interface HttpBootServerOptions {
  root: BootFileResolver;
  address: string;
  port: number;
  logger: Logger;
  /** Where each answered request goes (default: one "http request" log line on `logger`). */
  events?: BootEventSink;
  counters?: Counters;
  /**
   * Bounds for unauthenticated clients (security review M3): open connections (default 256; more
   * are closed at once), time to send the request headers (default 10 s) and an idle socket's life
   * (default 120 s). A boot downloads a few files over one or two connections.
   */
  limits?: { maxConnections?: number; headersTimeoutMs?: number; idleTimeoutMs?: number };
}

export interface HttpBootServerHandle {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A parsed `Range: bytes=…` header against a file of `size` bytes (RFC 9110 §14.1.2). */
export type ByteRange = { kind: 'whole' } | { kind: 'range'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * Pure: decide what part of a `size`-byte file a Range header asks for. Multiple ranges and
 * malformed headers are answered with the whole file (a server MAY ignore Range, RFC 9110 §14.2).
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return { kind: 'whole' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return { kind: 'whole' };
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    // Suffix range: the last N bytes.
    const n = Number(last);
    if (n === 0) return { kind: 'unsatisfiable' };
    return size === 0 ? { kind: 'unsatisfiable' } : { kind: 'range', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || (last !== '' && Number(last) < start)) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end };
}

function contentTypeFor(path: string): string {
  const lower = path.toLowerCase();
  if (lower.endsWith('.ipxe') || lower.endsWith('.cfg') || lower.endsWith('.txt')) return 'text/plain; charset=utf-8';
  if (lower.endsWith('.efi')) return 'application/efi';
  return 'application/octet-stream';
}

/** Starts the server; resolves once it listens (a bind error rejects with a coded Error). */
export async function startHttpBootServer(options: HttpBootServerOptions): Promise<HttpBootServerHandle> {
  const { root, logger, counters } = options;
  const log = logger.child({ component: 'http' });
  const events = options.events ?? logBootEvents(logger);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const startedMs = performance.now();
    const client = req.socket.remoteAddress ?? '?';
    const finish = (status: number, bytes: number, file: string, reason?: string) => {
      counters?.increment('http_responses_total', { status });
      events({ kind: 'httpRequest', client, method: req.method ?? '?', file, status, bytes, ms: Math.round(performance.now() - startedMs), ...(reason ? { reason } : {}) });
    };
    const refuse = (status: number, message: string, file: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(message) + 1 });
      res.end(req.method === 'HEAD' ? undefined : message + '\n');
      finish(status, 0, file, message);
    };

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      refuse(405, 'method not allowed: this boot server is read-only', req.url ?? '');
      return;
    }
    let requestPath: string;
    try {
      // Decode the raw path ourselves: WHATWG URL parsing would silently drop `..` segments, and a
      // request that tries to climb out of the root deserves a 403 from the resolver, not a 404.
      const rawPath = (req.url ?? '/').split(/[?#]/, 1)[0] ?? '/';
      requestPath = decodeURIComponent(rawPath);
    } catch {
      refuse(400, 'malformed request path', req.url ?? '');
      return;
    }
    const resolved = await root.resolve(requestPath);
    if (!resolved.ok) {
      refuse(resolved.code === 'notFound' ? 404 : 403, resolved.reason, requestPath);
      return;
    }
    const range = parseByteRange(req.headers.range, resolved.size);
    const headers: Record<string, string | number> = {
      'content-type': contentTypeFor(resolved.path),
      'accept-ranges': 'bytes',
    };
    if (range.kind === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${resolved.size}`, 'content-length': 0 });
      res.end();
      finish(416, 0, requestPath, 'range not satisfiable');
      return;
    }
    const start = range.kind === 'range' ? range.start : 0;
    const end = range.kind === 'range' ? range.end : resolved.size - 1;
    const length = Math.max(0, end - start + 1);
    headers['content-length'] = length;
    if (range.kind === 'range') headers['content-range'] = `bytes ${start}-${end}/${resolved.size}`;
    const status = range.kind === 'range' ? 206 : 200;
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      finish(status, 0, requestPath);
      return;
    }
    // Exactly `length` bytes from the size taken at resolve time, even if the file grows meanwhile.
    // 1 MiB reads: measured faster than 256 KiB on large images (docs/benchmarks.md, "HTTP, one stream").
    const stream = createReadStream(resolved.path, { start, end, highWaterMark: 1024 * 1024 });
    stream.on('error', (err) => {
      log.warn('http read failed', { file: requestPath, error: err.message });
      res.destroy(err);
    });
    res.on('close', () => stream.destroy());
    stream.pipe(res);
    res.on('finish', () => finish(status, length, requestPath));
  };

  const headersTimeoutMs = options.limits?.headersTimeoutMs ?? 10_000;
  const server: Server = createServer({
    headersTimeout: headersTimeoutMs, requestTimeout: headersTimeoutMs * 3,
    // How often Node looks for connections past those timeouts (its default, 30 s, would let them linger).
    connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
  }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error('http handler failed', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.maxConnections = options.limits?.maxConnections ?? 256;
  server.setTimeout(options.limits?.idleTimeoutMs ?? 120_000, (socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(describeListenError(err, options.address, options.port)));
    server.listen(options.port, options.address, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: bound.address,
    port: bound.port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function describeListenError(err: NodeJS.ErrnoException, address: string, port: number): Error {
  return bindFailure(err, { protocol: 'TCP', address, port, purpose: 'HTTP boot', whenInUse: 'stop the other web server or pick another --http-port', otherwisePrivileged: 'or use an --http-port above 1023' });
}
