/**
 * Runs inside the lab's HQ namespace, next to a real `peerboot server`: logs in as the initial
 * admin, enrolls the lab's agents through the agent API (each with its own Ed25519 public key, so
 * the server issues its agent certificate and assigns its site from its subnet), imports the test
 * package through the admin API (chunks + createPackage, which signs the manifest with the
 * server's key), and writes what the agents need to a JSON file.
 *
 * Usage: node --import tsx bench/p2p/hq-setup.ts SPEC.json
 *   SPEC: { serverUrl, serverDataDir, out, agents: [{ key, publicKey, address, mac }],
 *           package: { name, sizeBytes, seed, path } }
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { ApiClient } from '../../src/contract/client.js';
import type { SignedManifest } from '../../src/contract/manifest.js';
import { fixtureBytes } from '../../src/agent/content/manifest-fixture.js';

interface Spec {
  serverUrl: string;
  serverDataDir: string;
  out: string;
  agents: Array<{ key: string; publicKey: string; address: string; mac: string }>;
  package: { name: string; sizeBytes: number; seed: number; path: string };
}

export interface HqSetupResult {
  policyPublicKey: string;
  manifest: SignedManifest;
  packageBytes: number;
  agents: Array<{ key: string; agentId: string; agentToken: string; siteId: string | null; agentCertificate: string | null }>;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Spec;
const anonymous = new ApiClient({ baseUrl: spec.serverUrl });
for (let i = 0; ; i++) {
  try { await anonymous.call('health', {}); break; } catch (error) {
    if (i > 300) throw new Error(`server at ${spec.serverUrl} never answered: ${(error as Error).message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const adminText = readFileSync(`${spec.serverDataDir}/initial-admin.txt`, 'utf8');
const username = /username: (\S+)/.exec(adminText)![1]!;
const password = /password: (\S+)/.exec(adminText)![1]!;
const login = await anonymous.call('login', { body: { username, password } });
const admin = new ApiClient({ baseUrl: spec.serverUrl, token: login.token });

const enrollment = await admin.call('createEnrollmentToken', { body: { name: 'p2p-lab', usesMax: spec.agents.length } });
const agents: HqSetupResult['agents'] = [];
let policyPublicKey = '';
for (const a of spec.agents) {
  const r = await anonymous.call('enroll', {
    body: { token: enrollment.token, hostname: a.key, version: 'p2p-lab', interfaces: [{ name: 'eth0', mac: a.mac, addresses: [a.address] }], agentPublicKey: a.publicKey },
  });
  policyPublicKey = r.policyPublicKey;
  agents.push({ key: a.key, agentId: r.agentId, agentToken: r.agentToken, siteId: r.siteId, agentCertificate: r.agentCertificate ?? null });
}

const bytes = fixtureBytes(spec.package.sizeBytes, spec.package.seed);
const CHUNK = 1024 * 1024;
const chunks: string[] = [];
for (let off = 0; off < bytes.byteLength; off += CHUNK) chunks.push(createHash('sha256').update(bytes.subarray(off, Math.min(off + CHUNK, bytes.byteLength))).digest('hex'));
const missing = new Set((await admin.call('findMissingChunks', { body: { sha256s: chunks } })).missing);
let next = 0;
const upload = async () => {
  while (next < chunks.length) {
    const i = next++;
    if (!missing.has(chunks[i]!)) continue;
    await admin.call('putChunk', { params: { sha256: chunks[i]! }, body: bytes.subarray(i * CHUNK, Math.min((i + 1) * CHUNK, bytes.byteLength)) });
  }
};
await Promise.all([upload(), upload(), upload(), upload()]);
const manifest = await admin.call('createPackage', {
  body: { name: spec.package.name, files: [{ path: spec.package.path, sizeBytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex'), chunks }] },
});
const result: HqSetupResult = { policyPublicKey, manifest, packageBytes: bytes.byteLength, agents };
writeFileSync(spec.out, JSON.stringify(result));
process.stdout.write(`${JSON.stringify({ event: 'hq-ready', agents: agents.length, chunks: chunks.length })}\n`);
