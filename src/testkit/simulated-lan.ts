/**
 * A seeded, in-memory LAN for deterministic simulation (after hashicorp/memberlist MockNetwork and
 * TigerBeetle's packet_simulator): named broadcast domains, UDP-like sockets, and faults — loss,
 * delay, duplication, reordering, partitions and heal, node crash — all drawn from one seeded PRNG
 * and timed by one FakeClock. The same seed gives the same run, packet for packet.
 *
 * Semantics: a send to 255.255.255.255 or to the domain's broadcast address reaches every open
 * socket of the domain bound to that port, the sender included (Linux loops broadcasts back);
 * any other destination is unicast within the domain. Each delivery draws, in order: loss,
 * duplication, delay (uniform in [minDelayMs, maxDelayMs], plus up to 5 × maxDelayMs with
 * probability reorderRatio). Partitions are checked at delivery time, so packets in flight when a
 * partition starts are lost. Packets from `inject` (an adversary) take no random draws, so adding
 * them does not change what happens to honest traffic.
 */
import { FakeClock } from './fake-clock.js';

export interface SimulatedLanOptions {
  seed: number;
  lossRatio?: number;
  duplicateRatio?: number;
  reorderRatio?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** FakeClock start (monotonic ms). */
  startMs?: number;
}

export interface SimEndpoint {
  address: string;
  port: number;
}

export type SimPacketHandler = (bytes: Uint8Array, from: SimEndpoint) => void;

export interface SimSocket extends SimEndpoint {
  readonly domain: string;
  send(bytes: Uint8Array, to: SimEndpoint): void;
  onMessage(handler: SimPacketHandler): void;
  close(): void;
}

/** Every packet sent on the LAN (before faults), for adversaries that record traffic. */
export type SimTap = (packet: { domain: string; from: SimEndpoint; to: SimEndpoint; bytes: Uint8Array; atMs: number }) => void;
/** Every honest delivery: which socket got which bytes (an adversary can replay to exactly those). */
export type SimDeliveryTap = (delivery: { socket: SimSocket; from: SimEndpoint; bytes: Uint8Array; atMs: number }) => void;

interface SocketEntry {
  socket: SimSocket;
  handler: SimPacketHandler;
  open: boolean;
}

export interface SimulatedLanStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  partitioned: number;
  injected: number;
}

/** mulberry32: small, fast, good enough for fault injection. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SimulatedLan {
  readonly clock: FakeClock;
  readonly stats: SimulatedLanStats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, partitioned: 0, injected: 0 };
  lossRatio: number;
  duplicateRatio: number;
  reorderRatio: number;
  minDelayMs: number;
  maxDelayMs: number;
  readonly #random: () => number;
  readonly #domains = new Map<string, { broadcastAddress: string; sockets: SocketEntry[] }>();
  /** Pairs of addresses that cannot reach each other ("a|b", both orders). */
  readonly #cut = new Set<string>();
  readonly #crashed = new Set<string>();
  readonly #lastSentAtMs = new Map<string, number>();
  readonly #taps: SimTap[] = [];
  readonly #deliveryTaps: SimDeliveryTap[] = [];
  readonly #entries = new Map<SimSocket, SocketEntry>();

  constructor(options: SimulatedLanOptions) {
    this.clock = new FakeClock(options.startMs ?? 0);
    this.#random = seededRandom(options.seed);
    this.lossRatio = options.lossRatio ?? 0;
    this.duplicateRatio = options.duplicateRatio ?? 0;
    this.reorderRatio = options.reorderRatio ?? 0;
    this.minDelayMs = options.minDelayMs ?? 1;
    this.maxDelayMs = options.maxDelayMs ?? 5;
  }

  /** Declares a broadcast domain (implicitly created with 255.255.255.255 on first use). */
  domain(name: string, broadcastAddress = '255.255.255.255'): this {
    if (!this.#domains.has(name)) this.#domains.set(name, { broadcastAddress, sockets: [] });
    return this;
  }

  /** A socket on `domain` at address:port. Throws if that endpoint is already open there. */
  socket(domain: string, address: string, port: number): SimSocket {
    this.domain(domain);
    const d = this.#domains.get(domain)!;
    if (d.sockets.some((e) => e.open && e.socket.address === address && e.socket.port === port)) {
      throw new Error(`simulated ${address}:${port} already bound on ${domain}`);
    }
    this.#crashed.delete(address);
    const entry: SocketEntry = {
      handler: () => {},
      open: true,
      socket: {
        domain, address, port,
        send: (bytes, to) => {
          if (!entry.open || this.#crashed.has(address)) return;
          this.#send(domain, { address, port }, to, bytes);
        },
        onMessage: (handler) => { entry.handler = handler; },
        close: () => { entry.open = false; },
      },
    };
    d.sockets.push(entry);
    this.#entries.set(entry.socket, entry);
    return entry.socket;
  }

  /** Power loss: from now on nothing leaves or reaches `address` (until a new socket is opened there). */
  crash(address: string): void {
    this.#crashed.add(address);
  }

  /** Cuts every link between a member of `a` and a member of `b` (addresses). */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) { this.#cut.add(`${x}|${y}`); this.#cut.add(`${y}|${x}`); }
  }

  heal(): void {
    this.#cut.clear();
  }

  /** Monotonic time of the last packet `address` sent (undefined if none). */
  lastSentAtMs(address: string): number | undefined {
    return this.#lastSentAtMs.get(address);
  }

  tap(listener: SimTap): void {
    this.#taps.push(listener);
  }

  tapDeliveries(listener: SimDeliveryTap): void {
    this.#deliveryTaps.push(listener);
  }

  /** An adversary's packet to chosen sockets (closed ones are skipped), with no fault draws. */
  injectTo(targets: readonly SimSocket[], from: SimEndpoint, bytes: Uint8Array, delayMs = 1): void {
    this.stats.injected++;
    for (const socket of targets) {
      const entry = this.#entries.get(socket);
      if (entry) this.clock.setTimer(delayMs, () => this.#deliver(entry, from, bytes, false));
    }
  }

  /** An adversary's packet: delivered after `delayMs` with no fault draws (see the header). */
  inject(domain: string, from: SimEndpoint, to: SimEndpoint, bytes: Uint8Array, delayMs = 1): void {
    this.stats.injected++;
    for (const entry of this.#receivers(domain, to)) {
      this.clock.setTimer(delayMs, () => this.#deliver(entry, from, bytes, false));
    }
  }

  runForMs(ms: number): void {
    this.clock.advance(ms);
  }

  #receivers(domain: string, to: SimEndpoint): SocketEntry[] {
    const d = this.#domains.get(domain);
    if (!d) return [];
    const broadcast = to.address === '255.255.255.255' || to.address === d.broadcastAddress;
    return d.sockets.filter((e) => e.open && e.socket.port === to.port && (broadcast || e.socket.address === to.address));
  }

  #send(domain: string, from: SimEndpoint, to: SimEndpoint, bytes: Uint8Array): void {
    this.stats.sent++;
    const now = this.clock.nowMs();
    this.#lastSentAtMs.set(from.address, now);
    for (const tap of this.#taps) tap({ domain, from, to, bytes: Uint8Array.from(bytes), atMs: now });
    for (const entry of this.#receivers(domain, to)) {
      const self = entry.socket.address === from.address;
      if (!self && this.#random() < this.lossRatio) { this.stats.lost++; continue; }
      const copies = !self && this.#random() < this.duplicateRatio ? 2 : 1;
      if (copies === 2) this.stats.duplicated++;
      for (let c = 0; c < copies; c++) {
        const delay = self ? 0 : this.#delay();
        this.clock.setTimer(delay, () => this.#deliver(entry, from, bytes, true));
      }
    }
  }

  #delay(): number {
    let delay = this.minDelayMs + this.#random() * (this.maxDelayMs - this.minDelayMs);
    if (this.#random() < this.reorderRatio) delay += this.#random() * 5 * this.maxDelayMs;
    return Math.round(delay * 1000) / 1000;
  }

  #deliver(entry: SocketEntry, from: SimEndpoint, bytes: Uint8Array, honest: boolean): void {
    if (!entry.open || this.#crashed.has(entry.socket.address)) return;
    if (this.#cut.has(`${from.address}|${entry.socket.address}`)) { this.stats.partitioned++; return; }
    if (honest) {
      this.stats.delivered++;
      for (const tap of this.#deliveryTaps) tap({ socket: entry.socket, from: { ...from }, bytes, atMs: this.clock.nowMs() });
    }
    entry.handler(Uint8Array.from(bytes), { ...from });
  }
}
