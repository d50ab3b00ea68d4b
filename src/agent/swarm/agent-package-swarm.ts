/**
 * What the agent daemon starts to hold its packages: the PackageSwarm wired to real I/O.
 *   <dataDir>/chunk-cache/     the verified chunk cache (src/agent/content/fs-chunk-store.ts)
 *   <dataDir>/peer-bans.json   neighbours banned for serving wrong bytes (kept across restarts)
 *   <dataDir>/wan-base-delay.json  LEDBAT's base-delay history (src/agent/wan/ledbat.ts), so a
 *                              restarted agent still knows the WAN's empty-queue delay
 *   UDP <havePort> (4016)      have messages, to the LAN's directed broadcast
 *   TCP <chunkPort> (4017)     the chunk server for neighbours (authenticated, manifest-checked)
 *   WAN                        `GET /api/v1/agent/chunks/:sha256` with the agent's credential,
 *                              shaped by the site cap / LEDBAT (src/agent/wan)
 * With `bootRoot` (and `packageStateDir`), every package is also assembled into the boot root,
 * file by file, from verified chunks (src/agent/content/package-sync.ts), and is ready only when
 * every file verified too.
 *
 * Usage from src/agent/agent.ts:
 *   const packages = await startAgentPackageSwarm({ dataDir, bootRoot, packageStateDir, identity,
 *     serverPublicKey: identity.policyPublicKey, server: apiClient, lan: { address, subnet },
 *     wan: { capBytesPerSecond: null, adaptive: true }, weight, onChange });
 *   packages.setWanted(policy.packages);       // the policy's SignedManifest[]
 *   packages.readiness();                      // → AgentStatusReport.packages
 *   packages.readyIds();                       // → election SelfInfo.readyPackages
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient } from '../../contract/client.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { CHUNK_HAVE_PORT } from '../../protocol/peer/chunk-have.js';
import { openFsChunkStore } from '../content/fs-chunk-store.js';
import { PackageSync } from '../content/package-sync.js';
import { openBroadcastSocket } from '../../platform/broadcast-socket.js';
import { directedBroadcast } from '../../protocol/ipv4.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { createWanChunkSource } from '../wan/wan-chunk-source.js';
import type { LedbatConfig } from '../wan/ledbat.js';
import { UNLIMITED_WAN, WanShaper, type WanPolicy } from '../wan/wan-shaper.js';
import type { SchedulerConfig } from './fetch-scheduler.js';
import { ChunkRequestSigner, ChunkRequestVerifier, type PeerIdentity } from './peer-auth.js';
import { createPeerChunkClient } from './peer-chunk-client.js';
import { PEER_CHUNK_PORT, startPeerChunkServer, type PeerChunkServer } from './peer-chunk-server.js';
import { PackageSwarm, type HaveTransport } from './package-swarm.js';

export interface AgentPackageSwarmOptions {
  dataDir: string;
  /** Assemble packages into this boot root (p/<packageId>/<path>); omit to keep chunks only. */
  bootRoot?: string;
  /** Verified-file records (outside the boot root); required with bootRoot. */
  packageStateDir?: string;
  identity: PeerIdentity;
  serverPublicKey: string;
  server: ApiClient;
  lan: {
    /** Our IPv4 address on the LAN (the chunk server binds it; neighbours connect to it). */
    address: string;
    /** a.b.c.d/len of that LAN (for the directed broadcast). */
    subnet: string;
    havePort?: number;
    chunkPort?: number;
    /** Optional LAN upload cap (bytes/s); unthrottled by default. */
    capBytesPerSecond?: number | null;
  };
  wan?: WanPolicy;
  /** LEDBAT tuning (tests and benches; the defaults follow RFC 6817). */
  wanLedbat?: Partial<LedbatConfig>;
  weight?: number;
  scheduler?: Partial<SchedulerConfig>;
  clock?: Clock;
  logger?: Logger;
  counters?: Counters;
  onChange?: () => void;
}

export interface AgentPackageSwarm {
  readonly swarm: PackageSwarm;
  readonly chunkServer: PeerChunkServer;
  setWanted: PackageSwarm['setWanted'];
  readiness: PackageSwarm['readiness'];
  readyIds: PackageSwarm['readyIds'];
  isReady: PackageSwarm['isReady'];
  progress: PackageSwarm['progress'];
  /** A renewed agent certificate (from a status report): used for have messages and chunk requests. */
  setCertificate(certificate: Uint8Array): void;
  /** The election weight changed (it ranks the site's WAN fetcher too). */
  setWeight(weight: number): void;
  /** The site's WAN settings changed (signed policy); throws RangeError on values the shaper refuses. */
  setWanPolicy(policy: WanPolicy): void;
  close(): Promise<void>;
}

/** The LAN broadcast socket (src/platform/broadcast-socket.ts) on the have port. */
export async function openHaveTransport(o: { port: number; broadcastAddress: string; onSendError?: (e: Error) => void }): Promise<HaveTransport> {
  return openBroadcastSocket({
    port: o.port, broadcastAddress: o.broadcastAddress, ...(o.onSendError ? { onSendError: o.onSendError } : {}), purpose: 'package have messages',
    whenInUse: 'free the port or choose another with --have-port (the same on every agent)',
  });
}

export async function startAgentPackageSwarm(o: AgentPackageSwarmOptions): Promise<AgentPackageSwarm> {
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? silentLogger;
  const counters = o.counters ?? new Counters();
  const store = await openFsChunkStore(join(o.dataDir, 'chunk-cache'));
  if (store.tempFilesRemoved > 0) logger.info('removed partial chunk writes left by an interrupted run', { files: store.tempFilesRemoved });
  const shaper = new WanShaper(o.wan ?? UNLIMITED_WAN, clock, o.wanLedbat);
  const historyPath = join(o.dataDir, 'wan-base-delay.json');
  const wallNow = () => Date.now();
  try {
    const saved = JSON.parse(readFileSync(historyPath, 'utf8')) as Array<{ atWallMs: number; minMs: number }>;
    if (Array.isArray(saved)) shaper.seedBaseHistory(saved.map((e) => ({ ageMs: wallNow() - Number(e.atWallMs), minMs: Number(e.minMs) })));
  } catch {
    // No history yet.
  }
  const saveHistory = () => {
    const entries = shaper.baseHistory();
    if (entries.length === 0) return;
    try {
      writeFileAtomic(historyPath, JSON.stringify(entries.map((e) => ({ atWallMs: wallNow() - e.ageMs, minMs: e.minMs }))), 0o600);
    } catch (error) {
      logger.debug('could not save the WAN base-delay history', { error: (error as Error).message });
    }
  };
  const historyTimer = setInterval(saveHistory, 30_000);
  historyTimer.unref();
  const wan = createWanChunkSource({ client: o.server, shaper, clock, counters });
  const signer = new ChunkRequestSigner(o.identity);
  const peers = createPeerChunkClient({ signer });
  const have = await openHaveTransport({
    port: o.lan.havePort ?? CHUNK_HAVE_PORT,
    broadcastAddress: directedBroadcast(o.lan.subnet),
    onSendError: (error) => { counters.increment('swarm_have_send_errors_total'); logger.debug('have send failed', { error: error.message }); },
  });
  let swarm: PackageSwarm | null = null;
  let chunkServer: PeerChunkServer | null = null;
  try {
    const chunkPort = o.lan.chunkPort ?? PEER_CHUNK_PORT;
    swarm = await PackageSwarm.start({
      identity: o.identity, address: o.lan.address, chunkPort, serverPublicKey: o.serverPublicKey, store, wan, peers, have,
      wanShaper: shaper, weight: o.weight, clock, logger, counters, scheduler: o.scheduler, bansPath: join(o.dataDir, 'peer-bans.json'),
      onChange: o.onChange,
    });
    const s = swarm;
    chunkServer = await startPeerChunkServer({
      host: o.lan.address, port: chunkPort,
      verifier: new ChunkRequestVerifier({ serverPublicKey: o.serverPublicKey, siteId: o.identity.siteId }),
      isInManifest: (sha) => s.isInManifest(sha),
      read: (sha) => store.read(sha),
      onCorrupt: (sha) => s.chunkLost(sha),
      lanCapBytesPerSecond: o.lan.capBytesPerSecond ?? null,
      clock, logger, counters,
    });
    if (o.bootRoot) {
      if (!o.packageStateDir) throw new Error('packageStateDir is required with bootRoot');
      s.attachAssembler(new PackageSync({
        bootRoot: o.bootRoot, stateDir: o.packageStateDir, fetchChunk: (sha) => s.waitForChunk(sha), clock, logger, counters,
        onChange: () => o.onChange?.(),
      }));
    }
  } catch (error) {
    clearInterval(historyTimer);
    await swarm?.close();
    if (!swarm) await have.close();
    peers.close();
    wan.close();
    throw error;
  }
  const s = swarm;
  const server = chunkServer!;
  return {
    swarm: s,
    chunkServer: server,
    setWanted: (m) => s.setWanted(m),
    readiness: () => s.readiness(),
    readyIds: () => s.readyIds(),
    isReady: (id) => s.isReady(id),
    progress: () => s.progress(),
    setCertificate(certificate) {
      s.setCertificate(certificate);
      signer.setCertificate(certificate);
    },
    setWeight: (weight) => s.setWeight(weight),
    setWanPolicy: (policy) => shaper.setPolicy(policy),
    async close() {
      clearInterval(historyTimer);
      saveHistory();
      await s.close();
      await server.close();
      peers.close();
      wan.close();
    },
  };
}
