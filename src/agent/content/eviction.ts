/**
 * Which chunks the cache may drop: those no wanted package references (old package versions,
 * packages the policy no longer names). Pure. Old chunks are kept until every wanted package is
 * ready, so an agent in the middle of an update still holds (and can serve its neighbours) the
 * version that boots today; after that they go. A byte budget, when set, is enforced on
 * unreferenced chunks only — a chunk some wanted package needs is never evicted.
 */
import type { StoredChunk } from './chunk-store.js';

export interface EvictionInput {
  stored: readonly StoredChunk[];
  /** Chunks of every wanted package. */
  referenced: ReadonlySet<string>;
  /** Every wanted package is ready. */
  allWantedReady: boolean;
  /** Optional cap on the cache's size; unreferenced chunks go first when it is exceeded. */
  maxCacheBytes?: number;
}

export interface EvictionPlan {
  evict: string[];
  evictBytes: number;
  reason: 'nothing-unreferenced' | 'update-in-progress' | 'old-versions' | 'over-budget';
  /** Bytes that stay (all referenced when evicting old versions). */
  keptBytes: number;
}

export function planEviction(input: EvictionInput): EvictionPlan {
  const unreferenced = input.stored.filter((c) => !input.referenced.has(c.sha256));
  const total = input.stored.reduce((n, c) => n + c.sizeBytes, 0);
  if (unreferenced.length === 0) return { evict: [], evictBytes: 0, reason: 'nothing-unreferenced', keptBytes: total };
  const sorted = [...unreferenced].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
  if (input.allWantedReady) {
    const bytes = sorted.reduce((n, c) => n + c.sizeBytes, 0);
    return { evict: sorted.map((c) => c.sha256), evictBytes: bytes, reason: 'old-versions', keptBytes: total - bytes };
  }
  if (input.maxCacheBytes !== undefined && total > input.maxCacheBytes) {
    const evict: string[] = [];
    let bytes = 0;
    for (const c of sorted) {
      if (total - bytes <= input.maxCacheBytes) break;
      evict.push(c.sha256);
      bytes += c.sizeBytes;
    }
    return { evict, evictBytes: bytes, reason: 'over-budget', keptBytes: total - bytes };
  }
  return { evict: [], evictBytes: 0, reason: 'update-in-progress', keptBytes: total };
}
