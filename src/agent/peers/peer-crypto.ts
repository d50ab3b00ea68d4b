/**
 * Ed25519 (RFC 8032, via node:crypto) between agents, for the election and the package swarm:
 * issuing and verifying agent certificates (src/protocol/peer/agent-certificate.ts), signing
 * announcements, and bounded memos of signature and certificate checks. Keys in any accepted form
 * (KeyObject, raw or base64url public key, PEM) are imported by src/platform/crypto/ed25519-keys.ts.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { toPrivateKey, toPublicKey, type Ed25519PrivateKeyInput } from '../../platform/crypto/ed25519-keys.js';
import {
  decodeAgentCertificate, encodeAgentCertificate, encodeAgentCertificateToSign,
  type AgentCertificate, type AgentCertificateFields,
} from '../../protocol/peer/agent-certificate.js';
import { encodeAnnouncementToSign, encodeSignedAnnouncement, type Announcement } from '../../protocol/peer/announcement.js';

/**
 * What the control plane does at enrollment: sign the certificate's to-be-signed bytes with the
 * server key. (The server may do the same with its own node:crypto code; this is the reference.)
 */
export function issueAgentCertificate(fields: AgentCertificateFields, serverPrivateKey: Ed25519PrivateKeyInput): Uint8Array {
  const signature = sign(null, encodeAgentCertificateToSign(fields), toPrivateKey(serverPrivateKey));
  return encodeAgentCertificate(fields, new Uint8Array(signature));
}

export type CertificateCheck =
  | { ok: true; certificate: AgentCertificate; agentKey: KeyObject }
  | { ok: false; reason: 'malformed-certificate' | 'foreign-certificate' | 'expired-certificate' | 'foreign-site'; detail: string };

/** Verifies a certificate against the server key(s), the expected site and the wall clock. */
export function verifyAgentCertificate(bytes: Uint8Array, serverKeys: readonly KeyObject[], siteId: string | null, nowWallMs: number): CertificateCheck {
  const decoded = decodeAgentCertificate(bytes);
  if (!decoded.ok) return { ok: false, reason: 'malformed-certificate', detail: decoded.reason };
  const cert = decoded.certificate;
  if (!serverKeys.some((k) => verify(null, cert.signedBytes, k, cert.serverSignature))) {
    return { ok: false, reason: 'foreign-certificate', detail: `certificate of ${cert.agentId} is not signed by our server` };
  }
  if (siteId !== null && cert.siteId !== siteId) return { ok: false, reason: 'foreign-site', detail: `certificate of ${cert.agentId} is for site ${cert.siteId}, we are ${siteId}` };
  if (nowWallMs >= cert.notAfterMs) return { ok: false, reason: 'expired-certificate', detail: `certificate of ${cert.agentId} expired at ${new Date(cert.notAfterMs).toISOString()}` };
  let agentKey: KeyObject;
  try {
    agentKey = toPublicKey(cert.publicKey);
  } catch (error) {
    return { ok: false, reason: 'malformed-certificate', detail: (error as Error).message };
  }
  return { ok: true, certificate: cert, agentKey };
}

/** The packet to broadcast: announcement + certificate, signed with the agent key. */
export function signAnnouncement(a: Announcement, certificate: Uint8Array, agentPrivateKey: KeyObject, cache?: SignatureCache, keyId = ''): Uint8Array {
  const signed = encodeAnnouncementToSign(a, certificate);
  const signature = cache ? cache.sign(signed, agentPrivateKey, keyId) : new Uint8Array(sign(null, signed, agentPrivateKey));
  return encodeSignedAnnouncement(signed, signature);
}

/**
 * Memo of Ed25519 results by exact bytes, bounded. Verification: a duplicated or replayed packet
 * costs a map lookup instead of a verification. Signing (off by default): Ed25519 is deterministic
 * (RFC 8032 §5.1.6), so a simulation that runs the same seed twice may share signatures. Sharing one
 * cache between the simulated agents of a test saves time without changing any result.
 */
export class SignatureCache {
  readonly #verified = new Map<string, boolean>();
  readonly #signed = new Map<string, Uint8Array>();
  readonly maxEntries: number;
  readonly memoizeSigning: boolean;

  constructor(options: { maxEntries?: number; memoizeSigning?: boolean } = {}) {
    this.maxEntries = options.maxEntries ?? 4096;
    this.memoizeSigning = options.memoizeSigning ?? false;
  }

  /** `keyId` must identify `key` (e.g. the raw public key in hex). */
  verify(data: Uint8Array, signature: Uint8Array, key: KeyObject, keyId: string): boolean {
    const id = `${keyId}:${Buffer.from(signature).toString('base64')}:${Buffer.from(data).toString('base64')}`;
    const hit = this.#verified.get(id);
    if (hit !== undefined) return hit;
    const ok = verify(null, data, key, signature);
    if (this.#verified.size >= this.maxEntries) this.#verified.clear();
    this.#verified.set(id, ok);
    return ok;
  }

  sign(data: Uint8Array, key: KeyObject, keyId: string): Uint8Array {
    if (!this.memoizeSigning) return new Uint8Array(sign(null, data, key));
    const id = `${keyId}:${Buffer.from(data).toString('base64')}`;
    let signature = this.#signed.get(id);
    if (!signature) {
      signature = new Uint8Array(sign(null, data, key));
      if (this.#signed.size >= this.maxEntries) this.#signed.clear();
      this.#signed.set(id, signature);
    }
    return signature;
  }
}

/** Certificates that already verified against the server key, by their bytes (bounded). Expiry and site are re-checked. */
export class CertificateCache {
  readonly #entries = new Map<string, CertificateCheck>();
  constructor(readonly maxEntries = 1024) {}

  check(bytes: Uint8Array, serverKeys: readonly KeyObject[], siteId: string | null, nowWallMs: number): CertificateCheck {
    const id = Buffer.from(bytes).toString('base64');
    let result = this.#entries.get(id);
    if (!result) {
      // Cache only the signature verdict; expiry depends on time.
      result = verifyAgentCertificate(bytes, serverKeys, null, -Infinity);
      if (this.#entries.size >= this.maxEntries) this.#entries.clear();
      this.#entries.set(id, result);
    }
    if (!result.ok) return result;
    const cert = result.certificate;
    if (siteId !== null && cert.siteId !== siteId) return { ok: false, reason: 'foreign-site', detail: `certificate of ${cert.agentId} is for site ${cert.siteId}, we are ${siteId}` };
    if (nowWallMs >= cert.notAfterMs) return { ok: false, reason: 'expired-certificate', detail: `certificate of ${cert.agentId} expired at ${new Date(cert.notAfterMs).toISOString()}` };
    return result;
  }
}
