/**
 * Ed25519 (RFC 8032, via node:crypto) for the election: issuing and verifying agent certificates
 * (src/protocol/peer/agent-certificate.ts) and signing/verifying announcements. Keys are accepted as
 * KeyObjects, raw 32-byte public keys, base64url raw public keys (the contract's form, RFC 8037 §2)
 * or PEM (PKCS#8 private / SPKI public).
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import {
  decodeAgentCertificate, encodeAgentCertificate, encodeAgentCertificateToSign,
  type AgentCertificate, type AgentCertificateFields,
} from '../../protocol/peer/agent-certificate.js';
import { encodeAnnouncementToSign, encodeSignedAnnouncement, type Announcement } from '../../protocol/peer/announcement.js';

export type Ed25519PublicKeyInput = KeyObject | Uint8Array | string;
export type Ed25519PrivateKeyInput = KeyObject | string;

const SPKI_ED25519_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);
const PKCS8_ED25519_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);

/** A public KeyObject from any accepted form; throws a one-line error naming the expected form. */
export function toPublicKey(input: Ed25519PublicKeyInput): KeyObject {
  let key: KeyObject;
  if (typeof input === 'string') {
    key = input.includes('-----BEGIN') ? createPublicKey(input) : createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: input }, format: 'jwk' });
  } else if (input instanceof Uint8Array) {
    if (input.length !== 32) throw new Error(`an Ed25519 public key is 32 raw bytes, not ${input.length}`);
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, input]), format: 'der', type: 'spki' });
  } else {
    key = input.type === 'private' ? createPublicKey(input) : input;
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType}`);
  return key;
}

export function toPrivateKey(input: Ed25519PrivateKeyInput): KeyObject {
  const key = typeof input === 'string' ? createPrivateKey(input) : input;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') throw new Error('expected an Ed25519 private key (PKCS#8 PEM or KeyObject)');
  return key;
}

/** An Ed25519 private key from a 32-byte seed (RFC 8032 §5.1.5): deterministic keys for simulations and tests. */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The raw 32-byte public key. */
export function rawPublicKey(key: Ed25519PublicKeyInput | KeyObject): Uint8Array {
  const jwk = toPublicKey(key).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
}

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
