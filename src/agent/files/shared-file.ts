/**
 * Open boot files shared between sessions: one descriptor per file however many machines fetch it
 * (dnsmasq shares descriptors when mass-booting; docs/protocol-notes.md, "Shared file handles"), and
 * one read-ahead cache of fixed-size chunks shared by every session of every file, under a global
 * byte budget. Blocks are copied out of the cache synchronously into the caller's preallocated
 * buffers, so serving a block allocates nothing; the disk is read in chunk-sized positional reads,
 * never whole files.
 */
import { constants as fsConstants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** A file opened through BootRoot.openShared. Call release() exactly once when done. */
export interface SharedFile {
  /** Real path inside the boot root. */
  readonly path: string;
  /** Size in bytes when the file was opened; serve exactly this many bytes (docs/protocol-notes.md, "Boot file names and the boot root", step 4). */
  readonly size: number;
  /**
   * The shared descriptor. Do not close it; if you stream from it (fs.createReadStream({ fd })),
   * pass `autoClose: false`.
   */
  readonly handle: FileHandle;
  /**
   * Copies `length` bytes at file `position` into `target` at `targetOffset` from the shared
   * read-ahead cache. Returns false (copying nothing useful) when part of the range is not cached:
   * then await prefetch() and try again, or read().
   */
  readCached(position: number, target: Uint8Array, targetOffset: number, length: number): boolean;
  /** Loads the chunks covering [position, position + length) into the shared cache (deduplicated). */
  prefetch(position: number, length: number): Promise<void>;
  /** Positional read that bypasses the cache; loops until `length` bytes or end of file. Returns bytes read. */
  read(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number>;
  /** Drops this user's reference. The descriptor closes when the last user is gone (after a short linger). */
  release(): void;
}

/** Positional read loop: FileHandle.read may return short counts. */
export async function readFully(
  handle: FileHandle, target: Uint8Array, targetOffset: number, length: number, position: number,
): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(target, targetOffset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

interface Chunk {
  readonly file: OpenFile;
  readonly index: number;
  buffer: Buffer;
  /** Valid bytes in buffer (less than the chunk size only for the file's last chunk). */
  length: number;
  loading: Promise<void> | null;
}

/** The read-ahead cache: chunks of `chunkBytes`, at most `budgetBytes` in all, least recently used evicted. */
export class ChunkCache {
  readonly chunkBytes: number;
  readonly chunksMax: number;
  /** Ready and loading chunks in least-recently-used order (Set iteration order = insertion order). */
  readonly #lru = new Set<Chunk>();
  readonly #spareBuffers: Buffer[] = [];
  #allocated = 0;

  constructor(options: { chunkBytes?: number; budgetBytes?: number } = {}) {
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
    this.chunksMax = Math.max(1, Math.floor((options.budgetBytes ?? 32 * 1024 * 1024) / this.chunkBytes));
  }

  /** Bytes held in chunk buffers (for tests and /metrics). */
  get bytesHeld(): number {
    return this.#allocated * this.chunkBytes;
  }

  /** Marks a chunk as recently used. */
  touch(chunk: Chunk): void {
    this.#lru.delete(chunk);
    this.#lru.add(chunk);
  }

  /** A buffer for a new chunk, recycling the least recently used ready chunk when over budget; null when all are busy loading. */
  takeBuffer(): Buffer | null {
    const spare = this.#spareBuffers.pop();
    if (spare) return spare;
    if (this.#allocated < this.chunksMax) {
      this.#allocated++;
      return Buffer.allocUnsafeSlow(this.chunkBytes);
    }
    for (const victim of this.#lru) {
      if (victim.loading) continue;
      this.#lru.delete(victim);
      victim.file.forgetChunk(victim);
      return victim.buffer;
    }
    return null;
  }

  add(chunk: Chunk): void {
    this.#lru.add(chunk);
  }

  /** Returns a chunk's buffer to the pool (file closed, or its load failed). */
  drop(chunk: Chunk): void {
    if (this.#lru.delete(chunk)) this.#spareBuffers.push(chunk.buffer);
  }
}

/** One open descriptor, shared by every lease of the same file identity (dev, inode, mtime, size). */
export class OpenFile {
  refs = 0;
  readonly #chunks = new Map<number, Chunk>();
  #lingerTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(
    readonly path: string,
    readonly identity: string,
    readonly size: number,
    readonly handle: FileHandle,
    readonly cache: ChunkCache,
    readonly onClosed: (file: OpenFile) => void,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  acquire(): void {
    this.refs++;
    if (this.#lingerTimer) {
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = null;
    }
  }

  releaseOne(lingerMs: number): void {
    this.refs--;
    if (this.refs > 0) return;
    if (lingerMs <= 0) {
      void this.close();
      return;
    }
    // Keep the descriptor and its cached chunks a moment: EDK2 asks again right after its tsize
    // probe, and a lab boots machines in waves.
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = null;
      if (this.refs === 0) void this.close();
    }, lingerMs);
    this.#lingerTimer.unref();
  }

  forgetChunk(chunk: Chunk): void {
    if (this.#chunks.get(chunk.index) === chunk) this.#chunks.delete(chunk.index);
  }

  readCached(position: number, target: Uint8Array, targetOffset: number, length: number): boolean {
    if (length === 0) return true;
    if (position + length > this.size) return false;
    const chunkBytes = this.cache.chunkBytes;
    let copied = 0;
    while (copied < length) {
      const at = position + copied;
      const chunk = this.#chunks.get(Math.floor(at / chunkBytes));
      if (!chunk || chunk.loading) return false;
      const inChunk = at - chunk.index * chunkBytes;
      const n = Math.min(length - copied, chunk.length - inChunk);
      if (n <= 0) return false; // the file shrank under us: the chunk ends early
      chunk.buffer.copy(target, targetOffset + copied, inChunk, inChunk + n);
      copied += n;
      this.cache.touch(chunk);
    }
    return true;
  }

  async prefetch(position: number, length: number): Promise<void> {
    if (this.#closed) return;
    const chunkBytes = this.cache.chunkBytes;
    const end = Math.min(this.size, position + Math.max(1, length));
    const first = Math.floor(position / chunkBytes);
    const last = Math.floor((end - 1) / chunkBytes);
    let pending: Promise<void>[] | null = null;
    for (let index = first; index <= last; index++) {
      const loading = this.#load(index);
      if (loading) (pending ??= []).push(loading);
    }
    if (pending) await Promise.all(pending);
  }

  /** Starts (or joins) loading chunk `index`; null when it is already cached or no buffer is free. */
  #load(index: number): Promise<void> | null {
    const existing = this.#chunks.get(index);
    if (existing) return existing.loading;
    const buffer = this.cache.takeBuffer();
    if (!buffer) return null; // every buffer is mid-load: the caller falls back to a direct read
    const start = index * this.cache.chunkBytes;
    const chunk: Chunk = { file: this, index, buffer, length: 0, loading: null };
    chunk.loading = readFully(this.handle, buffer, 0, Math.min(this.cache.chunkBytes, this.size - start), start).then(
      (bytesRead) => {
        chunk.length = bytesRead;
        chunk.loading = null;
      },
      (err: unknown) => {
        this.#chunks.delete(index);
        chunk.loading = null;
        this.cache.drop(chunk);
        throw err;
      },
    );
    this.#chunks.set(index, chunk);
    this.cache.add(chunk);
    return chunk.loading;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = null;
    const loads: Promise<void>[] = [];
    for (const chunk of this.#chunks.values()) if (chunk.loading) loads.push(chunk.loading.catch(() => {}));
    await Promise.all(loads);
    for (const chunk of this.#chunks.values()) this.cache.drop(chunk);
    this.#chunks.clear();
    this.onClosed(this);
    await this.handle.close().catch(() => {});
  }
}

/** The object handed to one user of an OpenFile. */
export class SharedFileLease implements SharedFile {
  #released = false;

  constructor(readonly file: OpenFile, readonly lingerMs: number) {
    file.acquire();
  }

  get path(): string { return this.file.path; }
  get size(): number { return this.file.size; }
  get handle(): FileHandle { return this.file.handle; }

  readCached(position: number, target: Uint8Array, targetOffset: number, length: number): boolean {
    return this.file.readCached(position, target, targetOffset, length);
  }

  prefetch(position: number, length: number): Promise<void> {
    return this.file.prefetch(position, length);
  }

  read(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
    return readFully(this.file.handle, target, targetOffset, length, position);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.file.releaseOne(this.lingerMs);
  }
}

/** Open flags for boot files: read-only, never through a symlink as the last component. */
export const bootFileOpenFlags = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0);
