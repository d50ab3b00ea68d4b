/**
 * Authentication of chunk requests between agents. The requester sends its server-issued agent
 * certificate (src/protocol/peer/agent-certificate.ts) and an Ed25519 signature, by the key the
 * certificate names, over
 *
 *   "PBCR" 0x01 | method | 0x00 | path | 0x00 | timestampMs (decimal) | 0x00 | nonce (32 hex)
 *
 * in four headers (x-peerboot-certificate, x-peerboot-timestamp, x-peerboot-nonce,
 * x-peerboot-signature; base64url for bytes). The serving agent accepts the request only if the
 * certificate is signed by our server, is for our site and unexpired, the signature verifies, the
 * timestamp is within ±`windowMs` of its wall clock, and the nonce was not seen in that window
 * (replay). Content integrity does not rest on this: every chunk is checked against its SHA-256 by
 * the requester. Authentication keeps strangers on the LAN from pulling boot packages and makes
 * every request attributable to an enrolled agent.
 */
import { randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { toPrivateKey, toPublicKey, type Ed25519PrivateKeyInput, type Ed25519PublicKeyInput } from '../../platform/crypto/ed25519-keys.js';
import { CertificateCache } from '../peers/peer-crypto.js';

export const AUTH_HEADERS = {
  certificate: 'x-peerboot-certificate',
  timestamp: 'x-peerboot-timestamp',
  nonce: 'x-peerboot-nonce',
  signature: 'x-peerboot-signature',
} as const;

const PREFIX = Buffer.from('PBCR\x01', 'latin1');

/** The bytes a request signature covers. */
export function chunkRequestToSign(method: string, path: string, timestampMs: number, nonce: string): Buffer {
  return Buffer.concat([PREFIX, Buffer.from(`${method}\0${path}\0${timestampMs}\0${nonce}`, 'utf8')]);
}

export interface PeerIdentity {
  agentId: string;
  siteId: string;
  privateKey: Ed25519PrivateKeyInput;
  /** The server-issued agent certificate bytes. */
  certificate: Uint8Array;
}

/** Signs requests as this agent. */
export class ChunkRequestSigner {
  readonly #key: KeyObject;
  #certificate: string;

  constructor(identity: PeerIdentity, readonly wallClock: () => number = Date.now) {
    this.#key = toPrivateKey(identity.privateKey);
    this.#certificate = Buffer.from(identity.certificate).toString('base64url');
  }

  /** A renewed certificate (the server issues a fresh one with every status report). */
  setCertificate(certificate: Uint8Array): void {
    this.#certificate = Buffer.from(certificate).toString('base64url');
  }

  headers(method: string, path: string): Record<string, string> {
    const timestampMs = Math.floor(this.wallClock());
    const nonce = randomBytes(16).toString('hex');
    const signature = sign(null, chunkRequestToSign(method, path, timestampMs, nonce), this.#key).toString('base64url');
    return {
      [AUTH_HEADERS.certificate]: this.#certificate,
      [AUTH_HEADERS.timestamp]: String(timestampMs),
      [AUTH_HEADERS.nonce]: nonce,
      [AUTH_HEADERS.signature]: signature,
    };
  }
}

export type AuthRefusal = 'missing-headers' | 'malformed-certificate' | 'foreign-certificate' | 'foreign-site' | 'expired-certificate' | 'bad-signature' | 'stale-timestamp' | 'replayed';

export type AuthVerdict = { ok: true; agentId: string } | { ok: false; reason: AuthRefusal; detail: string };

export interface ChunkRequestVerifierOptions {
  serverPublicKey: Ed25519PublicKeyInput | readonly Ed25519PublicKeyInput[];
  siteId: string;
  wallClock?: () => number;
  /** Accepted clock difference either way. Default 60 s. */
  windowMs?: number;
  /** Bound on remembered nonces. Default 20,000. */
  noncesMax?: number;
}

/** Checks request headers on the serving side. Never throws. */
export class ChunkRequestVerifier {
  readonly #serverKeys: KeyObject[];
  readonly #siteId: string;
  readonly #wallClock: () => number;
  readonly #windowMs: number;
  readonly #noncesMax: number;
  readonly #certificates = new CertificateCache();
  /** nonce → wall time after which it may be forgotten. */
  readonly #nonces = new Map<string, number>();

  constructor(o: ChunkRequestVerifierOptions) {
    const keys = Array.isArray(o.serverPublicKey) ? o.serverPublicKey : [o.serverPublicKey];
    this.#serverKeys = keys.map((k: Ed25519PublicKeyInput) => toPublicKey(k));
    this.#siteId = o.siteId;
    this.#wallClock = o.wallClock ?? Date.now;
    this.#windowMs = o.windowMs ?? 60_000;
    this.#noncesMax = o.noncesMax ?? 20_000;
  }

  verify(method: string, path: string, headers: Record<string, string | string[] | undefined>): AuthVerdict {
    const h = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const certText = h(AUTH_HEADERS.certificate);
    const tsText = h(AUTH_HEADERS.timestamp);
    const nonce = h(AUTH_HEADERS.nonce);
    const sigText = h(AUTH_HEADERS.signature);
    if (!certText || !tsText || !nonce || !sigText) return { ok: false, reason: 'missing-headers', detail: 'x-peerboot-certificate, -timestamp, -nonce and -signature are required' };
    if (!/^\d{1,16}$/.test(tsText) || !/^[0-9a-f]{32}$/.test(nonce)) return { ok: false, reason: 'missing-headers', detail: 'timestamp or nonce malformed' };
    const now = this.#wallClock();
    const check = this.#certificates.check(Buffer.from(certText, 'base64url'), this.#serverKeys, this.#siteId, now);
    if (!check.ok) return { ok: false, reason: check.reason, detail: check.detail };
    const timestampMs = Number(tsText);
    if (Math.abs(now - timestampMs) > this.#windowMs) {
      return { ok: false, reason: 'stale-timestamp', detail: `request time differs from ours by ${Math.round((timestampMs - now) / 1000)} s; fix time synchronisation (NTP)` };
    }
    let good = false;
    try {
      good = verify(null, chunkRequestToSign(method, path, timestampMs, nonce), check.agentKey, Buffer.from(sigText, 'base64url'));
    } catch {
      good = false;
    }
    if (!good) return { ok: false, reason: 'bad-signature', detail: `signature of ${check.certificate.agentId} does not verify` };
    this.#forgetOldNonces(now);
    const key = `${check.certificate.agentId}|${nonce}`;
    if (this.#nonces.has(key)) return { ok: false, reason: 'replayed', detail: `nonce ${nonce} already used` };
    if (this.#nonces.size >= this.#noncesMax) {
      const oldest = this.#nonces.keys().next().value;
      if (oldest !== undefined) this.#nonces.delete(oldest);
    }
    this.#nonces.set(key, timestampMs + this.#windowMs);
    return { ok: true, agentId: check.certificate.agentId };
  }

  #forgetOldNonces(now: number): void {
    for (const [nonce, until] of this.#nonces) {
      if (until >= now) break;
      this.#nonces.delete(nonce);
    }
  }
}
