/**
 * Drives the control plane through its public API, as an admin would: log in, create an
 * enrollment token, make a subnet's agents responders (Enable), import a package for a boot
 * profile, add a known machine with a deployment. Used by `peerboot demo --branch` and the agent
 * system tests; the server is real (a `peerboot server` process or an in-process startServer).
 */
import { createHash } from 'node:crypto';
import { ApiClient } from '../contract/client.js';
import { parseCredentialFile } from '../contract/credential-file.js';
import { chunkSizeBytes } from '../contract/manifest.js';
import type { BootProfileCreate, PxeSettingsUpdate } from '../contract/schemas.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** An admin client logged in with username + password. */
export async function adminClient(baseUrl: string, creds: { username: string; password: string }, fetchImpl?: typeof fetch): Promise<ApiClient> {
  const client = new ApiClient({ baseUrl, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
  const login = await client.call('login', { body: creds });
  client.token = login.token;
  return client;
}

/** Reads `username: …` / `password: …` from the server's initial-admin.txt. */
export function parseInitialAdmin(text: string): { username: string; password: string } {
  const creds = parseCredentialFile(text);
  if (!creds?.username) throw new Error('initial-admin.txt has no credentials');
  return { username: creds.username, password: creds.password };
}

export async function enrollmentToken(admin: ApiClient, name = 'test agents'): Promise<string> {
  return (await admin.call('createEnrollmentToken', { body: { name, usesMax: 100 } })).token;
}

/** Uploads files as chunks and records a package for `profile` (created here); returns ids. */
export async function importProfilePackage(
  admin: ApiClient, profile: BootProfileCreate, files: Record<string, Uint8Array>,
): Promise<{ profileId: string; packageId: string }> {
  const created = await admin.call('createProfile', { body: profile });
  const entries = [];
  for (const [path, bytes] of Object.entries(files)) {
    const chunks: string[] = [];
    for (let off = 0; off < bytes.length; off += chunkSizeBytes) {
      const part = bytes.subarray(off, off + chunkSizeBytes);
      const h = sha(part);
      await admin.call('putChunk', { params: { sha256: h }, body: part });
      chunks.push(h);
    }
    entries.push({ path, sizeBytes: bytes.length, sha256: sha(bytes), chunks });
  }
  const pkg = await admin.call('createPackage', { body: { name: profile.name, profileId: created.id, files: entries } });
  return { profileId: created.id, packageId: pkg.manifest.id };
}

/** Makes every agent on `cidr` a responder and turns P2P PXE on. */
export async function enableSubnet(admin: ApiClient, cidr: string, settings: Partial<PxeSettingsUpdate> = {}): Promise<string> {
  const collection = await admin.call('createCollection', { body: { name: `agents on ${cidr}`, memberKind: 'agent', rules: [{ kind: 'subnet', cidr }] } });
  await admin.call('putPxeSettings', {
    body: {
      enabled: true, targetCollectionIds: [collection.id], unknownComputers: { enabled: false, profileId: null }, ...settings,
    },
  });
  return collection.id;
}

/** A known machine with a required deployment of `profileId` (through a one-machine collection). */
export async function deployToMachine(admin: ApiClient, machine: { mac?: string; smbiosUuid?: string; name: string }, profileId: string): Promise<string> {
  const m = await admin.call('createMachine', { body: { name: machine.name, mac: machine.mac ?? null, smbiosUuid: machine.smbiosUuid ?? null } });
  const c = await admin.call('createCollection', { body: { name: `machine ${machine.name}`, memberKind: 'machine', members: [m.id] } });
  await admin.call('createDeployment', { body: { name: `deploy ${machine.name}`, profileId, collectionId: c.id, intent: 'required' } });
  return m.id;
}
