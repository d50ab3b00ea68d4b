/**
 * The content store: chunks named by their SHA-256, under <data-dir>/content/chunks/ab/abcd…
 * Writes are atomic (temp file, fsync, rename, fsync of the directory), so a crash never leaves a
 * half chunk under a valid name; reads check the digest (content addressing), so a corrupted file
 * is reported, not served.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkSizeBytes } from '../../contract/manifest.js';
import { ServerError } from '../../contract/errors.js';

export interface ChunkStore {
  has(sha256: string): Promise<boolean>;
  /** Stores bytes under their digest; refuses bytes whose digest is not `sha256`. Resolves to true if new. */
  put(sha256: string, bytes: Uint8Array): Promise<boolean>;
  /** The chunk's bytes, digest-checked; null if absent. */
  get(sha256: string): Promise<Uint8Array | null>;
  /** Size in bytes, or null if absent. */
  sizeOf(sha256: string): Promise<number | null>;
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A chunk store on the local file system. */
export function fsChunkStore(root: string): ChunkStore {
  const pathOf = (sha: string) => {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new ServerError('SERVER_ERR_VALIDATION', `not a SHA-256: ${sha}`, 'params.sha256');
    return join(root, sha.slice(0, 2), sha);
  };
  return {
    async has(sha) {
      try { await stat(pathOf(sha)); return true; } catch { return false; }
    },
    async sizeOf(sha) {
      try { return (await stat(pathOf(sha))).size; } catch { return null; }
    },
    async put(sha, bytes) {
      if (bytes.byteLength > chunkSizeBytes) throw new ServerError('SERVER_ERR_PAYLOAD_TOO_LARGE', `a chunk holds at most ${chunkSizeBytes} bytes`, 'body');
      if (sha256Hex(bytes) !== sha) throw new ServerError('SERVER_ERR_DIGEST_MISMATCH', `chunk bytes do not hash to ${sha}`, 'body');
      const final = pathOf(sha);
      if (await this.has(sha)) return false;
      const dir = join(root, sha.slice(0, 2));
      await mkdir(dir, { recursive: true });
      const tmp = join(dir, `.${sha}.${randomBytes(6).toString('hex')}.tmp`);
      const fh = await open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      try {
        await rename(tmp, final);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      const dh = await open(dir, 'r');
      try { await dh.sync(); } finally { await dh.close(); }
      return true;
    },
    async get(sha) {
      let bytes: Buffer;
      try { bytes = await readFile(pathOf(sha)); } catch { return null; }
      if (sha256Hex(bytes) !== sha) throw new ServerError('SERVER_ERR_INTERNAL', `stored chunk ${sha} is corrupt (digest mismatch)`);
      return bytes;
    },
  };
}

/** An in-memory chunk store (tests). Same contract as fsChunkStore. */
export function memoryChunkStore(): ChunkStore {
  const chunks = new Map<string, Uint8Array>();
  return {
    async has(sha) { return chunks.has(sha); },
    async sizeOf(sha) { return chunks.get(sha)?.byteLength ?? null; },
    async put(sha, bytes) {
      if (bytes.byteLength > chunkSizeBytes) throw new ServerError('SERVER_ERR_PAYLOAD_TOO_LARGE', `a chunk holds at most ${chunkSizeBytes} bytes`, 'body');
      if (sha256Hex(bytes) !== sha) throw new ServerError('SERVER_ERR_DIGEST_MISMATCH', `chunk bytes do not hash to ${sha}`, 'body');
      if (chunks.has(sha)) return false;
      chunks.set(sha, new Uint8Array(bytes));
      return true;
    },
    async get(sha) { return chunks.get(sha) ?? null; },
  };
}
