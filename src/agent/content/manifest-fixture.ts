/**
 * Test and bench helper: a package built from bytes, chunked and signed like the server does
 * (src/contract/manifest.ts), so tests, simulations and the lab bench work on real signed
 * manifests. Not used by the agent itself.
 */
import { createHash } from 'node:crypto';
import type { PackageManifest, SignedManifest } from '../../contract/manifest.js';
import { signManifest } from '../../platform/crypto/signed-documents.js';
import type { SigningKey } from '../../contract/signature.js';

export interface FixtureFile {
  path: string;
  bytes: Uint8Array;
}

export interface FixturePackage {
  signed: SignedManifest;
  /** Every chunk's bytes by name (what the server's content store holds). */
  chunks: Map<string, Uint8Array>;
}

const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Deterministic pseudo-random bytes (xorshift32), cheap enough for hundreds of MiB. */
export function fixtureBytes(sizeBytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  const words = new Uint32Array(out.buffer, 0, sizeBytes >>> 2);
  let x = (seed | 1) >>> 0;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    words[i] = x;
  }
  for (let i = words.length * 4; i < sizeBytes; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** Chunks, hashes and signs a package of `files`. */
export function buildFixturePackage(options: { id: string; files: FixtureFile[]; key: SigningKey; chunkSizeBytes?: number; version?: number }): FixturePackage {
  const size = options.chunkSizeBytes ?? 1024 * 1024;
  const chunks = new Map<string, Uint8Array>();
  const manifest: PackageManifest = {
    schemaVersion: 1,
    id: options.id,
    name: options.id,
    version: options.version ?? 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    chunkSizeBytes: size,
    files: options.files.map((f) => {
      const names: string[] = [];
      for (let off = 0; off < f.bytes.byteLength; off += size) {
        const part = f.bytes.subarray(off, Math.min(off + size, f.bytes.byteLength));
        const sha = sha256Hex(part);
        chunks.set(sha, part);
        names.push(sha);
      }
      return { path: f.path, sizeBytes: f.bytes.byteLength, sha256: sha256Hex(f.bytes), chunks: names };
    }),
  };
  return { signed: signManifest(manifest, options.key), chunks };
}
