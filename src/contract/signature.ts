/**
 * The shapes of Ed25519 signatures over canonical JSON (RFC 8032 + RFC 8785): the server signs
 * policies and package manifests with one key; agents verify with the public key they received at
 * enrollment. Keys travel as base64url of the raw 32-byte public key (the JWK `x` member, RFC 8037 §2).
 * Pure shapes only: signing and verifying live in src/platform/crypto/document-signature.ts.
 */

/** A detached signature as it travels beside the signed payload. */
export interface Signature {
  alg: 'Ed25519';
  /** First 16 hex digits of SHA-256 over the raw public key: lets a verifier pick a key after rotation. */
  keyId: string;
  /** base64url of the 64-byte signature over canonicalJson(payload). */
  value: string;
}

/** The server's signing key pair, in portable forms. */
export interface SigningKey {
  keyId: string;
  /** base64url raw public key (32 bytes). */
  publicKey: string;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
}

/** Why a signature was refused; `ok` when it verifies. */
export type SignatureCheck = { ok: true } | { ok: false; reason: 'badAlgorithm' | 'unknownKey' | 'badSignature' | 'badPublicKey' };
