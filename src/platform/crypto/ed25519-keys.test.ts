// Goal: one key module takes every form the code passes around (KeyObject, raw bytes, base64url,
// PEM, a seed), agrees on the public key across forms, caches imported private keys, and refuses
// a key that is not Ed25519 with one line naming what it expected.
// Method: a generated pair and an RSA key, converted through every accepted form.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import {
  generateEd25519KeyPair, importPrivateKey, importPublicKey, keyIdOf, privateKeyFromSeed, publicKeyBase64url, rawPublicKey, toPrivateKey, toPublicKey,
} from './ed25519-keys.js';

test('every accepted form gives the same public key', () => {
  const pair = generateEd25519KeyPair();
  const raw = rawPublicKey(pair.publicKey);
  assert.equal(raw.length, 32);
  const spkiPem = importPublicKey(pair.publicKey).export({ format: 'pem', type: 'spki' }).toString();
  for (const form of [pair.publicKey, raw, spkiPem, importPrivateKey(pair.privateKeyPem), toPrivateKey(pair.privateKeyPem)]) {
    assert.equal(publicKeyBase64url(toPublicKey(form)), pair.publicKey);
  }
  assert.match(keyIdOf(pair.publicKey), /^[0-9a-f]{16}$/);
});

test('imported private keys are cached by their PEM; seeds are deterministic', () => {
  const pair = generateEd25519KeyPair();
  assert.equal(importPrivateKey(pair.privateKeyPem), importPrivateKey(pair.privateKeyPem));
  const seed = new Uint8Array(32).fill(7);
  assert.equal(publicKeyBase64url(privateKeyFromSeed(seed)), publicKeyBase64url(privateKeyFromSeed(seed)));
  assert.throws(() => privateKeyFromSeed(new Uint8Array(31)), /an Ed25519 seed is 32 bytes/);
});

test('keys that are not Ed25519 are refused with the expected form named', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  assert.throws(() => toPublicKey(rsa.publicKey), /expected an Ed25519 key, got rsa/);
  assert.throws(() => toPrivateKey(rsa.privateKey), /expected an Ed25519 private key \(PKCS#8 PEM or KeyObject\)/);
  assert.throws(() => toPublicKey(new Uint8Array(31)), /an Ed25519 public key is 32 raw bytes, not 31/);
  assert.throws(() => importPublicKey('not-a-key'));
});
