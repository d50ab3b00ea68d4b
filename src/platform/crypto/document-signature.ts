/**
 * Ed25519 signatures over canonical JSON (RFC 8032 + RFC 8785): the server signs policies and package
 * manifests with one key; agents verify with the public key they received at enrollment. The shapes
 * (Signature, SigningKey, SignatureCheck) are the contract's (src/contract/signature.ts); the crypto
 * lives here so src/contract stays pure.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../../contract/canonical-json.js';
import type { Signature, SignatureCheck, SigningKey } from '../../contract/signature.js';
import { generateEd25519KeyPair, importPrivateKey, importPublicKey, keyIdOf } from './ed25519-keys.js';

/** Makes a fresh server signing key. */
export function generateSigningKey(): SigningKey {
  const { publicKey, privateKeyPem } = generateEd25519KeyPair();
  return { keyId: keyIdOf(publicKey), publicKey, privateKeyPem };
}

/** Signs canonicalJson(payload). */
export function signCanonical(payload: unknown, key: SigningKey): Signature {
  const value = sign(null, Buffer.from(canonicalJson(payload), 'utf8'), importPrivateKey(key.privateKeyPem)).toString('base64url');
  return { alg: 'Ed25519', keyId: key.keyId, value };
}

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
