/**
 * Signing and checking the server's signed documents (src/contract/policy.ts, manifest.ts): the
 * server signs a built policy and every package manifest; an agent checks a received policy (shape,
 * version, its signature and every embedded manifest's) and decides whether it replaces the one held
 * (no older serial; `unchanged` when the content etag is the same). Ed25519 over canonical JSON
 * (RFC 8032, RFC 8785), see document-signature.ts. The etag is a digest of the policy without
 * `serial`/`issuedAt`, so an unchanged policy keeps its etag across servers.
 */
import type { PackageManifest, SignedManifest } from '../../contract/manifest.js';
import { checkPolicyShape, type AgentPolicy, type SignedPolicy } from '../../contract/policy.js';
import type { Signature, SignatureCheck, SigningKey } from '../../contract/signature.js';
import { canonicalDigest, signCanonical, verifyCanonical } from './document-signature.js';

/** Signs a manifest with the server key. */
export function signManifest(manifest: PackageManifest, key: SigningKey): SignedManifest {
  return { manifest, signature: signCanonical(manifest, key) };
}

/** Checks a signed manifest against the server's public key (base64url raw Ed25519). */
export function verifyManifest(doc: SignedManifest, publicKey: string): SignatureCheck {
  return verifyCanonical(doc.manifest, doc.signature as Signature, publicKey);
}

/** The content etag: the digest of the policy without serial and issuedAt (32 hex digits). */
export function policyEtag(policy: AgentPolicy): string {
  const { serial: _serial, issuedAt: _issuedAt, ...content } = policy;
  return canonicalDigest(content).slice(0, 32);
}

/** Server side: sign a built policy. */
export function signPolicy(policy: AgentPolicy, key: SigningKey): SignedPolicy {
  return { policy, signature: signCanonical(policy, key) };
}

export type PolicyVerification =
  | { ok: true; policy: AgentPolicy; etag: string }
  | { ok: false; reason: 'malformed' | 'unsupportedVersion' | Exclude<SignatureCheck, { ok: true }>['reason'] | 'manifestBadSignature'; detail?: string };

/**
 * Agent side: checks a received document (parsed JSON of unknown shape) against the server's public
 * key (base64url raw Ed25519, from enrollment). Checks shape, version, the policy signature and every
 * embedded manifest's signature. Never throws.
 */
export function verifyPolicy(doc: unknown, publicKey: string): PolicyVerification {
  const shape = checkPolicyShape(doc);
  if (!shape.ok) return shape;
  const { policy, signature } = shape.doc;
  const check = verifyCanonical(policy, signature, publicKey);
  if (!check.ok) return { ok: false, reason: check.reason };
  for (const pkg of policy.packages) {
    if (!verifyCanonical(pkg.manifest, pkg.signature, publicKey).ok) {
      return { ok: false, reason: 'manifestBadSignature', detail: pkg.manifest.id };
    }
  }
  return { ok: true, policy, etag: policyEtag(policy) };
}

export type PolicyUpdateDecision =
  | { kind: 'accept'; policy: AgentPolicy; etag: string }
  | { kind: 'unchanged'; etag: string }
  | { kind: 'reject'; reason: PolicyVerification extends infer V ? V extends { ok: false; reason: infer R } ? R | 'olderSerial' : never : never; detail?: string };

/**
 * Agent side: should a received document replace the one held? Verifies it, refuses an older serial
 * (a replayed document), and reports `unchanged` when the content etag is the same.
 */
export function decidePolicyUpdate(held: AgentPolicy | null, doc: unknown, publicKey: string): PolicyUpdateDecision {
  const v = verifyPolicy(doc, publicKey);
  if (!v.ok) return { kind: 'reject', reason: v.reason, detail: v.detail };
  if (held && v.policy.serial < held.serial) {
    return { kind: 'reject', reason: 'olderSerial', detail: `${v.policy.serial} < ${held.serial}` };
  }
  if (held && policyEtag(held) === v.etag) return { kind: 'unchanged', etag: v.etag };
  return { kind: 'accept', policy: v.policy, etag: v.etag };
}
