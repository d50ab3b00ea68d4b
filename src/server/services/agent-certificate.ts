/**
 * Issues agent certificates (src/protocol/peer/agent-certificate.ts): the server's signed statement
 * "agent A of site S owns Ed25519 key K until T". Agents attach it to their election announcements
 * so peers can verify each other offline, with the policy key they got at enrollment
 * (docs/election.md "Security"). Issued to an authenticated agent for the key it presents, at
 * enrollment and with every status report (so a site change or a coming expiry is picked up
 * within a report interval); the server keeps no copy.
 */
import { sign } from 'node:crypto';
import { ServerError } from '../../contract/errors.js';
import type { SigningKey } from '../../contract/signature.js';
import { importPrivateKey } from '../../platform/crypto/ed25519-keys.js';
import { encodeAgentCertificate, encodeAgentCertificateToSign } from '../../protocol/peer/agent-certificate.js';

/** How long a certificate is valid: agents renew on every status report, so a long outage of the server is what this bounds. */
export const agentCertificateLifetimeMs = 30 * 24 * 60 * 60 * 1000;

/**
 * The certificate (base64url) for `agentId` at `siteId` and the raw Ed25519 public key
 * `publicKey` (base64url, 32 bytes), or a validation error naming `field`.
 */
export function issueAgentCertificate(signingKey: SigningKey, agentId: string, siteId: string, publicKey: string, nowMs: number, field: string): string {
  const raw = /^[A-Za-z0-9_-]{43}$/.test(publicKey) ? Buffer.from(publicKey, 'base64url') : null;
  if (!raw || raw.length !== 32) throw new ServerError('SERVER_ERR_VALIDATION', `${field} must be a raw Ed25519 public key (32 bytes, base64url)`, field);
  const key = importPrivateKey(signingKey.privateKeyPem);
  const fields = { agentId, siteId, publicKey: new Uint8Array(raw), notAfterMs: nowMs + agentCertificateLifetimeMs };
  const signature = sign(null, encodeAgentCertificateToSign(fields), key);
  return Buffer.from(encodeAgentCertificate(fields, new Uint8Array(signature))).toString('base64url');
}
