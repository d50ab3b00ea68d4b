/**
 * Makes the packages the policy lists present in the boot root, byte-exact: for every file of
 * every signed manifest (the policy's signature covers the manifests), fetch the missing chunks
 * (`GET /api/v1/agent/chunks/:sha256`), check each chunk's SHA-256 (content addressing: the digest
 * is the name), assemble the file in a temp file, check the whole file's SHA-256, then rename it
 * into place. A package is *ready* only when every file verified; only ready packages are offered
 * (decision) and announced (election eligibility).
 *
 * Verified files are recorded (size, mtime, digest) outside the boot root, so a restart, even
 * with the server down, finds them ready without re-reading gigabytes; a file whose size or mtime
 * changed is hashed again (streamed, so a large WIM never blocks the event loop and PXE replies).
 * Failures retry with capped exponential backoff. Chunks come from `fetchChunk`: in the agent, the
 * package swarm's verified cache (../swarm/agent-package-swarm.ts), or the server when the swarm
 * cannot run (../swarm/agent-packages.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { PackageManifest } from '../../contract/manifest.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { packageDirPath, packageFilePath } from './boot-layout.js';

export interface PackageReadiness {
  packageId: string;
  ready: boolean;
  chunksHeld: number;
  chunksTotal: number;
}

export interface PackageSyncOptions {
  bootRoot: string;
  /** Where verified-file records go (not served). */
  stateDir: string;
  fetchChunk: (sha256: string) => Promise<Uint8Array>;
  clock: Clock;
  logger?: Logger;
  counters?: Counters;
  /** Called when a package becomes ready (or a wanted set changes readiness). */
  onChange: () => void;
  retryMs?: [number, number];
}

interface FileRecord {
  size: number;
  mtimeMs: number;
  sha256: string;
}

const sha256Of = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export class PackageSync {
  readonly #o: PackageSyncOptions & { logger: Logger; counters: Counters; retryMs: [number, number] };
  #wanted: PackageManifest[] = [];
  readonly #ready = new Set<string>();
  readonly #held = new Map<string, number>();
  #running = false;
  #rerun = false;
  #retryTimer: TimerHandle | null = null;
  #failures = 0;
  #stopped = false;

  constructor(options: PackageSyncOptions) {
    this.#o = { retryMs: [2000, 60_000], ...options, logger: (options.logger ?? silentLogger).child({ component: 'packages' }), counters: options.counters ?? new Counters() };
    mkdirSync(options.bootRoot, { recursive: true });
    mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  }

  isReady(packageId: string): boolean {
    return this.#ready.has(packageId);
  }

  readyIds(): string[] {
    return this.#wanted.map((m) => m.id).filter((id) => this.#ready.has(id));
  }

  wantedIds(): string[] {
    return this.#wanted.map((m) => m.id);
  }

  readiness(): PackageReadiness[] {
    return this.#wanted.map((m) => {
      const total = m.files.reduce((n, f) => n + f.chunks.length, 0);
      return { packageId: m.id, ready: this.#ready.has(m.id), chunksHeld: this.#ready.has(m.id) ? total : Math.min(total, this.#held.get(m.id) ?? 0), chunksTotal: total };
    });
  }

  /** The packages the current policy needs; starts fetching what is missing. */
  setWanted(manifests: readonly PackageManifest[]): void {
    this.#wanted = [...manifests];
    for (const id of [...this.#ready]) if (!manifests.some((m) => m.id === id)) this.#ready.delete(id);
    this.#failures = 0;
    this.#kick();
  }

  stop(): void {
    this.#stopped = true;
    this.#retryTimer?.cancel();
  }

  #kick(): void {
    if (this.#stopped) return;
    this.#retryTimer?.cancel();
    this.#retryTimer = null;
    if (this.#running) {
      this.#rerun = true;
      return;
    }
    this.#running = true;
    void this.#syncAll().finally(() => {
      this.#running = false;
      if (this.#rerun) {
        this.#rerun = false;
        this.#kick();
      }
    });
  }

  async #syncAll(): Promise<void> {
    let failed = false;
    for (const manifest of this.#wanted) {
      if (this.#stopped || this.#rerun) return;
      if (this.#ready.has(manifest.id)) continue;
      try {
        await this.#syncPackage(manifest);
        this.#ready.add(manifest.id);
        this.#o.counters.increment('packages_ready_total');
        this.#o.logger.info('package ready', { packageId: manifest.id, name: manifest.name, version: manifest.version, files: manifest.files.length });
        this.#o.onChange();
      } catch (err) {
        failed = true;
        this.#o.counters.increment('package_sync_errors_total');
        this.#o.logger.warn('package not complete yet; will retry', { packageId: manifest.id, name: manifest.name, error: (err as Error).message });
      }
    }
    if (failed && !this.#stopped) {
      this.#failures++;
      const [lo, hi] = this.#o.retryMs;
      const delay = Math.min(hi, lo * 2 ** Math.min(this.#failures - 1, 8));
      this.#retryTimer = this.#o.clock.setTimer(delay, () => this.#kick());
    } else {
      this.#failures = 0;
    }
  }

  #statePath(packageId: string): string {
    return join(this.#o.stateDir, `${packageId}.json`);
  }

  #loadRecords(packageId: string): Record<string, FileRecord> {
    try {
      return JSON.parse(readFileSync(this.#statePath(packageId), 'utf8')) as Record<string, FileRecord>;
    } catch {
      return {};
    }
  }

  /** The on-disk path of a manifest file, refusing any path that would leave the package's directory. */
  #target(packageId: string, path: string): string {
    const root = resolve(this.#o.bootRoot);
    const dir = resolve(root, packageDirPath(packageId));
    const target = resolve(root, packageFilePath(packageId, path));
    if (!dir.startsWith(root + sep) || !target.startsWith(dir + sep)) throw new Error(`manifest path ${JSON.stringify(path)} leaves the package directory`);
    return target;
  }

  async #syncPackage(manifest: PackageManifest): Promise<void> {
    const records = this.#loadRecords(manifest.id);
    let held = 0;
    this.#held.set(manifest.id, 0);
    for (const file of manifest.files) {
      const target = this.#target(manifest.id, file.path);
      const rec = records[file.path];
      if (existsSync(target)) {
        const st = statSync(target);
        if (rec && rec.sha256 === file.sha256 && rec.size === st.size && rec.mtimeMs === st.mtimeMs) {
          held += file.chunks.length;
          this.#held.set(manifest.id, held);
          continue;
        }
        if (st.size === file.sizeBytes && (await hashFile(target)) === file.sha256) {
          records[file.path] = { size: st.size, mtimeMs: st.mtimeMs, sha256: file.sha256 };
          writeFileAtomic(this.#statePath(manifest.id), JSON.stringify(records));
          held += file.chunks.length;
          this.#held.set(manifest.id, held);
          continue;
        }
      }
      await this.#download(manifest, file, target, (n) => this.#held.set(manifest.id, held + n));
      held += file.chunks.length;
      const st = statSync(target);
      records[file.path] = { size: st.size, mtimeMs: st.mtimeMs, sha256: file.sha256 };
      writeFileAtomic(this.#statePath(manifest.id), JSON.stringify(records));
    }
  }

  async #download(manifest: PackageManifest, file: PackageManifest['files'][number], target: string, progress: (chunks: number) => void): Promise<void> {
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.partial`;
    const fh = await open(tmp, 'w', 0o644);
    const whole = createHash('sha256');
    let size = 0;
    try {
      for (const [i, sha] of file.chunks.entries()) {
        if (this.#stopped) throw new Error('stopped');
        const bytes = await this.#o.fetchChunk(sha);
        if (sha256Of(bytes) !== sha) {
          this.#o.counters.increment('package_chunk_digest_mismatch_total');
          throw new Error(`chunk ${i} of ${file.path} does not match its SHA-256 (corrupt or tampered); refused`);
        }
        await fh.write(bytes);
        whole.update(bytes);
        size += bytes.length;
        this.#o.counters.increment('package_chunks_fetched_total');
        progress(i + 1);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (size !== file.sizeBytes || whole.digest('hex') !== file.sha256) {
      await rm(tmp, { force: true });
      throw new Error(`${file.path}: assembled file does not match the manifest's size/SHA-256`);
    }
    await rename(tmp, target);
    this.#o.logger.debug('package file verified', { packageId: manifest.id, path: file.path, bytes: size });
  }
}
