/**
 * From signed manifests to the chunk lists the swarm works on. A manifest is used only when its
 * Ed25519 signature verifies with the server key (src/platform/crypto/signed-documents.ts `verifyManifest`) and
 * its structure is coherent (chunk count matches the file size, names are SHA-256 hex, the chunk
 * size is the contract's). Anything else is rejected with a reason the agent reports; a chunk that
 * is in no accepted manifest is never fetched, stored for a package, or served.
 *
 * A package's chunks are numbered across its files in manifest order (file 0's chunks, then file
 * 1's, …): that index is what the LAN "have" bitmaps (src/protocol/peer/chunk-have.ts) refer to.
 */
import { chunkSizeBytes, type PackageManifest, type SignedManifest } from '../../contract/manifest.js';
import { verifyManifest } from '../../platform/crypto/signed-documents.js';
import { isChunkName } from './chunk-store.js';

/** One chunk of a package: its name and exact size. */
export interface ChunkRef {
  sha256: string;
  sizeBytes: number;
}

/** An accepted package: the manifest and its chunks in package order. */
export interface PackageChunks {
  packageId: string;
  manifest: PackageManifest;
  chunks: ChunkRef[];
  totalBytes: number;
}

export type ManifestRejectReason = 'badSignature' | 'unknownKey' | 'badAlgorithm' | 'badPublicKey' | 'malformed';

export type ManifestCheck =
  | { ok: true; pkg: PackageChunks }
  | { ok: false; packageId: string; reason: ManifestRejectReason; detail: string };

/** Checks one signed manifest (signature first, then structure). Never throws. */
export function checkSignedManifest(doc: SignedManifest, serverPublicKey: string): ManifestCheck {
  const packageId = typeof doc?.manifest?.id === 'string' ? doc.manifest.id : '(no id)';
  let signature;
  try {
    signature = verifyManifest(doc, serverPublicKey);
  } catch (error) {
    return { ok: false, packageId, reason: 'malformed', detail: `unreadable manifest: ${(error as Error).message}` };
  }
  if (!signature.ok) return { ok: false, packageId, reason: signature.reason, detail: `manifest signature refused (${signature.reason})` };
  const structure = chunksOf(doc.manifest);
  if (typeof structure === 'string') return { ok: false, packageId, reason: 'malformed', detail: structure };
  return { ok: true, pkg: structure };
}

/** The chunk list of a (signature-checked) manifest, or why its structure is wrong. */
export function chunksOf(manifest: PackageManifest): PackageChunks | string {
  const size = manifest.chunkSizeBytes;
  if (!Number.isInteger(size) || size < 1 || size > chunkSizeBytes) return `chunkSizeBytes ${size} outside 1..${chunkSizeBytes}`;
  if (!Array.isArray(manifest.files)) return 'files is not a list';
  const chunks: ChunkRef[] = [];
  let totalBytes = 0;
  for (const file of manifest.files) {
    if (!Number.isSafeInteger(file.sizeBytes) || file.sizeBytes < 0) return `${file.path}: sizeBytes ${file.sizeBytes} is not a size`;
    const expected = Math.ceil(file.sizeBytes / size);
    if (!Array.isArray(file.chunks) || file.chunks.length !== expected) {
      return `${file.path}: ${file.chunks?.length} chunks listed, ${expected} expected for ${file.sizeBytes} bytes`;
    }
    for (const [i, sha] of file.chunks.entries()) {
      if (!isChunkName(sha)) return `${file.path}: chunk ${i} is not a SHA-256 name`;
      chunks.push({ sha256: sha, sizeBytes: Math.min(size, file.sizeBytes - i * size) });
    }
    totalBytes += file.sizeBytes;
  }
  return { packageId: manifest.id, manifest, chunks, totalBytes };
}
