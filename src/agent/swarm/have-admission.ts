/**
 * What of a "have" message this agent takes in, decided before any certificate or signature work
 * (cheap checks first: an unauthenticated datagram must cost bounded work). Only packages of an
 * accepted signed manifest count, and each must state that manifest's chunk count: the bitmap a
 * receiver keeps per peer and package is sized by it, so a made-up count of 2^32 − 1 chunks would
 * cost 512 MiB and a minute of blocked event loop per entry (security review H4). Entries for
 * packages this agent does not want are dropped (it fetches nothing of them); a wrong count for a
 * wanted package refuses the whole message. Pure.
 */
import type { ChunkHave } from '../../protocol/peer/chunk-have.js';

export type HaveAdmission =
  | { ok: true; have: ChunkHave; ignored: number }
  | { ok: false; reason: 'chunk-count-mismatch'; detail: string };

/** `chunkCountOf(packageId)`: the accepted manifest's chunk count, or undefined when not wanted. */
export function admitHave(have: ChunkHave, chunkCountOf: (packageId: string) => number | undefined): HaveAdmission {
  const packages = [];
  for (const p of have.packages) {
    const expected = chunkCountOf(p.packageId);
    if (expected === undefined) continue;
    if (p.chunkCount !== expected) {
      return { ok: false, reason: 'chunk-count-mismatch', detail: `${p.packageId}: ${p.chunkCount} chunks stated, the signed manifest has ${expected}` };
    }
    packages.push(p);
  }
  return { ok: true, have: packages.length === have.packages.length ? have : { ...have, packages }, ignored: have.packages.length - packages.length };
}
