/**
 * The in-memory twin of the fs chunk store: same contract, and it passes the same conformance
 * suite (src/agent/content/chunk-store.suite.ts), so a test can use it in place of the disk.
 * Used by swarm simulations and tests. `capacityBytes` makes "disk full" reproducible; `damage`
 * flips a stored byte so verify-on-read can be exercised.
 */
import { ChunkStoreError, checkChunkForWrite, sha256Hex, type ChunkRead, type ChunkStore, type StoredChunk } from '../agent/content/chunk-store.js';

export interface MemoryChunkStore extends ChunkStore {
  /** Test hook: corrupt a stored chunk in place (as bit rot would). */
  damage(sha256: string): void;
  /** Bytes held. */
  readonly usedBytes: number;
}

export function memoryChunkStore(options: { capacityBytes?: number } = {}): MemoryChunkStore {
  const chunks = new Map<string, Uint8Array>();
  let used = 0;
  const readChecked = (sha: string): ChunkRead => {
    const bytes = chunks.get(sha);
    if (!bytes) return { kind: 'absent' };
    const actual = sha256Hex(bytes);
    if (actual === sha) return { kind: 'ok', bytes: Uint8Array.from(bytes) };
    chunks.delete(sha);
    used -= bytes.byteLength;
    return { kind: 'corrupt', detail: `stored bytes hash to ${actual.slice(0, 12)}` };
  };
  return {
    get usedBytes() { return used; },
    async has(sha) { return chunks.has(sha); },
    async read(sha) { return readChecked(sha); },
    async put(sha, bytes) {
      checkChunkForWrite(sha, bytes);
      if (chunks.has(sha)) return 'present';
      if (options.capacityBytes !== undefined && used + bytes.byteLength > options.capacityBytes) {
        throw new ChunkStoreError('PEERBOOT_ERR_CACHE_DISK_FULL', `chunk cache full (memory store capacity ${options.capacityBytes} bytes); free space or evict old package versions — stored chunks are intact`);
      }
      chunks.set(sha, Uint8Array.from(bytes));
      used += bytes.byteLength;
      return 'stored';
    },
    async delete(sha) {
      const bytes = chunks.get(sha);
      if (!bytes) return false;
      chunks.delete(sha);
      used -= bytes.byteLength;
      return true;
    },
    async list(): Promise<StoredChunk[]> {
      return [...chunks].map(([sha256, bytes]) => ({ sha256, sizeBytes: bytes.byteLength }));
    },
    async verify(sha) {
      return readChecked(sha).kind;
    },
    damage(sha) {
      const bytes = chunks.get(sha);
      if (!bytes) throw new Error(`no chunk ${sha} to damage`);
      if (bytes.byteLength === 0) { chunks.set(sha, Uint8Array.of(0)); used += 1; } else bytes[0] = (bytes[0]! ^ 0xff) & 0xff;
    },
  };
}
