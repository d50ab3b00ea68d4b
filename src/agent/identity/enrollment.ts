/**
 * The agent's identity with the control plane: the one stored in the data directory, or a new one
 * from enrolling with the configured server and token (retrying while the server is unreachable;
 * a refusal is final and names the fix). A server URL changed since enrollment is followed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ApiClient } from '../../contract/client.js';
import type { PeerbootErrorCode } from '../../contract/error-codes.js';
import { ensurePrivateDirectory } from '../../platform/private-files.js';
import type { AgentInterface } from '../../contract/schemas.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { AgentConfig } from '../config/agent-config.js';
import { describeFetchError } from '../policy/policy-sync.js';
import {
  agentStatePaths, loadIdentity, loadOrCreateAgentKey, saveCertificate, saveIdentity, type AgentIdentity, type AgentStatePaths,
} from './agent-identity.js';

/** What enrolling needs of the agent's dependencies. */
export interface EnrollmentDeps {
  config: AgentConfig;
  hostname: string;
  version: string;
  interfaces: () => AgentInterface[];
  clock: Clock;
  wallClock: () => number;
  fetch?: typeof fetch;
}

/** The agent cannot start (not enrolled, enrollment refused): one line naming the fix. */
export class AgentStartError extends Error {
  constructor(message: string, readonly code: PeerbootErrorCode) {
    super(message);
    this.name = 'AgentStartError';
  }
}

const sleep = (clock: Clock, ms: number) => new Promise<void>((resolve) => clock.setTimer(ms, resolve));

/** Loads the identity, or enrolls (retrying while the server is unreachable). */
export async function ensureIdentity(deps: EnrollmentDeps, paths: AgentStatePaths, publicKey: string, log: Logger): Promise<{ identity: AgentIdentity; certificate: string | null }> {
  const { config } = deps;
  const stored = loadIdentity(paths.identity);
  if (stored) {
    if (config.serverUrl && config.serverUrl !== stored.serverUrl) {
      log.warn('server URL changed since enrollment; using the configured one', { enrolledWith: stored.serverUrl, configured: config.serverUrl });
      const moved = { ...stored, serverUrl: config.serverUrl };
      saveIdentity(paths.identity, moved);
      return { identity: moved, certificate: null };
    }
    if (config.enrollmentToken) log.info('already enrolled; the enrollment token is not needed any more', { agentId: stored.agentId });
    return { identity: stored, certificate: null };
  }
  if (!config.serverUrl) throw new AgentStartError('not enrolled yet: pass --server URL and --token TOKEN (peerboot admin creates enrollment tokens)', 'PEERBOOT_ERR_NOT_ENROLLED');
  if (!config.enrollmentToken) throw new AgentStartError(`not enrolled yet: pass --token TOKEN to enroll with ${config.serverUrl} (create one with 'peerboot admin enrollment-token')`, 'PEERBOOT_ERR_NOT_ENROLLED');
  const anonymous = new ApiClient({ baseUrl: config.serverUrl, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await anonymous.call('enroll', {
        body: {
          token: config.enrollmentToken, hostname: deps.hostname, version: deps.version, interfaces: deps.interfaces(),
          agentPublicKey: publicKey, ...(Object.keys(config.labels).length ? { labels: config.labels } : {}),
        },
      });
      const identity: AgentIdentity = {
        serverUrl: config.serverUrl, agentId: r.agentId, agentToken: r.agentToken, policyPublicKey: r.policyPublicKey,
        policyKeyId: r.policyKeyId, enrolledAt: new Date(deps.wallClock()).toISOString(),
      };
      saveIdentity(paths.identity, identity);
      log.info('enrolled', { agentId: r.agentId, siteId: r.siteId, server: config.serverUrl });
      return { identity, certificate: r.agentCertificate ?? null };
    } catch (err) {
      const e = err as { status?: number; code?: string; message: string };
      if (e.status !== undefined && e.status >= 400 && e.status < 500) {
        throw new AgentStartError(`enrollment refused by ${config.serverUrl}: ${e.message}; create a new token with 'peerboot admin enrollment-token'`, 'PEERBOOT_ERR_ENROLLMENT_REFUSED');
      }
      if (attempt === 0) log.warn(`cannot reach the server to enroll (${describeFetchError(err)}); retrying`, { server: config.serverUrl });
      await sleep(deps.clock, Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5)));
    }
  }
}


/**
 * The agent's key, identity and newest certificate at start: the data directory is created (0700),
 * the key loaded or made, the identity loaded or enrolled; a certificate from enrollment is stored.
 */
export async function startIdentity(deps: EnrollmentDeps, dataDir: string, log: Logger) {
  const paths = agentStatePaths(dataDir);
  ensurePrivateDirectory(paths.dataDir, 'the agent data directory');
  const key = loadOrCreateAgentKey(paths.key);
  const { identity, certificate: enrolled } = await ensureIdentity(deps, paths, key.publicKey, log);
  if (enrolled) saveCertificate(paths.certificate, enrolled);
  const certificate = enrolled ?? (existsSync(paths.certificate) ? readFileSync(paths.certificate, 'utf8').trim() : null);
  return { paths, key, identity, certificate };
}
