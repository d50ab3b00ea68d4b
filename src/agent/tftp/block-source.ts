/**
 * Where a transfer's DATA payloads come from. `octet` serves the file's bytes through the shared
 * read-ahead cache (copy into the session's preallocated send buffer, no allocation per block);
 * `netascii` (RFC 764 via RFC 1350: LF → CR LF, CR → CR NUL) converts sequentially, which is enough
 * because a transfer fills every block exactly once, in order, and retransmits from its buffers.
 */
import type { SharedFile } from '../files/shared-file.js';

export interface BlockSource {
  /** Bytes on the wire (the converted size in netascii mode). */
  readonly size: number;
  /** Copies [position, position + length) of the wire bytes into target; false when it must load() first. */
  copy(position: number, length: number, target: Uint8Array, targetOffset: number): boolean;
  /** Makes the next copy() of this range succeed. Rejects with FileChangedError if the file shrank. */
  load(position: number, length: number): Promise<void>;
  /** Hint: this range will be wanted soon (fire and forget; failures show up in load()). */
  prefetch(position: number, length: number): void;
  release(): void;
}

/** The file got shorter than the size promised at RRQ time. */
export class FileChangedError extends Error {
  constructor(path: string) {
    super(`${path} changed size while being served`);
    this.name = 'FileChangedError';
  }
}

const ignore = () => {};

/** Octet mode: the file as is, through the shared chunk cache, falling back to a direct read. */
export class OctetBlockSource implements BlockSource {
  readonly size: number;
  #scratch: Buffer | null = null;
  #scratchPosition = -1;
  #scratchLength = 0;

  constructor(readonly file: SharedFile) {
    this.size = file.size;
  }

  copy(position: number, length: number, target: Uint8Array, targetOffset: number): boolean {
    if (position === this.#scratchPosition && length === this.#scratchLength && this.#scratch) {
      this.#scratch.copy(target, targetOffset, 0, length);
      return true;
    }
    return this.file.readCached(position, target, targetOffset, length);
  }

  async load(position: number, length: number): Promise<void> {
    await this.file.prefetch(position, length);
    const probe = this.#scratch ?? (this.#scratch = Buffer.allocUnsafe(Math.max(length, 512)));
    if (probe.length >= length && this.file.readCached(position, probe, 0, length)) {
      this.#scratchPosition = position;
      this.#scratchLength = length;
      return;
    }
    // The shared cache had no room (or the file shrank): read this block on its own.
    if (probe.length < length) this.#scratch = Buffer.allocUnsafe(length);
    const buffer = this.#scratch as Buffer;
    const got = await this.file.read(buffer, 0, length, position);
    if (got < length) throw new FileChangedError(this.file.path);
    this.#scratchPosition = position;
    this.#scratchLength = length;
  }

  prefetch(position: number, length: number): void {
    this.file.prefetch(position, length).catch(ignore);
  }

  release(): void {
    this.file.release();
  }
}

const CR = 0x0d;
const LF = 0x0a;

/** Bytes the netascii form of `bytes` adds (one per CR and per LF). */
export function netasciiExtraBytes(bytes: Uint8Array): number {
  let extra = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === CR || bytes[i] === LF) extra++;
  return extra;
}

/** Netascii form of `bytes`: LF → CR LF, CR → CR NUL (RFC 764 "Telnet NVT"). Stateless per byte. */
export function encodeNetascii(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(bytes.length + netasciiExtraBytes(bytes));
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === LF) { out[o++] = CR; out[o++] = LF; }
    else if (b === CR) { out[o++] = CR; out[o++] = 0; }
    else out[o++] = b;
  }
  return out;
}

const NETASCII_READ_BYTES = 64 * 1024;

/** The netascii size of a file: one pass over it (netascii is rare and small in practice). */
export async function netasciiSizeOf(file: SharedFile): Promise<number> {
  const buffer = Buffer.allocUnsafe(NETASCII_READ_BYTES);
  let size = 0;
  for (let position = 0; position < file.size; position += NETASCII_READ_BYTES) {
    const got = await file.read(buffer, 0, Math.min(NETASCII_READ_BYTES, file.size - position), position);
    if (got === 0) throw new FileChangedError(file.path);
    size += got + netasciiExtraBytes(buffer.subarray(0, got));
  }
  return size;
}

/** Netascii mode: converts the file front to back into a staging buffer. */
export class NetasciiBlockSource implements BlockSource {
  #sourcePosition = 0;
  #staged: Buffer = Buffer.alloc(0);
  /** Wire offset of #staged[0]. */
  #stagedStart = 0;
  readonly #readBuffer = Buffer.allocUnsafe(NETASCII_READ_BYTES);

  constructor(readonly file: SharedFile, readonly size: number) {}

  copy(position: number, length: number, target: Uint8Array, targetOffset: number): boolean {
    const from = position - this.#stagedStart;
    if (from < 0 || from + length > this.#staged.length) return false;
    this.#staged.copy(target, targetOffset, from, from + length);
    return true;
  }

  async load(position: number, length: number): Promise<void> {
    // Blocks are filled in order, so everything before `position` is done with.
    if (position > this.#stagedStart) {
      this.#staged = this.#staged.subarray(Math.min(this.#staged.length, position - this.#stagedStart));
      this.#stagedStart = position;
    }
    while (this.#stagedStart + this.#staged.length < position + length) {
      const want = Math.min(NETASCII_READ_BYTES, this.file.size - this.#sourcePosition);
      const got = want > 0 ? await this.file.read(this.#readBuffer, 0, want, this.#sourcePosition) : 0;
      if (got === 0) throw new FileChangedError(this.file.path);
      this.#sourcePosition += got;
      this.#staged = Buffer.concat([this.#staged, encodeNetascii(this.#readBuffer.subarray(0, got))]);
    }
  }

  prefetch(): void {}

  release(): void {
    this.file.release();
  }
}
