/**
 * The packages of a running agent: peer first, WAN once (a site's WAN link carries each package once
 * and the LAN peers share it). Owns the agent's package swarm (./agent-package-swarm.ts) across the
 * agent's life:
 *   - it starts once the agent holds a certificate (the swarm signs its have messages and chunk
 *     requests with it; peers check it against the server key and the site);
 *   - a renewed certificate is handed to the running swarm; one naming another site restarts it
 *     (the chunk cache on disk stays, so nothing is fetched twice);
 *   - the site's WAN settings from the signed policy (`policy.site.wan`) go to the WAN shaper;
 *   - what the swarm says about its packages (ready, a manifest rejected, a neighbour banned for bad
 *     bytes, disk full) becomes boot events for the server, once per change.
 * If the swarm cannot start (its UDP/TCP ports are taken), the agent is not left without packages:
 * it falls back to fetching every chunk from the server (../content/package-sync.ts), says so at
 * error level, and retries the swarm every minute.
 */
import type { SignedManifest } from '../../contract/manifest.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import type { Counters } from '../../platform/counters.js';
import type { Logger } from '../../platform/logger.js';
import type { ApiClient } from '../../contract/client.js';
import { defaultSiteWan } from '../../contract/schemas.js';
import { decodeAgentCertificate } from '../../protocol/peer/agent-certificate.js';
import { PackageSync, type PackageReadiness } from '../content/package-sync.js';
import type { WanPolicy } from '../wan/wan-shaper.js';
import { startAgentPackageSwarm, type AgentPackageSwarm } from './agent-package-swarm.js';
import type { SwarmProgress } from './package-swarm.js';

/** What the agent tells the server about its packages (kinds of boot events). */
export interface PackageEvent {
  kind: 'packageReady' | 'packageRejected' | 'peerBanned' | 'packageDiskFull';
  reason: string;
}

export interface AgentPackagesOptions {
  dataDir: string;
  bootRoot: string;
  packageStateDir: string;
  agentId: string;
  privateKeyPem: string;
  serverPublicKey: string;
  server: ApiClient;
  lan: { address: string; subnet: string; havePort: number; chunkPort: number };
  /** false: fetch from the server only (no have messages, no chunk server). */
  peers: boolean;
  /** This agent's configured election weight: it also ranks the site's WAN fetcher. */
  weight: number;
  clock: Clock;
  logger: Logger;
  counters: Counters;
  onChange: () => void;
  onEvent: (e: PackageEvent) => void;
  /** For tests: how the swarm is started. */
  startSwarm?: typeof startAgentPackageSwarm;
}

interface Running {
  swarm: AgentPackageSwarm;
  siteId: string;
}

const RETRY_MS = 60_000;

export class AgentPackages {
  readonly #o: AgentPackagesOptions;
  readonly #log: Logger;
  #wanted: SignedManifest[] = [];
  /** Until a policy says otherwise: the sites' default (no cap, adaptive: business traffic first). */
  #wan: WanPolicy = { ...defaultSiteWan };
  #certificate: string | null = null;
  #running: Running | null = null;
  #serverOnly: PackageSync | null = null;
  #starting: Promise<void> = Promise.resolve();
  #retry: TimerHandle | null = null;
  #stopped = false;
  /** What was last reported, so each fact becomes one event. */
  readonly #reported = new Set<string>();

  constructor(options: AgentPackagesOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'packages' });
    if (!options.peers) this.#startServerOnly('peer packages are off in the configuration');
  }

  /** The policy's packages (an empty list when the agent is not a responder). */
  setWanted(manifests: readonly SignedManifest[]): void {
    this.#wanted = [...manifests];
    if (this.#running) {
      const { rejected } = this.#running.swarm.setWanted(this.#wanted);
      for (const r of rejected) this.#event(`rejected:${r.packageId}:${r.reason}`, { kind: 'packageRejected', reason: `package ${r.packageId}: ${r.reason}` });
    }
    this.#serverOnly?.setWanted(this.#wanted.map((m) => m.manifest));
  }

  /** The site's WAN settings (absent from older policies: adaptive, no cap). */
  setWanPolicy(policy: WanPolicy): void {
    this.#wan = policy;
    try {
      this.#running?.swarm.setWanPolicy(policy);
    } catch (error) {
      this.#log.warn(`ignoring the site's WAN settings: ${(error as Error).message}`);
    }
  }

  /** The agent certificate (base64url), from enrollment, disk or a status report. */
  setCertificate(certificate: string): void {
    if (this.#stopped || !this.#o.peers || certificate === this.#certificate) return;
    this.#certificate = certificate;
    this.#starting = this.#starting.then(() => this.#ensureSwarm()).catch((error: unknown) => {
      this.#log.error('package swarm restart failed', { error: (error as Error).message });
    });
  }

  async #ensureSwarm(): Promise<void> {
    const certificate = this.#certificate;
    if (this.#stopped || certificate === null) return;
    const bytes = new Uint8Array(Buffer.from(certificate, 'base64url'));
    const decoded = decodeAgentCertificate(bytes);
    if (!decoded.ok) {
      this.#log.warn('agent certificate unreadable; packages wait for a fresh one');
      return;
    }
    const siteId = decoded.certificate.siteId;
    if (this.#running && this.#running.siteId === siteId) {
      this.#running.swarm.setCertificate(bytes);
      return;
    }
    if (this.#running) {
      this.#log.info('site changed: restarting the package swarm', { from: this.#running.siteId, to: siteId });
      const old = this.#running;
      this.#running = null;
      await old.swarm.close();
    }
    try {
      const start = this.#o.startSwarm ?? startAgentPackageSwarm;
      const swarm = await start({
        dataDir: this.#o.dataDir, bootRoot: this.#o.bootRoot, packageStateDir: this.#o.packageStateDir,
        identity: { agentId: this.#o.agentId, siteId, privateKey: this.#o.privateKeyPem, certificate: bytes },
        serverPublicKey: this.#o.serverPublicKey, server: this.#o.server,
        lan: { address: this.#o.lan.address, subnet: this.#o.lan.subnet, havePort: this.#o.lan.havePort, chunkPort: this.#o.lan.chunkPort },
        wan: this.#wan, weight: this.#o.weight, clock: this.#o.clock, logger: this.#o.logger, counters: this.#o.counters,
        onChange: () => this.#changed(),
      });
      if (this.#stopped) {
        await swarm.close();
        return;
      }
      this.#running = { swarm, siteId };
      if (this.#serverOnly) {
        this.#log.info('package swarm up: peers first from now on');
        this.#serverOnly.stop();
        this.#serverOnly = null;
      }
      this.#log.info('package swarm running', { siteId, havePort: this.#o.lan.havePort, chunkPort: this.#o.lan.chunkPort });
      this.setWanted(this.#wanted);
      this.#changed();
    } catch (error) {
      const message = (error as Error).message;
      if (!this.#serverOnly) this.#startServerOnly(message);
      this.#retry?.cancel();
      this.#retry = this.#o.clock.setTimer(RETRY_MS, () => {
        this.#retry = null;
        this.#starting = this.#starting.then(() => this.#ensureSwarm());
      });
    }
  }

  #startServerOnly(reason: string): void {
    if (this.#o.peers) this.#log.error(`package swarm cannot start (${reason}); fetching every chunk from the server until it can (retry each minute)`);
    else this.#log.info('fetching packages from the server only', { reason });
    this.#serverOnly = new PackageSync({
      bootRoot: this.#o.bootRoot, stateDir: this.#o.packageStateDir, clock: this.#o.clock, logger: this.#o.logger, counters: this.#o.counters,
      fetchChunk: (sha256) => this.#o.server.call('agentChunk', { params: { sha256 } }),
      onChange: () => this.#changed(),
    });
    this.#serverOnly.setWanted(this.#wanted.map((m) => m.manifest));
  }

  #changed(): void {
    const progress = this.#running?.swarm.progress();
    if (progress) {
      for (const p of progress.packages) {
        if (!p.ready || this.#reported.has(`ready:${p.packageId}`)) continue;
        const mib = (n: number) => (n / 1048576).toFixed(1);
        this.#log.info('package fetched', {
          packageId: p.packageId, chunks: p.chunksTotal, bytes: p.bytesTotal, chunksFromPeers: progress.chunksFromPeers, chunksFromWan: progress.chunksFromWan,
          bytesFromPeers: progress.bytesFromPeers, bytesFromWan: progress.bytesFromWan,
        });
        this.#event(`ready:${p.packageId}`, {
          kind: 'packageReady',
          reason: `package ${p.packageId} ready: ${p.chunksTotal} chunks verified; this agent so far fetched ${mib(progress.bytesFromPeers)} MiB from LAN peers, ${mib(progress.bytesFromWan)} MiB from the server`,
        });
      }
      for (const b of progress.bannedPeers) this.#event(`ban:${b.agentId}:${b.offences}`, { kind: 'peerBanned', reason: `peer ${b.agentId} served bytes that did not match the signed manifest (offence ${b.offences}); banned` });
      if (progress.diskFull) this.#event('diskFull', { kind: 'packageDiskFull', reason: 'the package cache disk is full; verified chunks are kept, free space to continue' });
      else this.#reported.delete('diskFull');
    }
    this.#o.onChange();
  }

  #event(key: string, e: PackageEvent): void {
    if (this.#reported.has(key)) return;
    if (this.#reported.size > 1024) this.#reported.clear();
    this.#reported.add(key);
    this.#o.onEvent(e);
  }

  isReady(packageId: string): boolean {
    return this.#running ? this.#running.swarm.isReady(packageId) : this.#serverOnly?.isReady(packageId) ?? false;
  }

  readyIds(): string[] {
    return this.#running ? this.#running.swarm.readyIds() : this.#serverOnly?.readyIds() ?? [];
  }

  readiness(): PackageReadiness[] {
    return this.#running ? this.#running.swarm.readiness() : this.#serverOnly?.readiness() ?? [];
  }

  /** The swarm's view (null while fetching from the server only). */
  progress(): SwarmProgress | null {
    return this.#running?.swarm.progress() ?? null;
  }

  /** 'peers' or 'server', for logs and tests. */
  mode(): 'peers' | 'server' | 'waiting' {
    return this.#running ? 'peers' : this.#serverOnly ? 'server' : 'waiting';
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#retry?.cancel();
    await this.#starting;
    this.#serverOnly?.stop();
    const r = this.#running;
    this.#running = null;
    await r?.swarm.close();
  }
}
