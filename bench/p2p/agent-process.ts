/**
 * One lab agent: the real package swarm (src/agent/swarm/agent-package-swarm.ts) in its own
 * network namespace, with the identity, credential and certificate the lab's server issued. Prints
 * JSON lines on stdout for the orchestrator: `started`, `progress` (every progressEveryMs),
 * `ready` (every chunk verified; with assemble, every file too), `verified` (a full re-read of the
 * cache after ready), and `stats` when stopped with SIGTERM. Logs (JSON) go to stderr.
 *
 * Usage: node agent.mjs CONFIG.json
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../src/contract/client.js';
import type { SignedManifest } from '../../src/contract/manifest.js';
import { jsonLogger } from '../../src/platform/logger.js';
import { Counters } from '../../src/platform/counters.js';
import { openFsChunkStore } from '../../src/agent/content/fs-chunk-store.js';
import { startAgentPackageSwarm } from '../../src/agent/swarm/agent-package-swarm.js';
import type { WanPolicy } from '../../src/agent/wan/wan-shaper.js';
import type { LedbatConfig } from '../../src/agent/wan/ledbat.js';

export interface AgentProcessConfig {
  key: string;
  dataDir: string;
  serverUrl: string;
  agentId: string;
  siteId: string;
  agentToken: string;
  certificate: string;
  privateKeyPem: string;
  policyPublicKey: string;
  manifestPath: string;
  address: string;
  subnet: string;
  wan: WanPolicy;
  wanLedbat?: Partial<LedbatConfig>;
  weight: number;
  assemble: boolean;
  progressEveryMs: number;
  /** Start idle and want the package only after this many ms (an agent running before the package is enabled). */
  wantAfterMs?: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as AgentProcessConfig;
const emit = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, key: config.key, atMs: Date.now(), ...fields })}\n`);
const logger = jsonLogger({ minLevel: config.logLevel, write: (line) => process.stderr.write(line), base: { agent: config.key } });
const counters = new Counters();
const manifest = JSON.parse(readFileSync(config.manifestPath, 'utf8')) as SignedManifest;
let readyAt: number | null = null;

const packages = await startAgentPackageSwarm({
  dataDir: config.dataDir,
  ...(config.assemble ? { bootRoot: join(config.dataDir, 'boot'), packageStateDir: join(config.dataDir, 'packages') } : {}),
  identity: { agentId: config.agentId, siteId: config.siteId, privateKey: config.privateKeyPem, certificate: new Uint8Array(Buffer.from(config.certificate, 'base64url')) },
  serverPublicKey: config.policyPublicKey,
  server: new ApiClient({ baseUrl: config.serverUrl, token: config.agentToken }),
  lan: { address: config.address, subnet: config.subnet },
  wan: config.wan,
  wanLedbat: config.wanLedbat,
  weight: config.weight,
  logger,
  counters,
  onChange: () => checkReady(),
});
emit('started', { agentId: config.agentId });
const want = () => {
  const accepted = packages.setWanted([manifest]);
  emit('wanted');
  if (accepted.rejected.length > 0) emit('rejected', { rejected: accepted.rejected });
};
if (config.wantAfterMs) setTimeout(want, config.wantAfterMs);
else want();

function checkReady(): void {
  if (readyAt !== null || !packages.isReady(manifest.manifest.id)) return;
  readyAt = Date.now();
  const p = packages.progress();
  emit('ready', { bytesFromPeers: p.bytesFromPeers, bytesFromWan: p.bytesFromWan });
  void verifyAll();
}

async function verifyAll(): Promise<void> {
  // A full re-read of the cache, independent of the swarm: every chunk of the manifest present and verifying.
  const store = await openFsChunkStore(join(config.dataDir, 'chunk-cache'));
  let ok = 0;
  let bad = 0;
  for (const file of manifest.manifest.files) {
    const whole = createHash('sha256');
    for (const sha of file.chunks) {
      const r = await store.read(sha);
      if (r.kind === 'ok') { ok++; whole.update(r.bytes); } else bad++;
    }
    if (whole.digest('hex') !== file.sha256) bad++;
  }
  let filesOk: boolean | null = null;
  if (config.assemble) {
    filesOk = manifest.manifest.files.every((f) => {
      try {
        return createHash('sha256').update(readFileSync(join(config.dataDir, 'boot', 'p', manifest.manifest.id, f.path))).digest('hex') === f.sha256;
      } catch {
        return false;
      }
    });
  }
  emit('verified', { chunksOk: ok, chunksBad: bad, filesOk });
}

const timer = setInterval(() => {
  const p = packages.progress();
  emit('progress', { held: p.packages[0]?.chunksHeld ?? 0, total: p.packages[0]?.chunksTotal ?? 0, fromPeers: p.bytesFromPeers, fromWan: p.bytesFromWan, wanFetcher: p.packages[0]?.wanFetcher ?? false, rate: p.wan.rateBytesPerSecond, queuingMs: p.wan.ledbat?.queuingDelayMs ?? null, diskFull: p.diskFull, banned: p.bannedPeers.length });
  checkReady();
}, config.progressEveryMs);

process.once('SIGTERM', () => {
  clearInterval(timer);
  const p = packages.progress();
  emit('stats', { readyAtMs: readyAt, bytesFromPeers: p.bytesFromPeers, bytesFromWan: p.bytesFromWan, chunksFromPeers: p.chunksFromPeers, chunksFromWan: p.chunksFromWan, counters: counters.snapshot() });
  void packages.close().finally(() => process.exit(0));
});
