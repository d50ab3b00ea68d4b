/**
 * Shared pieces of the TFTP interop tests: a generated boot root with known sha256 sums, a runner
 * for external clients, and a lossy UDP forwarder that follows TFTP's change of port (TIDs) and
 * drops a seeded fraction of datagrams in each direction. Loopback only.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { seededRandom } from '../../src/testkit/seeded-random.js';

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export async function sha256OfFile(path: string): Promise<string> {
  return sha256(await readFile(path));
}

/** Writes `files` (relative path -> size in bytes, random content) under a new temp dir; returns dir and sums. */
export async function makeBootTree(prefix: string, files: Record<string, number>): Promise<{ dir: string; sums: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const sums: Record<string, string> = {};
  for (const [name, size] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    // Random content in 1 MiB pieces, so large files do not need one huge buffer twice.
    const hash = createHash('sha256');
    const pieces: Buffer[] = [];
    for (let done = 0; done < size; done += 1 << 20) {
      const piece = randomBytes(Math.min(1 << 20, size - done));
      hash.update(piece);
      pieces.push(piece);
    }
    await writeFile(path, Buffer.concat(pieces));
    sums[name] = hash.digest('hex');
  }
  return { dir, sums };
}

export interface RunResult { code: number | null; stdout: string; stderr: string; ms: number }

/** Runs an external program (no shell), resolving with its exit code and output; kills it after timeoutMs. */
export function run(command: string, args: string[], timeoutMs = 60_000): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : null) : 0;
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}


const literal = (host: string, _f: unknown, cb: (e: null, a: string, f: number) => void) => cb(null, host, 4);
function udp(): Socket {
  return createSocket({ type: 'udp4', lookup: literal as never });
}
function bind(socket: Socket, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: '127.0.0.1', port }, () => resolve(socket.address().port));
  });
}

/**
 * A lossy TFTP-aware forwarder on 127.0.0.1. Clients send their RRQ to `port`; for each client the
 * forwarder opens an upstream socket (its side towards the server) and a downstream socket that
 * plays the server's transfer port towards the client, so the client sees a normal TID change.
 */
export class LossyTftpForwarder {
  dropped = 0;
  forwarded = 0;
  readonly #listen = udp();
  readonly #sessions = new Map<string, { up: Socket; down: Socket; serverPort: number | null }>();
  readonly #random: () => number;
  port = 0;

  constructor(readonly serverPort: number, readonly lossRatio: number, seed: number) {
    this.#random = seededRandom(seed);
  }

  async start(): Promise<void> {
    this.port = await bind(this.#listen);
    this.#listen.on('message', (msg, rinfo) => void this.#fromClient(msg, rinfo.address, rinfo.port, true));
  }

  #lose(): boolean {
    if (this.#random() < this.lossRatio) {
      this.dropped++;
      return true;
    }
    this.forwarded++;
    return false;
  }

  async #fromClient(msg: Buffer, address: string, port: number, toListen: boolean): Promise<void> {
    const key = `${address}:${port}`;
    let s = this.#sessions.get(key);
    if (!s) {
      const up = udp();
      const down = udp();
      s = { up, down, serverPort: null };
      this.#sessions.set(key, s);
      await bind(up);
      await bind(down);
      const session = s;
      up.on('message', (reply, from) => {
        if (from.port !== this.serverPort) session.serverPort = from.port;
        if (this.#lose()) return;
        // Replies from the server's request port (errors to the RRQ) come back through the listen socket.
        (from.port === this.serverPort ? this.#listen : session.down).send(reply, port, address);
      });
      down.on('message', (m, from) => void this.#fromClient(m, from.address, from.port, false));
    }
    if (this.#lose()) return;
    const target = toListen || s.serverPort === null ? this.serverPort : s.serverPort;
    s.up.send(msg, target, '127.0.0.1');
  }

  close(): void {
    this.#listen.close();
    for (const s of this.#sessions.values()) {
      s.up.close();
      s.down.close();
    }
    this.#sessions.clear();
  }
}
