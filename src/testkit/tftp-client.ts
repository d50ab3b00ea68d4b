/**
 * A scriptable TFTP client for tests, built on the codec over a real UDP socket: send any packet,
 * await the next one, or run a whole RFC 7440 download (OACK/ACK 0, windows, 16-bit wrap).
 * Imported only by tests.
 */
import { createSocket, type Socket } from 'node:dgram';
import { decodeTftpPacket, encodeTftpPacket, type TftpPacket, type TftpOptions } from '../protocol/tftp/packet.js';

export interface Received {
  packet: TftpPacket;
  from: { address: string; port: number };
  bytes: Buffer;
}

export class TestTftpClient {
  readonly socket: Socket;
  readonly #inbox: Received[] = [];
  #waiter: ((r: Received) => void) | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (bytes, rinfo) => {
      let packet: TftpPacket;
      try {
        packet = decodeTftpPacket(bytes);
      } catch {
        return;
      }
      const r: Received = { packet, from: { address: rinfo.address, port: rinfo.port }, bytes: Buffer.from(bytes) };
      const w = this.#waiter;
      if (w) {
        this.#waiter = null;
        w(r);
      } else this.#inbox.push(r);
    });
  }

  static async open(address = '127.0.0.1'): Promise<TestTftpClient> {
    // IPv4 literals resolved synchronously: a send() just before close() still goes out.
    const lookup = (host: string, _family: unknown, cb: (err: null, address: string, family: number) => void) => cb(null, host, 4);
    const socket = createSocket({ type: 'udp4', lookup: lookup as never });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port: 0 }, () => resolve());
    });
    return new TestTftpClient(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(packet: TftpPacket | Uint8Array, port: number, address = '127.0.0.1'): void {
    const bytes = packet instanceof Uint8Array ? packet : encodeTftpPacket(packet);
    this.socket.send(bytes, port, address);
  }

  /** The next packet received, or null after `timeoutMs`. */
  next(timeoutMs = 2000): Promise<Received | null> {
    const queued = this.#inbox.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = null;
        resolve(null);
      }, timeoutMs);
      this.#waiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }

  /** Everything that arrives within `ms`. */
  async drain(ms: number): Promise<Received[]> {
    const out: Received[] = [];
    const until = Date.now() + ms;
    for (;;) {
      const left = until - Date.now();
      if (left <= 0) return out;
      const r = await this.next(left);
      if (r) out.push(r);
    }
  }

  /**
   * Downloads `file` like an RFC 7440 client: ACK 0 after an OACK, ACK at the end of each window
   * or on the short final block; on an out-of-order block, ACK the last in-order one. Resolves with
   * the bytes, the OACK options (null if none), and the address/port the data came from.
   */
  async download(
    file: string, serverPort: number,
    options: { address?: string; requestOptions?: TftpOptions; mode?: string; timeoutMs?: number } = {},
  ): Promise<{ data: Buffer; optionAck: TftpOptions | null; from: { address: string; port: number } }> {
    const address = options.address ?? '127.0.0.1';
    const requestOptions = options.requestOptions ?? new Map<string, string>();
    const timeoutMs = options.timeoutMs ?? 5000;
    this.send({ op: 'readRequest', filename: file, mode: options.mode ?? 'octet', options: requestOptions }, serverPort, address);
    let blockSize = 512;
    let windowSize = 1;
    let optionAck: TftpOptions | null = null;
    let tid: { address: string; port: number } | null = null;
    const chunks: Buffer[] = [];
    let expected = 1;
    let sinceAck = 0;
    for (;;) {
      const r = await this.next(timeoutMs);
      if (!r) throw new Error(`timeout waiting for block ${expected} of ${file}`);
      if (tid && (r.from.port !== tid.port || r.from.address !== tid.address)) continue;
      tid ??= r.from;
      const p = r.packet;
      if (p.op === 'error') throw Object.assign(new Error(`TFTP ERROR ${p.code}: ${p.message}`), { tftpCode: p.code });
      if (p.op === 'optionAck') {
        optionAck = p.options;
        blockSize = Number(p.options.get('blksize') ?? 512);
        windowSize = Number(p.options.get('windowsize') ?? 1);
        this.send({ op: 'ack', block: 0 }, tid.port, tid.address);
        continue;
      }
      if (p.op !== 'data') continue;
      if (p.block !== (expected & 0xffff)) {
        this.send({ op: 'ack', block: (expected - 1) & 0xffff }, tid.port, tid.address);
        sinceAck = 0;
        continue;
      }
      chunks.push(Buffer.from(p.payload));
      sinceAck++;
      const last = p.payload.length < blockSize;
      if (sinceAck >= windowSize || last) {
        this.send({ op: 'ack', block: p.block }, tid.port, tid.address);
        sinceAck = 0;
      }
      expected++;
      if (last) return { data: Buffer.concat(chunks), optionAck, from: tid };
    }
  }

  close(): void {
    this.socket.close();
  }
}
