/**
 * Imports a boot toolkit from a folder picked in the browser into the server's content store, as
 * `peerboot package import` does: each file is cut into 1 MiB chunks named by their SHA-256 (Web
 * Crypto), only chunks the server lacks are uploaded, then the package is recorded for the profile,
 * which the server checks holds every file the profile names, and the profile points at it.
 */
import type { ApiClient } from '../../../src/contract/client.js';
import { requiredFilesOf } from '../../../src/contract/boot-profile.js';
import { chunkSizeBytes } from '../../../src/contract/manifest.js';
import type { BootProfile } from '../../../src/contract/schemas.js';
import { matchToolkitFiles, relativeToPicked } from '../model/toolkit-files.js';

export interface ImportProgress {
  phase: 'hashing' | 'uploading' | 'recording';
  bytesDone: number;
  bytesTotal: number;
}

/** A file larger than this is better imported with the CLI (the browser holds one file in memory). */
export const browserFileMaxBytes = 2 * 1024 ** 3;

export class ToolkitImportError extends Error {}

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

export async function importToolkit(client: ApiClient, profile: BootProfile, picked: readonly File[], onProgress: (p: ImportProgress) => void = () => {}) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new ToolkitImportError('This browser gives the page no Web Crypto here (it needs HTTPS or localhost). Use `peerboot package import --from DIR --profile NAME` instead.');
  const files = picked.map((file) => ({ file, relativePath: relativeToPicked(file.webkitRelativePath, file.name) }));
  const match = matchToolkitFiles(files, requiredFilesOf(profile));
  if (!match.ok) throw new ToolkitImportError(`The folder lacks ${match.missing.join(', ')}, which profile ${profile.name} needs.`);
  const tooBig = match.found.find((f) => f.file.file.size > browserFileMaxBytes);
  if (tooBig) throw new ToolkitImportError(`${tooBig.packagePath} is larger than the browser can import; use \`peerboot package import\`.`);

  const bytesTotal = match.found.reduce((n, f) => n + f.file.file.size, 0);
  let bytesDone = 0;
  const hashed: Array<{ path: string; sizeBytes: number; sha256: string; chunks: string[]; bytes: Uint8Array }> = [];
  for (const f of match.found) {
    const bytes = new Uint8Array(await f.file.file.arrayBuffer());
    const chunks: string[] = [];
    for (let off = 0; off < bytes.length; off += chunkSizeBytes) {
      chunks.push(hex(await subtle.digest('SHA-256', bytes.subarray(off, off + chunkSizeBytes))));
      bytesDone += Math.min(chunkSizeBytes, bytes.length - off);
      onProgress({ phase: 'hashing', bytesDone, bytesTotal });
    }
    hashed.push({ path: f.packagePath, sizeBytes: bytes.length, sha256: hex(await subtle.digest('SHA-256', bytes)), chunks, bytes });
  }

  const all = [...new Set(hashed.flatMap((h) => h.chunks))];
  const missing = new Set<string>();
  for (let i = 0; i < all.length; i += 10_000) {
    for (const m of (await client.call('findMissingChunks', { body: { sha256s: all.slice(i, i + 10_000) } })).missing) missing.add(m);
  }
  bytesDone = 0;
  const sent = new Set<string>();
  for (const h of hashed) {
    for (const [i, sha] of h.chunks.entries()) {
      const slice = h.bytes.subarray(i * chunkSizeBytes, (i + 1) * chunkSizeBytes);
      if (missing.has(sha) && !sent.has(sha)) {
        await client.call('putChunk', { params: { sha256: sha }, body: slice });
        sent.add(sha);
      }
      bytesDone += slice.length;
      onProgress({ phase: 'uploading', bytesDone, bytesTotal });
    }
  }
  onProgress({ phase: 'recording', bytesDone: bytesTotal, bytesTotal });
  const doc = await client.call('createPackage', {
    body: { name: profile.name, profileId: profile.id, files: hashed.map((h) => ({ path: h.path, sizeBytes: h.sizeBytes, sha256: h.sha256, chunks: h.chunks })) },
  });
  return { manifest: doc.manifest, chunksUploaded: sent.size, chunksTotal: all.length };
}
