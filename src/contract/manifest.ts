/**
 * Package manifests: what a package holds, file by file and chunk by chunk, so an agent can fetch
 * chunks from any peer or the server and check every byte (content addressing: the digest is the
 * name, checked on read). Signed by the server; the policy document embeds the signed manifests.
 * Shapes only: signManifest / verifyManifest live in src/platform/crypto/signed-documents.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id, Sha256Hex, Timestamp } from './schemas.js';

/** Chunk size for the content store and peer transfers: 1 MiB. The last chunk of a file may be shorter. */
export const chunkSizeBytes = 1024 * 1024;

export const ManifestFile = Type.Object({
  path: Type.String({ description: 'Path inside the package (forward slashes); agents serve it case-insensitively' }),
  sizeBytes: Type.Integer({ minimum: 0 }),
  sha256: Sha256Hex,
  chunks: Type.Array(Sha256Hex, { description: 'SHA-256 of each 1 MiB chunk, in order' }),
});
export type ManifestFile = Static<typeof ManifestFile>;

export const PackageManifest = Type.Object({
  schemaVersion: Type.Literal(1),
  id: Id,
  name: Type.String(),
  version: Type.Integer({ minimum: 1 }),
  createdAt: Timestamp,
  chunkSizeBytes: Type.Integer(),
  files: Type.Array(ManifestFile),
});
export type PackageManifest = Static<typeof PackageManifest>;

export const SignatureSchema = Type.Object({ alg: Type.Literal('Ed25519'), keyId: Type.String(), value: Type.String() });

export const SignedManifest = Type.Object({ manifest: PackageManifest, signature: SignatureSchema });
export type SignedManifest = Static<typeof SignedManifest>;

/** Chunk count a file of `sizeBytes` has (an empty file has none). */
export function chunkCountOf(sizeBytes: number): number {
  return Math.ceil(sizeBytes / chunkSizeBytes);
}
