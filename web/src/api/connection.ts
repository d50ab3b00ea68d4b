/**
 * Watches the console's link to the server. Every API call goes through `fetch` here: a network
 * failure or a 502/503/504 marks the link lost, and a probe of /healthz (1 s, then up to 5 s apart)
 * runs until the server answers again, when listeners reload what they show. A 401 on an
 * authenticated call means the session ended. The server's Date header gives its clock, so
 * "online in the last 3 minutes" is judged on the server's time, not a skewed laptop clock.
 */

export type ConnectionState = 'online' | 'offline';

export interface ConnectionEvents {
  /** The link state changed. */
  state(state: ConnectionState): void;
  /** A call with a token was refused with 401: the session expired or was revoked. */
  unauthenticated(): void;
}

export interface ConnectionOptions {
  fetch?: typeof fetch;
  /** Absolute or same-origin URL of the liveness probe. */
  healthUrl?: string;
  retryDelaysMs?: number[];
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  nowMs?: () => number;
}

/** Thrown by `fetch` when the server could not be reached; pages show it as "connection lost". */
export class ConnectionLostError extends Error {
  constructor(message = 'The server cannot be reached') {
    super(message);
    this.name = 'ConnectionLostError';
  }
}

export class ConnectionMonitor {
  #state: ConnectionState = 'online';
  readonly #listeners: { [K in keyof ConnectionEvents]: Set<ConnectionEvents[K]> } = { state: new Set(), unauthenticated: new Set() };
  readonly #fetch: typeof fetch;
  readonly #healthUrl: string;
  readonly #delays: number[];
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  readonly #nowMs: () => number;
  #probeTimer: unknown = null;
  #attempt = 0;
  /** server clock − local clock, from the last Date header. */
  #skewMs = 0;

  constructor(options: ConnectionOptions = {}) {
    this.#fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.#healthUrl = options.healthUrl ?? '/healthz';
    this.#delays = options.retryDelaysMs ?? [1000, 2000, 3000, 5000];
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.#nowMs = options.nowMs ?? Date.now;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The server's current time (local time corrected by the last Date header seen). */
  serverNowMs(): number {
    return this.#nowMs() + this.#skewMs;
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionEvents[K]): () => void {
    this.#listeners[event].add(listener);
    return () => { this.#listeners[event].delete(listener); };
  }

  /** fetch with link tracking; hand it to the ApiClient. */
  readonly fetch: typeof fetch = async (input, init) => {
    let res: Response;
    try {
      res = await this.#fetch(input, init);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      this.markLost();
      throw new ConnectionLostError();
    }
    this.#noteDate(res);
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      this.markLost();
      return res;
    }
    if (res.status === 401 && hasBearer(init)) for (const l of this.#listeners.unauthenticated) l();
    this.#markOnline();
    return res;
  };

  /** Marks the link lost and starts probing (idempotent). */
  markLost(): void {
    if (this.#state === 'offline') return;
    this.#state = 'offline';
    this.#attempt = 0;
    for (const l of this.#listeners.state) l('offline');
    this.#scheduleProbe();
  }

  /** Stops probing (the console is closing). */
  dispose(): void {
    if (this.#probeTimer !== null) this.#clearTimer(this.#probeTimer);
    this.#probeTimer = null;
    this.#listeners.state.clear();
    this.#listeners.unauthenticated.clear();
  }

  #markOnline(): void {
    if (this.#probeTimer !== null) { this.#clearTimer(this.#probeTimer); this.#probeTimer = null; }
    if (this.#state === 'online') return;
    this.#state = 'online';
    for (const l of this.#listeners.state) l('online');
  }

  #scheduleProbe(): void {
    const delay = this.#delays[Math.min(this.#attempt, this.#delays.length - 1)] ?? 5000;
    this.#attempt += 1;
    this.#probeTimer = this.#setTimer(() => { void this.#probe(); }, delay);
  }

  async #probe(): Promise<void> {
    this.#probeTimer = null;
    if (this.#state === 'online') return;
    try {
      const res = await this.#fetch(this.#healthUrl, { cache: 'no-store' });
      this.#noteDate(res);
      if (res.ok) { this.#markOnline(); return; }
    } catch {
      // still unreachable
    }
    if (this.#state === 'offline') this.#scheduleProbe();
  }

  #noteDate(res: Response): void {
    const date = Date.parse(res.headers?.get?.('date') ?? '');
    // Date has one-second resolution: only correct skews that are clearly larger than that.
    if (Number.isFinite(date)) {
      const skew = date - this.#nowMs();
      this.#skewMs = Math.abs(skew) > 2000 ? skew : 0;
    }
  }
}

function hasBearer(init: RequestInit | undefined): boolean {
  const h = init?.headers;
  if (!h) return false;
  if (h instanceof Headers) return h.has('authorization');
  if (Array.isArray(h)) return h.some(([k]) => k.toLowerCase() === 'authorization');
  return Object.keys(h).some((k) => k.toLowerCase() === 'authorization');
}
