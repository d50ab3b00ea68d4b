/**
 * What an agent keeps about itself in its data directory (mode 0700, files 0600):
 *   identity.json        server URL, agent id and credential, the server's policy key (enrollment)
 *   agent-key.pem        the agent's own Ed25519 key (PKCS#8): signs its election announcements
 *   agent-certificate    the server's certificate for that key (base64url), renewed by status reports
 * All written with temp + fsync + rename. A damaged file is an error that says how to recover.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateEd25519KeyPair, importPrivateKey, publicKeyBase64url } from '../../platform/crypto/ed25519-keys.js';
import { writeFileAtomic } from '../state/atomic-file.js';

export interface AgentIdentity {
  serverUrl: string;
  agentId: string;
  agentToken: string;
  /** base64url raw Ed25519: verifies policies, manifests and agent certificates. */
  policyPublicKey: string;
  policyKeyId: string;
  enrolledAt: string;
}

export interface AgentStatePaths {
  dataDir: string;
  identity: string;
  key: string;
  certificate: string;
  policyCache: string;
  /** Served by TFTP/HTTP: packages and generated scripts. */
  bootRoot: string;
  /** Verified-file records of packages (outside the boot root, never served). */
  packageState: string;
}

export function agentStatePaths(dataDir: string): AgentStatePaths {
  return {
    dataDir,
    identity: join(dataDir, 'identity.json'),
    key: join(dataDir, 'agent-key.pem'),
    certificate: join(dataDir, 'agent-certificate'),
    policyCache: join(dataDir, 'policy.json'),
    bootRoot: join(dataDir, 'boot'),
    packageState: join(dataDir, 'packages'),
  };
}

export class AgentStateError extends Error {
  readonly code = 'PEERBOOT_ERR_AGENT_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'AgentStateError';
  }
}

/** The stored identity, or null before enrollment. */
export function loadIdentity(path: string): AgentIdentity | null {
  if (!existsSync(path)) return null;
  let v: Partial<AgentIdentity>;
  try {
    v = JSON.parse(readFileSync(path, 'utf8')) as Partial<AgentIdentity>;
  } catch (err) {
    throw new AgentStateError(`${path} is unreadable (${(err as Error).message}): delete it and start the agent with --token to enroll again`);
  }
  for (const k of ['serverUrl', 'agentId', 'agentToken', 'policyPublicKey', 'policyKeyId'] as const) {
    if (typeof v[k] !== 'string' || v[k]!.length === 0) {
      throw new AgentStateError(`${path} lacks "${k}": delete it and start the agent with --token to enroll again`);
    }
  }
  return v as AgentIdentity;
}

export function saveIdentity(path: string, identity: AgentIdentity): void {
  writeFileAtomic(path, JSON.stringify(identity, null, 2) + '\n', 0o600);
}

/** The agent's Ed25519 key: loaded, or created on first use. */
export function loadOrCreateAgentKey(path: string): { privateKeyPem: string; publicKey: string } {
  if (existsSync(path)) {
    const pem = readFileSync(path, 'utf8');
    try {
      const key = importPrivateKey(pem);
      if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`);
      return { privateKeyPem: pem, publicKey: publicKeyBase64url(key) };
    } catch (err) {
      throw new AgentStateError(`${path} is not an Ed25519 private key (${(err as Error).message}): delete it; the agent makes a new one and gets a new certificate`);
    }
  }
  const { privateKeyPem: pem, publicKey } = generateEd25519KeyPair();
  writeFileAtomic(path, pem, 0o600);
  return { privateKeyPem: pem, publicKey };
}

export function saveCertificate(path: string, base64url: string): void {
  writeFileAtomic(path, base64url + '\n', 0o600);
}
