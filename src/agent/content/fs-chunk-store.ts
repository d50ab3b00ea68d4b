/**
 * The chunk cache on disk:
 *   <root>/chunks/ab/abcd…   one file per chunk, named by its SHA-256 (256 shard directories)
 *   <root>/tmp/              writes in progress; emptied when the store opens
 * A write goes to tmp/, is fsync'ed, renamed into chunks/ (atomic on POSIX: rename(2)), and the
 * shard directory is fsync'ed so the rename survives a power cut. A crash therefore leaves either
 * the whole chunk under its name or nothing (plus a temp file the next open removes), and an
 * interrupted download resumes from the chunks already there. Every read re-hashes the bytes: a
 * chunk that rotted on disk is deleted and reported `corrupt`, never served. A full disk (ENOSPC,
 * EDQUOT) fails the one write with PEERBOOT_ERR_CACHE_DISK_FULL after removing its temp file;
 * stored chunks are untouched.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ChunkStoreError, checkChunkForWrite, isChunkName, sha256Hex, type ChunkRead, type ChunkStore, type StoredChunk } from './chunk-store.js';

export interface FsChunkStoreOptions {
  /**
   * Writes `bytes` to a new file at `path` and fsyncs it (the default does exactly that). A seam
   * for fault injection: tests make it fail with ENOSPC half-way.
   */
  writeDurably?: (path: string, bytes: Uint8Array) => Promise<void>;
}

export interface FsChunkStore extends ChunkStore {
  readonly root: string;
  /** Temp files removed when the store opened (left by a crash). */
  readonly tempFilesRemoved: number;
}

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/** Default durable write: create exclusively, write everything, fsync, close. */
export async function writeFileDurably(path: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'wx', 0o644);
  try {
    let offset = 0;
    while (offset < bytes.byteLength) {
      const { bytesWritten } = await fh.write(bytes, offset, bytes.byteLength - offset);
      offset += bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await fh?.close();
  }
}

/** Opens (creating if needed) the chunk cache under `root`; removes temp files a crash left. */
export async function openFsChunkStore(root: string, options: FsChunkStoreOptions = {}): Promise<FsChunkStore> {
  const chunksDir = join(root, 'chunks');
  const tmpDir = join(root, 'tmp');
  try {
    await mkdir(chunksDir, { recursive: true, mode: 0o755 });
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw ioError(error, `cannot create the chunk cache at ${root}`);
  }
  let tempFilesRemoved = 0;
  for (const name of await readdir(tmpDir)) {
    await rm(join(tmpDir, name), { force: true, recursive: true });
    tempFilesRemoved++;
  }
  const writeDurably = options.writeDurably ?? writeFileDurably;
  const knownShards = new Set<string>();
  const pathOf = (sha: string) => join(chunksDir, sha.slice(0, 2), sha);

  const ensureShard = async (shard: string) => {
    if (knownShards.has(shard)) return;
    const dir = join(chunksDir, shard);
    try {
      await stat(dir);
    } catch {
      await mkdir(dir, { recursive: true, mode: 0o755 });
      await fsyncDirectory(chunksDir);
    }
    knownShards.add(shard);
  };

  const readChecked = async (sha: string): Promise<ChunkRead> => {
    if (!isChunkName(sha)) return { kind: 'absent' };
    let bytes: Buffer;
    try {
      bytes = await readFile(pathOf(sha));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
      throw ioError(error, `cannot read chunk ${sha.slice(0, 12)} from ${root}`);
    }
    const actual = sha256Hex(bytes);
    if (actual === sha) return { kind: 'ok', bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    await unlink(pathOf(sha)).catch(() => {});
    return { kind: 'corrupt', detail: `stored bytes hash to ${actual.slice(0, 12)} (${bytes.byteLength} bytes); removed` };
  };

  const has = async (sha: string): Promise<boolean> => {
    if (!isChunkName(sha)) return false;
    try {
      return (await stat(pathOf(sha))).isFile();
    } catch {
      return false;
    }
  };

  return {
    root,
    tempFilesRemoved,
    has,
    read: readChecked,
    async put(sha, bytes) {
      checkChunkForWrite(sha, bytes);
      if (await has(sha)) return 'present';
      const tmp = join(tmpDir, `${sha}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await writeDurably(tmp, bytes);
        const shard = sha.slice(0, 2);
        await ensureShard(shard);
        await rename(tmp, pathOf(sha));
        await fsyncDirectory(join(chunksDir, shard));
        return 'stored';
      } catch (error) {
        await rm(tmp, { force: true }).catch(() => {});
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (DISK_FULL_CODES.has(code)) {
          throw new ChunkStoreError('PEERBOOT_ERR_CACHE_DISK_FULL', `chunk cache at ${root} is out of disk space (${code}); free space on that file system or evict old package versions — the chunks already stored are intact`);
        }
        throw ioError(error, `cannot store chunk ${sha.slice(0, 12)} in ${root}`);
      }
    },
    async delete(sha) {
      if (!isChunkName(sha)) return false;
      try {
        await unlink(pathOf(sha));
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw ioError(error, `cannot delete chunk ${sha.slice(0, 12)} from ${root}`);
      }
    },
    async list(): Promise<StoredChunk[]> {
      const out: StoredChunk[] = [];
      for (const shard of await readdir(chunksDir)) {
        if (!/^[0-9a-f]{2}$/.test(shard)) continue;
        let names: string[];
        try {
          names = await readdir(join(chunksDir, shard));
        } catch {
          continue;
        }
        for (const name of names) {
          if (!isChunkName(name) || name.slice(0, 2) !== shard) continue;
          try {
            const s = await stat(join(chunksDir, shard, name));
            if (s.isFile()) out.push({ sha256: name, sizeBytes: s.size });
          } catch {
            // Deleted while listing.
          }
        }
      }
      return out;
    },
    async verify(sha) {
      return (await readChecked(sha)).kind;
    },
  };
}

function ioError(error: unknown, what: string): ChunkStoreError {
  const e = error as NodeJS.ErrnoException;
  return new ChunkStoreError('PEERBOOT_ERR_CACHE_IO', `${what}: ${e.code ?? e.message}; check the cache directory's permissions and file system`);
}
