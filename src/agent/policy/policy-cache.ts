/**
 * The last good signed policy on disk (`<data-dir>/policy.json`), so an agent that restarts while
 * the server is down keeps serving per its last policy (booting must not depend on the control
 * plane being up). Written with temp + fsync + rename; read back through verifyPolicy (shape,
 * version, Ed25519 signature, every embedded manifest) before use. A cache that fails any check is
 * moved aside to `policy.json.broken` (kept for diagnosis) and reported with the reason; the agent
 * then starts without a policy and fetches a fresh one.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import type { AgentPolicy, SignedPolicy } from '../../contract/policy.js';
import { verifyPolicy } from '../../platform/crypto/signed-documents.js';
import { writeFileAtomic } from '../state/atomic-file.js';

export type PolicyCacheLoad =
  | { kind: 'loaded'; doc: SignedPolicy; policy: AgentPolicy; etag: string }
  | { kind: 'absent' }
  | { kind: 'broken'; reason: string; movedTo: string | null };

/** Reads and verifies the cached policy. Never throws. */
export function loadPolicyCache(path: string, publicKey: string): PolicyCacheLoad {
  if (!existsSync(path)) return { kind: 'absent' };
  let reason: string;
  try {
    const text = readFileSync(path, 'utf8');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new Error(`not JSON (${(err as Error).message})`);
    }
    const v = verifyPolicy(doc, publicKey);
    if (v.ok) return { kind: 'loaded', doc: doc as SignedPolicy, policy: v.policy, etag: v.etag };
    reason = `${v.reason}${v.detail ? `: ${v.detail}` : ''}`;
  } catch (err) {
    reason = (err as Error).message;
  }
  const movedTo = `${path}.broken`;
  try {
    renameSync(path, movedTo);
    return { kind: 'broken', reason, movedTo };
  } catch {
    return { kind: 'broken', reason, movedTo: null };
  }
}

/** Stores a verified signed policy as the new last good one. */
export function savePolicyCache(path: string, doc: SignedPolicy): void {
  writeFileAtomic(path, JSON.stringify(doc), 0o600);
}
