/**
 * Fetching a chunk from the server over the WAN: `GET /api/v1/agent/chunks/:sha256` through the
 * contract's typed client (src/contract/api.ts `agentChunk`, the agent's credential), the body read
 * at the pace the WanShaper allows. While fetches are in flight and the adaptive mode is on, a
 * small request (`GET /healthz`) every `probeIntervalMs` measures the path's delay for LEDBAT; the
 * time to the first byte of each chunk answer is a sample too. While idle (adaptive mode, no fetch in
 * flight), two back-to-back `GET /healthz` every `idleProbeIntervalMs` (60 s; the second one rides
 * the warm connection, so it measures one round trip) keep LEDBAT's base-delay history current,
 * so an agent knows the empty-queue delay before it has to fetch on a link that is by then full.
 */
import { ApiError } from '../../contract/errors.js';
import type { ApiClient } from '../../contract/client.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import { Counters } from '../../platform/counters.js';
import type { WanShaper } from './wan-shaper.js';

export type WanFetchResult =
  | { outcome: 'ok'; bytes: Uint8Array; firstByteMs: number }
  | { outcome: 'badBytes' | 'notFound' | 'busy' | 'failed'; detail: string };

export interface WanChunkSource {
  fetchChunk(sha256: string, sizeBytes: number): Promise<WanFetchResult>;
  /** Bytes of chunk bodies received so far. */
  readonly bytesReceived: number;
  close(): void;
}

export function createWanChunkSource(o: {
  client: ApiClient;
  shaper: WanShaper;
  clock: Clock;
  timeoutMs?: number;
  probeIntervalMs?: number;
  /** 0 = no idle probes. */
  idleProbeIntervalMs?: number;
  counters?: Counters;
}): WanChunkSource {
  const counters = o.counters ?? new Counters();
  const timeoutMs = o.timeoutMs ?? 120_000;
  const probeIntervalMs = o.probeIntervalMs ?? 50;
  const idleProbeIntervalMs = o.idleProbeIntervalMs ?? 60_000;
  let active = 0;
  let probeTimer: TimerHandle | null = null;
  let probing = false;
  let closed = false;
  let bytesReceived = 0;

  /** One `GET /healthz`, resolving to its round trip in ms. */
  const timedHealth = async (): Promise<number> => {
    const started = o.clock.nowMs();
    await o.client.call('health', {});
    return o.clock.nowMs() - started;
  };

  const probe = () => {
    probeTimer = null;
    if (closed || active === 0 || probing) return;
    probing = true;
    timedHealth().then(
      (ms) => {
        o.shaper.onDelaySample(ms);
        counters.increment('wan_probes_total');
      },
      () => counters.increment('wan_probe_errors_total'),
    ).finally(() => {
      probing = false;
      if (!closed && active > 0 && !probeTimer) probeTimer = o.clock.setTimer(probeIntervalMs, probe);
    });
  };

  let idleTimer: TimerHandle | null = null;
  const idleProbe = async () => {
    idleTimer = null;
    if (closed) return;
    if (o.shaper.ledbat && active === 0 && !probing) {
      probing = true;
      try {
        await timedHealth();
        const ms = await timedHealth();
        if (active === 0) o.shaper.onIdleDelaySample(ms);
        counters.increment('wan_idle_probes_total');
      } catch {
        counters.increment('wan_probe_errors_total');
      } finally {
        probing = false;
        // A fetch that began meanwhile did not start its probes (one probe at a time): start them now.
        if (!closed && active > 0 && o.shaper.ledbat && !probeTimer) probeTimer = o.clock.setTimer(0, probe);
      }
    }
    if (!closed) idleTimer = o.clock.setTimer(idleProbeIntervalMs, () => void idleProbe());
  };
  if (idleProbeIntervalMs > 0) idleTimer = o.clock.setTimer(0, () => void idleProbe());

  return {
    get bytesReceived() { return bytesReceived; },
    async fetchChunk(sha256, sizeBytes) {
      active++;
      if (o.shaper.ledbat && !probeTimer && !probing) probeTimer = o.clock.setTimer(0, probe);
      const abort = new AbortController();
      const timer = o.clock.setTimer(timeoutMs, () => abort.abort(new Error(`no complete answer in ${timeoutMs} ms`)));
      const started = o.clock.nowMs();
      try {
        let res: Response;
        try {
          res = await o.client.raw('agentChunk', { params: { sha256 } }, { signal: abort.signal });
        } catch (error) {
          if (error instanceof ApiError) return { outcome: error.status === 404 ? 'notFound' : error.status === 503 ? 'busy' : 'failed', detail: `${error.status} ${error.code}` };
          o.shaper.onLoss();
          return { outcome: 'failed', detail: (error as Error).message };
        }
        const firstByteMs = o.clock.nowMs() - started;
        o.shaper.onDelaySample(firstByteMs);
        const declared = Number(res.headers.get('content-length'));
        if (Number.isFinite(declared) && res.headers.has('content-length') && declared !== sizeBytes) {
          await res.body?.cancel();
          return { outcome: 'badBytes', detail: `content-length ${declared}, the manifest says ${sizeBytes}` };
        }
        const body = new Uint8Array(sizeBytes);
        let got = 0;
        const reader = res.body?.getReader();
        if (!reader) return { outcome: 'failed', detail: 'no body' };
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            if (got + value.byteLength > sizeBytes) {
              await reader.cancel();
              return { outcome: 'badBytes', detail: `more than the ${sizeBytes} bytes the manifest says` };
            }
            body.set(value, got);
            got += value.byteLength;
            bytesReceived += value.byteLength;
            o.shaper.onBytes(value.byteLength);
            await o.shaper.take(value.byteLength);
          }
        } catch (error) {
          o.shaper.onLoss();
          return { outcome: 'failed', detail: (error as Error).message };
        }
        if (got !== sizeBytes) return { outcome: 'badBytes', detail: `${got} bytes, the manifest says ${sizeBytes}` };
        return { outcome: 'ok', bytes: body, firstByteMs };
      } finally {
        timer.cancel();
        active--;
      }
    },
    close() {
      closed = true;
      probeTimer?.cancel();
      idleTimer?.cancel();
    },
  };
}
