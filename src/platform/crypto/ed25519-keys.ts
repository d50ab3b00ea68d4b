/**
 * Ed25519 keys (RFC 8032, via node:crypto): the one place keys are made, imported and cached.
 * Public keys travel as base64url of the raw 32-byte key (the JWK `x` member, RFC 8037 §2); private
 * keys as PKCS#8 PEM. Imported private keys are cached by their PEM text, because the server signs
 * every policy, manifest and agent certificate with one key and importing it costs more than signing.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** A public key as any of: KeyObject (a private one gives its public half), 32 raw bytes, base64url raw, SPKI PEM. */
export type Ed25519PublicKeyInput = KeyObject | Uint8Array | string;
/** A private key as a KeyObject or PKCS#8 PEM. */
export type Ed25519PrivateKeyInput = KeyObject | string;

/** A key pair in portable forms. */
export interface Ed25519KeyPair {
  /** base64url raw public key (32 bytes). */
  publicKey: string;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
}

const SPKI_ED25519_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);
const PKCS8_ED25519_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);

/** Bound on cached private keys: a process holds one or two (its own, the server's); tests make many. */
const PRIVATE_KEY_CACHE_MAX = 256;
const privateKeyCache = new Map<string, KeyObject>();

/** Makes a fresh Ed25519 key pair. */
export function generateEd25519KeyPair(): Ed25519KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey: publicKey.export({ format: 'jwk' }).x as string, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

/** keyId of a base64url raw public key: the first 16 hex digits of SHA-256 over the raw key. */
export function keyIdOf(publicKey: string): string {
  return createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex').slice(0, 16);
}

/** Imports a base64url raw Ed25519 public key; throws on anything else. */
export function importPublicKey(publicKey: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
}

/** Imports a PKCS#8 PEM private key (of any type: callers check), cached by its text; throws on bad PEM. */
export function importPrivateKey(pem: string): KeyObject {
  let key = privateKeyCache.get(pem);
  if (!key) {
    key = createPrivateKey(pem);
    if (privateKeyCache.size >= PRIVATE_KEY_CACHE_MAX) privateKeyCache.clear();
    privateKeyCache.set(pem, key);
  }
  return key;
}

/** A public KeyObject from any accepted form; throws a one-line error naming the expected form. */
export function toPublicKey(input: Ed25519PublicKeyInput): KeyObject {
  let key: KeyObject;
  if (typeof input === 'string') {
    key = input.includes('-----BEGIN') ? createPublicKey(input) : importPublicKey(input);
  } else if (input instanceof Uint8Array) {
    if (input.length !== 32) throw new Error(`an Ed25519 public key is 32 raw bytes, not ${input.length}`);
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, input]), format: 'der', type: 'spki' });
  } else {
    key = input.type === 'private' ? createPublicKey(input) : input;
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType}`);
  return key;
}

/** A private KeyObject from a KeyObject or PKCS#8 PEM; throws unless it is an Ed25519 private key. */
export function toPrivateKey(input: Ed25519PrivateKeyInput): KeyObject {
  const key = typeof input === 'string' ? importPrivateKey(input) : input;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') throw new Error('expected an Ed25519 private key (PKCS#8 PEM or KeyObject)');
  return key;
}

/** An Ed25519 private key from a 32-byte seed (RFC 8032 §5.1.5): deterministic keys for simulations and tests. */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The base64url raw public key (RFC 8037 §2) of any accepted key form. */
export function publicKeyBase64url(key: Ed25519PublicKeyInput): string {
  return toPublicKey(key).export({ format: 'jwk' }).x as string;
}

/** The raw 32-byte public key. */
export function rawPublicKey(key: Ed25519PublicKeyInput): Uint8Array {
  return new Uint8Array(Buffer.from(publicKeyBase64url(key), 'base64url'));
}
