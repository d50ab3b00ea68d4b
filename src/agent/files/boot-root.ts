/**
 * The boot root: the one directory TFTP and HTTP serve from, with case-insensitive lookup and the
 * guarantee that no byte from outside it is ever served
 * (docs/protocol-notes.md, "Boot file names and the boot root").
 * Lookup walks the request one component at a time through a cached directory index (invalidated
 * by the directory's mtime), then realpath()s each step and requires it to stay inside the real
 * root, so symlinks that leave the root are refused. Open files are shared between sessions.
 */
import { readdir, realpath, stat, open, readlink } from 'node:fs/promises';
import { join, resolve as resolvePath, sep } from 'node:path';
import { normaliseBootPath } from './boot-path.js';
import { ChunkCache, OpenFile, SharedFileLease, bootFileOpenFlags, type SharedFile } from './shared-file.js';

export type { SharedFile } from './shared-file.js';

export type BootRootResolution =
  | { ok: true; /** real absolute path inside the root */ path: string; size: number }
  | { ok: false; code: 'notFound' | 'accessViolation'; reason: string };

export interface BootRootOptions {
  /** Read-ahead chunk size shared by all sessions (default 64 KiB). */
  chunkBytes?: number;
  /** Total bytes of read-ahead cache (default 32 MiB). */
  cacheBudgetBytes?: number;
  /** How long an unused open file (and its cached chunks) is kept (default 5000 ms; 0 closes at once). */
  fileLingerMs?: number;
  /** Most directories whose index is cached (default 1024). */
  directoryIndexMax?: number;
}

/** A stable-coded start-up failure (printed as one line by the CLI). */
export class BootRootError extends Error {
  constructor(readonly code: 'PEERBOOT_ERR_ROOT_MISSING' | 'PEERBOOT_ERR_ROOT_NOT_DIRECTORY' | 'PEERBOOT_ERR_ROOT_UNREADABLE', message: string) {
    super(message);
    this.name = 'BootRootError';
  }
}

interface DirectoryIndex {
  mtimeNs: bigint;
  exact: Set<string>;
  /** lowercased name -> the on-disk name (first in sorted order when several differ only in case) */
  folded: Map<string, string>;
}

function isInside(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  const prefix = root.endsWith(sep) ? root : root + sep;
  return candidate.startsWith(prefix);
}

export class BootRoot {
  /** The root as given, made absolute. */
  readonly rootDir: string;
  readonly cache: ChunkCache;
  readonly #realRoot: Promise<string>;
  readonly #indexes = new Map<string, DirectoryIndex>();
  readonly #files = new Map<string, OpenFile>();
  /** Every open descriptor, including replaced ones still used by older sessions. */
  readonly #allFiles = new Set<OpenFile>();
  readonly #lingerMs: number;
  readonly #indexMax: number;

  /** Prefer BootRoot.open(), which checks the directory first. */
  constructor(rootDir: string, options: BootRootOptions = {}) {
    this.rootDir = resolvePath(rootDir);
    this.#realRoot = realpath(this.rootDir);
    this.#realRoot.catch(() => {}); // reported by resolve(); never an unhandled rejection
    this.cache = new ChunkCache({ chunkBytes: options.chunkBytes, budgetBytes: options.cacheBudgetBytes });
    this.#lingerMs = options.fileLingerMs ?? 5000;
    this.#indexMax = options.directoryIndexMax ?? 1024;
  }

  /** Opens a root after checking it exists and is a readable directory; throws BootRootError naming the fix. */
  static async open(rootDir: string, options: BootRootOptions = {}): Promise<BootRoot> {
    const absolute = resolvePath(rootDir);
    let info;
    try {
      info = await stat(absolute);
    } catch {
      throw new BootRootError('PEERBOOT_ERR_ROOT_MISSING', `boot root ${absolute} does not exist: create it and put the boot files there, or pass another --root DIR`);
    }
    if (!info.isDirectory()) {
      throw new BootRootError('PEERBOOT_ERR_ROOT_NOT_DIRECTORY', `boot root ${absolute} is not a directory: pass the directory holding the boot files as --root DIR`);
    }
    try {
      await readdir(absolute);
    } catch (err) {
      throw new BootRootError('PEERBOOT_ERR_ROOT_UNREADABLE', `boot root ${absolute} is not readable (${(err as NodeJS.ErrnoException).code}): fix its permissions or run as a user that can read it`);
    }
    return new BootRoot(absolute, options);
  }

  /** The root with symlinks resolved (what every served file must be under). */
  realRoot(): Promise<string> {
    return this.#realRoot;
  }

  /**
   * Maps a request path (TFTP filename, decoded HTTP path) to a regular file inside the root.
   * `\` and `/` both separate; letter case is ignored when the exact name does not exist.
   * Never throws for a bad path: refusals are values with a reason.
   */
  async resolve(requestPath: string): Promise<BootRootResolution> {
    const normal = normaliseBootPath(requestPath);
    if (!normal.ok) return normal;
    let root: string;
    try {
      root = await this.#realRoot;
    } catch (err) {
      return { ok: false, code: 'notFound', reason: `boot root unavailable (${(err as NodeJS.ErrnoException).code})` };
    }
    let current = root;
    for (const wanted of normal.components) {
      const step = await this.#step(current, wanted);
      if (step === 'missing') return { ok: false, code: 'notFound', reason: `no '${wanted}' in ${current === root ? 'the root' : current.slice(root.length + 1)}` };
      if (!isInside(root, step)) return { ok: false, code: 'accessViolation', reason: `'${wanted}' leads outside the root (symlink)` };
      current = step;
    }
    let info;
    try {
      info = await stat(current);
    } catch {
      return { ok: false, code: 'notFound', reason: 'file vanished during lookup' };
    }
    if (!info.isFile()) return { ok: false, code: 'notFound', reason: 'not a regular file' };
    return { ok: true, path: current, size: info.size };
  }

  /** One component of the walk: the real path of `wanted` inside `dir` (any case), or 'missing'. */
  async #step(dir: string, wanted: string): Promise<string | 'missing'> {
    for (let attempt = 0; attempt < 2; attempt++) {
      // The second attempt re-reads the directory: an mtime tick can hide a fresh change.
      const index = await this.#index(dir, attempt === 1);
      if (!index) return 'missing';
      const actual = index.exact.has(wanted) ? wanted : index.folded.get(wanted.toLowerCase());
      if (actual === undefined) {
        if (attempt === 0) continue;
        return 'missing';
      }
      try {
        return await realpath(join(dir, actual));
      } catch {
        // Renamed or deleted since the listing, or a dangling symlink: look again once.
      }
    }
    return 'missing';
  }

  async #index(dir: string, fresh: boolean): Promise<DirectoryIndex | null> {
    let mtimeNs: bigint;
    try {
      const info = await stat(dir, { bigint: true });
      if (!info.isDirectory()) return null;
      mtimeNs = info.mtimeNs;
    } catch {
      return null;
    }
    const cached = this.#indexes.get(dir);
    if (cached && !fresh && cached.mtimeNs === mtimeNs) return cached;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return null;
    }
    names.sort();
    const folded = new Map<string, string>();
    for (const name of names) {
      const key = name.toLowerCase();
      if (!folded.has(key)) folded.set(key, name);
    }
    const index: DirectoryIndex = { mtimeNs, exact: new Set(names), folded };
    this.#indexes.delete(dir);
    this.#indexes.set(dir, index);
    if (this.#indexes.size > this.#indexMax) {
      const oldest = this.#indexes.keys().next().value;
      if (oldest !== undefined) this.#indexes.delete(oldest);
    }
    return index;
  }

  /**
   * Opens a file returned by resolve() for reading, sharing the descriptor and read-ahead cache with
   * every other session of the same file. Throws (with the fs error code) if it cannot be opened, or
   * an error with code 'EACCES' if the opened file is not inside the root.
   */
  async openShared(path: string): Promise<SharedFile> {
    const info = await stat(path, { bigint: true });
    const identity = `${info.dev}:${info.ino}:${info.mtimeNs}:${info.size}`;
    const existing = this.#files.get(path);
    if (existing && existing.identity === identity && !existing.closed) return new SharedFileLease(existing, this.#lingerMs);
    const handle = await open(path, bootFileOpenFlags);
    try {
      const opened = await handle.stat({ bigint: true });
      if (!opened.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EISDIR' });
      await this.#checkDescriptorInsideRoot(handle.fd);
      // Another caller may have opened the same identity meanwhile: share theirs.
      const raced = this.#files.get(path);
      if (raced && raced.identity === identity && !raced.closed) {
        await handle.close();
        return new SharedFileLease(raced, this.#lingerMs);
      }
      const file = new OpenFile(path, identity, Number(opened.size), handle, this.cache, (closed) => {
        this.#allFiles.delete(closed);
        if (this.#files.get(closed.path) === closed) this.#files.delete(closed.path);
      });
      this.#files.set(path, file);
      this.#allFiles.add(file);
      return new SharedFileLease(file, this.#lingerMs);
    } catch (err) {
      await handle.close().catch(() => {});
      throw err;
    }
  }

  /**
   * Closes the race between resolve() and open(): on Linux the kernel tells us what the descriptor
   * really points at, and it must be inside the root. Elsewhere resolve()'s realpath check stands.
   */
  async #checkDescriptorInsideRoot(fd: number): Promise<void> {
    let target: string;
    try {
      target = await readlink(`/proc/self/fd/${fd}`);
    } catch {
      return;
    }
    const root = await this.#realRoot;
    if (!isInside(root, target)) {
      throw Object.assign(new Error(`opened file ${target} is outside the boot root`), { code: 'EACCES' });
    }
  }

  /** Number of descriptors currently open (for tests and /metrics). */
  openFileCount(): number {
    return this.#allFiles.size;
  }

  /** Closes every shared descriptor (leases still out fail their next read). */
  async close(): Promise<void> {
    await Promise.all([...this.#allFiles].map((f) => f.close()));
    this.#files.clear();
    this.#indexes.clear();
  }
}
