/**
 * The agent's content-addressed chunk cache: package chunks named by their SHA-256 (the name is the
 * digest, checked on every write and every read, as spegel's store and the server's content store
 * do), so a chunk from any peer or the server is either exactly right or refused. Two
 * implementations share one conformance suite (./chunk-store.suite.ts): fs-chunk-store.ts (temp +
 * fsync + rename, survives a power cut) and memory-chunk-store.ts (tests, simulations).
 */
import { createHash } from 'node:crypto';

/** What a read found. `corrupt`: the stored bytes no longer hash to the name; the copy was removed. */
export type ChunkRead =
  | { kind: 'ok'; bytes: Uint8Array }
  | { kind: 'absent' }
  | { kind: 'corrupt'; detail: string };

/** One stored chunk, as listed. */
export interface StoredChunk {
  sha256: string;
  sizeBytes: number;
}

/** Stable codes of store faults (tests assert the code, not the text). */
export type ChunkStoreErrorCode =
  | 'PEERBOOT_ERR_CHUNK_DIGEST_MISMATCH'
  | 'PEERBOOT_ERR_CHUNK_TOO_LARGE'
  | 'PEERBOOT_ERR_CHUNK_NAME'
  | 'PEERBOOT_ERR_CACHE_DISK_FULL'
  | 'PEERBOOT_ERR_CACHE_IO';

/** A write the store refused or could not do. The message is one line naming the fix. */
export class ChunkStoreError extends Error {
  constructor(readonly code: ChunkStoreErrorCode, message: string) {
    super(message);
    this.name = 'ChunkStoreError';
  }
}

export interface ChunkStore {
  /** Whether a chunk is stored (presence only; `read` and `verify` check the bytes). */
  has(sha256: string): Promise<boolean>;
  /** The chunk's bytes, checked against its name. A corrupt copy is removed and reported, never returned. */
  read(sha256: string): Promise<ChunkRead>;
  /**
   * Stores bytes under their digest. Refuses bytes that do not hash to `sha256`
   * (PEERBOOT_ERR_CHUNK_DIGEST_MISMATCH) and, when the disk is full, fails with
   * PEERBOOT_ERR_CACHE_DISK_FULL leaving every chunk already stored intact.
   * `present`: an identical chunk was already there (nothing written).
   */
  put(sha256: string, bytes: Uint8Array): Promise<'stored' | 'present'>;
  /** Removes a chunk; false if it was not there. */
  delete(sha256: string): Promise<boolean>;
  /** Every stored chunk (order unspecified). */
  list(): Promise<StoredChunk[]>;
  /** Re-reads and checks one chunk (`read` without returning the bytes). */
  verify(sha256: string): Promise<'ok' | 'absent' | 'corrupt'>;
}

/** Largest chunk any store accepts: the contract's chunk size (src/contract/manifest.ts), 1 MiB. */
export const CHUNK_BYTES_MAX = 1024 * 1024;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Lower-case hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether `name` is a chunk name (64 lower-case hex digits). */
export function isChunkName(name: string): boolean {
  return SHA256_HEX.test(name);
}

/** The checks every store makes before writing; throws ChunkStoreError. */
export function checkChunkForWrite(sha256: string, bytes: Uint8Array): void {
  if (!isChunkName(sha256)) throw new ChunkStoreError('PEERBOOT_ERR_CHUNK_NAME', `not a chunk name (64 lower-case hex digits): ${JSON.stringify(sha256).slice(0, 80)}`);
  if (bytes.byteLength > CHUNK_BYTES_MAX) throw new ChunkStoreError('PEERBOOT_ERR_CHUNK_TOO_LARGE', `chunk ${sha256.slice(0, 12)} is ${bytes.byteLength} bytes; a chunk holds at most ${CHUNK_BYTES_MAX}`);
  const actual = sha256Hex(bytes);
  if (actual !== sha256) throw new ChunkStoreError('PEERBOOT_ERR_CHUNK_DIGEST_MISMATCH', `bytes offered as chunk ${sha256.slice(0, 12)} hash to ${actual.slice(0, 12)}; refused`);
}
