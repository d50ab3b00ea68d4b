/**
 * Ed25519 signatures over canonical JSON (RFC 8032 + RFC 8785). The server signs policies and package
 * manifests with one key; agents verify with the public key they received at enrollment. Keys travel
 * as base64url of the raw 32-byte public key (the JWK `x` member, RFC 8037 §2).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

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

/** Makes a fresh Ed25519 key pair. */
export function generateSigningKey(): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x as string;
  return { keyId: keyIdOf(x), publicKey: x, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

/** keyId for a base64url raw public key. */
export function keyIdOf(publicKey: string): string {
  return createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex').slice(0, 16);
}

/** Imports a base64url raw Ed25519 public key; throws on anything else. */
export function importPublicKey(publicKey: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
}

const privateKeyCache = new Map<string, KeyObject>();

/** Signs canonicalJson(payload). */
export function signCanonical(payload: unknown, key: SigningKey): Signature {
  let pk = privateKeyCache.get(key.privateKeyPem);
  if (!pk) { pk = createPrivateKey(key.privateKeyPem); privateKeyCache.set(key.privateKeyPem, pk); }
  const value = sign(null, Buffer.from(canonicalJson(payload), 'utf8'), pk).toString('base64url');
  return { alg: 'Ed25519', keyId: key.keyId, value };
}

/** Why a signature was refused; `ok` when it verifies. */
export type SignatureCheck = { ok: true } | { ok: false; reason: 'badAlgorithm' | 'unknownKey' | 'badSignature' | 'badPublicKey' };

/** Verifies `signature` over canonicalJson(payload) with a base64url raw public key. Never throws. */
export function verifyCanonical(payload: unknown, signature: Signature, publicKey: string): SignatureCheck {
  if (signature?.alg !== 'Ed25519') return { ok: false, reason: 'badAlgorithm' };
  let key: KeyObject;
  try { key = importPublicKey(publicKey); } catch { return { ok: false, reason: 'badPublicKey' }; }
  if (signature.keyId !== keyIdOf(publicKey)) return { ok: false, reason: 'unknownKey' };
  try {
    const bytes = Buffer.from(canonicalJson(payload), 'utf8');
    return verify(null, bytes, key, Buffer.from(String(signature.value), 'base64url')) ? { ok: true } : { ok: false, reason: 'badSignature' };
  } catch {
    return { ok: false, reason: 'badSignature' };
  }
}

/** SHA-256 hex of canonicalJson(value): content etags. */
export function canonicalDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
