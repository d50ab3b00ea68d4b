/**
 * Which agent certificate the election should run with. The server issues the certificate (at
 * enrollment, renewed in status answers); the election announces it to the LAN peers, which check
 * the server's signature, the site and the expiry. A new certificate restarts the election only
 * when it matters: another site or agent, or a renewal once the running one has less than a week
 * left. Pure: certificates come in as their base64url text.
 */
import { decodeAgentCertificate, type AgentCertificate } from '../../protocol/peer/agent-certificate.js';

/** A renewal takes over once the running certificate has less than this left. */
export const RENEW_WITHIN_MS = 7 * 24 * 3600_000;

/** The certificate's fields, or null when the text is not a certificate. */
export function certificateFacts(base64url: string): AgentCertificate | null {
  const d = decodeAgentCertificate(new Uint8Array(Buffer.from(base64url, 'base64url')));
  return d.ok ? d.certificate : null;
}

export type ElectionCertificate =
  | { certificate: string; change: 'keep' | 'start' | 'renewal' | 'siteChanged' }
  | { certificate: null; change: 'none' | 'expired'; notAfterMs?: number }
  | { certificate: string | null; change: 'unreadable' };

/**
 * `stored`: the newest certificate the agent holds; `running`: the one the election runs with now.
 * `unreadable` keeps the running one (if any) until the server sends a good one.
 */
export function electionCertificate(stored: string | null, running: string | null, wallMs: number): ElectionCertificate {
  if (stored === null) return running ? { certificate: running, change: 'keep' } : { certificate: null, change: 'none' };
  const facts = certificateFacts(stored);
  if (!facts) return { certificate: running, change: 'unreadable' };
  const current = running ? certificateFacts(running) : null;
  if (running && current) {
    const sameSite = current.siteId === facts.siteId && current.agentId === facts.agentId;
    const renewDue = current.notAfterMs - wallMs < RENEW_WITHIN_MS && facts.notAfterMs > current.notAfterMs;
    if (sameSite && !renewDue) return { certificate: running, change: 'keep' };
    if (wallMs >= facts.notAfterMs) return { certificate: null, change: 'expired', notAfterMs: facts.notAfterMs };
    return { certificate: stored, change: sameSite ? 'renewal' : 'siteChanged' };
  }
  if (wallMs >= facts.notAfterMs) return { certificate: null, change: 'expired', notAfterMs: facts.notAfterMs };
  return { certificate: stored, change: 'start' };
}
