/**
 * Keeps the agent's signed policy current, so an admin's change reaches every agent within seconds
 * and an agent cut off from the server still serves from the last policy it verified:
 *   - at start, the last good policy from disk (policy-cache.ts), verified before use;
 *   - push: the server's SSE stream (`GET /api/v1/agent/policy/stream`, Last-Event-ID = held etag),
 *     reconnected with capped exponential backoff, and dropped when silent for longer than the
 *     server's 25 s keep-alive allows (a half-open TCP connection otherwise looks alive forever);
 *   - poll: `GET /api/v1/agent/policy` with If-None-Match every `pollIntervalMs` (faster while the
 *     stream is down) as the fallback for proxies that break streams.
 * Every received document goes through decidePolicyUpdate (signature, manifests, no older serial)
 * and only an accepted one is cached (temp + fsync + rename) and handed to `onPolicy`. The server
 * being down changes nothing for the agent: it keeps the policy it has.
 */
import type { AgentPolicy, SignedPolicy } from '../../contract/policy.js';
import { decidePolicyUpdate } from '../../platform/crypto/signed-documents.js';
import type { ApiClient } from '../../contract/client.js';
import { ApiError } from '../../contract/errors.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { loadPolicyCache, savePolicyCache } from './policy-cache.js';
import { SseParser } from '../../contract/sse.js';

export type PolicySource = 'cache' | 'stream' | 'poll';

export interface HeldPolicy {
  policy: AgentPolicy;
  etag: string;
  doc: SignedPolicy;
  source: PolicySource;
}

export interface PolicySyncOptions {
  client: ApiClient;
  /** The server's policy key (base64url raw Ed25519) from enrollment. */
  publicKey: string;
  cachePath: string;
  clock: Clock;
  logger?: Logger;
  counters?: Counters;
  onPolicy: (held: HeldPolicy) => void;
  /** Poll interval while the stream is up (default 60 s). */
  pollIntervalMs?: number;
  /** Poll interval while the stream is down (default 10 s). */
  pollIntervalStreamDownMs?: number;
  /** Reconnect backoff bounds (default 1 s … 30 s; the server's `retry:` raises the floor). */
  streamRetryMs?: [number, number];
  /** Drop a stream that has been silent this long (default 70 s: the server pings every 25 s). */
  streamIdleMs?: number;
  /** false: poll only (tests, proxies known to break streams). Default true. */
  useStream?: boolean;
}

export class PolicySync {
  readonly #o: Required<Omit<PolicySyncOptions, 'logger' | 'counters'>> & { logger: Logger; counters: Counters };
  #held: HeldPolicy | null = null;
  #stopped = false;
  #pollTimer: TimerHandle | null = null;
  #streamTimer: TimerHandle | null = null;
  #idleTimer: TimerHandle | null = null;
  #streamAbort: AbortController | null = null;
  #streamUp = false;
  #streamFailures = 0;
  #retryFloorMs: number;
  #polling: Promise<void> | null = null;
  #lastServerError: string | null = null;

  constructor(options: PolicySyncOptions) {
    this.#o = {
      pollIntervalMs: 60_000,
      pollIntervalStreamDownMs: 10_000,
      streamRetryMs: [1000, 30_000],
      streamIdleMs: 70_000,
      useStream: true,
      ...options,
      logger: (options.logger ?? silentLogger).child({ component: 'policy' }),
      counters: options.counters ?? new Counters(),
    };
    this.#retryFloorMs = this.#o.streamRetryMs[0];
  }

  /** The policy in use, or null. */
  get held(): HeldPolicy | null {
    return this.#held;
  }

  /** Whether the push stream is connected now. */
  get streamUp(): boolean {
    return this.#streamUp;
  }

  /**
   * Loads the cached policy (emitting it), then starts the stream and the poll loop; the first poll
   * runs at once. Returns without waiting for the server.
   */
  start(): void {
    const cached = loadPolicyCache(this.#o.cachePath, this.#o.publicKey);
    if (cached.kind === 'loaded') {
      this.#o.logger.info('using the cached policy until the server answers', { serial: cached.policy.serial, etag: cached.etag, role: cached.policy.role });
      this.#accept({ policy: cached.policy, etag: cached.etag, doc: cached.doc, source: 'cache' }, false);
    } else if (cached.kind === 'broken') {
      this.#o.counters.increment('policy_cache_broken_total');
      this.#o.logger.warn(`cached policy unusable (${cached.reason}); starting without a policy and fetching a fresh one from the server`, {
        path: this.#o.cachePath, movedTo: cached.movedTo,
      });
    } else {
      this.#o.logger.info('no cached policy yet; fetching one from the server');
    }
    void this.pollNow();
    if (this.#o.useStream) this.#connectStream();
  }

  stop(): void {
    this.#stopped = true;
    this.#pollTimer?.cancel();
    this.#streamTimer?.cancel();
    this.#idleTimer?.cancel();
    this.#streamAbort?.abort();
  }

  /** Polls once now (coalesced with a poll in flight) and reschedules the next one. */
  pollNow(): Promise<void> {
    if (this.#polling) return this.#polling;
    this.#pollTimer?.cancel();
    this.#polling = this.#poll().finally(() => {
      this.#polling = null;
      this.#schedulePoll();
    });
    return this.#polling;
  }

  #schedulePoll(): void {
    if (this.#stopped) return;
    this.#pollTimer?.cancel();
    const delay = this.#streamUp ? this.#o.pollIntervalMs : this.#o.pollIntervalStreamDownMs;
    this.#pollTimer = this.#o.clock.setTimer(delay, () => { void this.pollNow(); });
  }

  async #poll(): Promise<void> {
    if (this.#stopped) return;
    try {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (this.#held) headers['if-none-match'] = `"${this.#held.etag}"`;
      const res = await this.#o.client.raw('agentPolicy', {}, { headers });
      this.#o.counters.increment('policy_polls_total');
      this.#serverReachable();
      if (res.status === 304) {
        await res.body?.cancel();
        return;
      }
      this.#receive(await res.json(), 'poll');
    } catch (err) {
      this.#serverUnreachable('poll', err);
    }
  }

  #connectStream(): void {
    if (this.#stopped) return;
    const abort = new AbortController();
    this.#streamAbort = abort;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.#held) headers['last-event-id'] = this.#held.etag;
    void (async () => {
      try {
        const res = await this.#o.client.raw('agentPolicyStream', {}, { headers, signal: abort.signal });
        if (!res.body) throw new Error('policy stream answered without a body');
        this.#streamUp = true;
        this.#streamFailures = 0;
        this.#serverReachable();
        this.#o.counters.increment('policy_stream_connects_total');
        this.#o.logger.info('policy stream connected');
        this.#schedulePoll();
        this.#armIdle(abort);
        // Any bytes (a policy or the server's `: ping` every 25 s) prove the connection is alive.
        const parser = new SseParser({ maxLineBytes: 16 * 1024 * 1024 });
        const decoder = new TextDecoder();
        const reader = res.body.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          this.#armIdle(abort);
          const events = parser.push(decoder.decode(value, { stream: true }));
          if (parser.retryMs !== null) this.#retryFloorMs = Math.max(this.#o.streamRetryMs[0], Math.min(parser.retryMs, this.#o.streamRetryMs[1]));
          for (const e of events) {
            if (e.event !== 'policy') continue;
            let doc: unknown;
            try {
              doc = JSON.parse(e.data);
            } catch {
              this.#o.counters.increment('policy_rejected_total', { reason: 'notJson' });
              this.#o.logger.warn('policy stream sent an event that is not JSON; ignored');
              continue;
            }
            this.#receive(doc, 'stream');
          }
        }
        throw new Error('policy stream closed by the server');
      } catch (err) {
        if (this.#stopped) return;
        this.#streamUp = false;
        this.#idleTimer?.cancel();
        this.#streamFailures++;
        if (!abort.signal.aborted || this.#streamFailures === 1) this.#serverUnreachable('stream', err);
        this.#schedulePoll();
        const [floor, cap] = [this.#retryFloorMs, this.#o.streamRetryMs[1]];
        const delay = Math.min(cap, floor * 2 ** Math.min(this.#streamFailures - 1, 8));
        this.#streamTimer = this.#o.clock.setTimer(delay, () => this.#connectStream());
      }
    })();
  }

  #armIdle(abort: AbortController): void {
    this.#idleTimer?.cancel();
    this.#idleTimer = this.#o.clock.setTimer(this.#o.streamIdleMs, () => {
      this.#o.logger.warn('policy stream silent for too long; reconnecting', { idleMs: this.#o.streamIdleMs });
      abort.abort();
    });
  }

  #receive(doc: unknown, source: PolicySource): void {
    const decision = decidePolicyUpdate(this.#held?.policy ?? null, doc, this.#o.publicKey);
    if (decision.kind === 'reject') {
      this.#o.counters.increment('policy_rejected_total', { reason: decision.reason });
      this.#o.logger.warn('policy refused; keeping the one held', { source, reason: decision.reason, detail: decision.detail });
      return;
    }
    if (decision.kind === 'unchanged') {
      // Same content (perhaps a newer serial): nothing to apply. Keep the newer serial on disk so a
      // restart does not refuse the server's next document as "older".
      if (this.#held && (doc as SignedPolicy).policy.serial > this.#held.policy.serial) {
        this.#accept({ policy: (doc as SignedPolicy).policy, etag: decision.etag, doc: doc as SignedPolicy, source }, true, false);
      }
      return;
    }
    this.#accept({ policy: decision.policy, etag: decision.etag, doc: doc as SignedPolicy, source }, true);
  }

  #accept(held: HeldPolicy, persist: boolean, announce = true): void {
    this.#held = held;
    if (persist) {
      try {
        savePolicyCache(this.#o.cachePath, held.doc);
      } catch (err) {
        this.#o.counters.increment('policy_cache_write_errors_total');
        this.#o.logger.error('could not write the policy cache; the policy is used but will not survive a restart', { path: this.#o.cachePath, error: (err as Error).message });
      }
    }
    if (!announce) return;
    this.#o.counters.increment('policy_applied_total', { source: held.source });
    this.#o.logger.info('policy applied', {
      source: held.source, serial: held.policy.serial, etag: held.etag, role: held.policy.role, roleReason: held.policy.roleReason,
      enabled: held.policy.settings.enabled, machines: held.policy.machines.length, packages: held.policy.packages.length,
    });
    try {
      this.#o.onPolicy(held);
    } catch (err) {
      this.#o.logger.error('applying the policy failed', { error: (err as Error).stack ?? String(err) });
    }
  }

  #serverReachable(): void {
    if (this.#lastServerError !== null) {
      this.#o.logger.info('server reachable again');
      this.#lastServerError = null;
    }
  }

  #serverUnreachable(what: 'poll' | 'stream', err: unknown): void {
    const message = err instanceof ApiError ? `${err.status} ${err.code}: ${err.message}` : describeFetchError(err);
    this.#o.counters.increment('policy_sync_errors_total', { channel: what });
    if (err instanceof ApiError && err.status === 401) {
      this.#o.logger.error(`the server refused this agent's credential (${message}); keeping the cached policy. Re-enroll the agent (delete its identity file and run with --token)`);
      return;
    }
    // Log a change of state once, then stay quiet at debug: a down server must not flood the log.
    if (this.#lastServerError !== message) {
      this.#lastServerError = message;
      this.#o.logger.warn(`server unreachable (${what}: ${message}); keeping ${this.#held ? `policy serial ${this.#held.policy.serial}` : 'no policy'} and retrying`);
    } else {
      this.#o.logger.debug('server still unreachable', { what, error: message });
    }
  }
}

/** fetch() failures hide the cause (ECONNREFUSED…) in `cause`. */
export function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${err.message} (${cause.code})`;
  if (cause?.message) return `${err.message} (${cause.message})`;
  return err.message;
}
