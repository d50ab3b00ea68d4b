/**
 * Follows the server's live boot-event feed (GET /api/v1/events/stream). EventSource cannot send
 * the Authorization header, so this reads the stream with fetch and the contract's SSE parser
 * (WHATWG HTML §9.2), and reconnects by itself after the delay the server asked for, sending the
 * last id seen (Last-Event-ID) so no event is missed or repeated.
 */
import type { ApiClient } from '../../../src/contract/client.js';
import type { BootEvent } from '../../../src/contract/schemas.js';
import { SseParser } from '../../../src/contract/sse.js';
import { apiErrorOf } from '../../../src/contract/client.js';

export type FeedState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface FeedOptions {
  client: ApiClient;
  fetch: typeof fetch;
  /** Resume after this event id (e.g. the newest one already shown). */
  lastEventId?: number | null;
  onEvent(event: BootEvent): void;
  onState(state: FeedState): void;
  /** Delay before a reconnect when the server gave none. */
  retryMs?: number;
}

/** Starts following; `stop()` ends it. */
export function followBootEvents(options: FeedOptions): { stop(): void } {
  const abort = new AbortController();
  let lastId = options.lastEventId ?? null;
  let retryMs = options.retryMs ?? 2000;
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    abort.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

  const once = async (): Promise<'again' | 'stop'> => {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...options.client.authHeaders() };
    if (lastId !== null) headers['last-event-id'] = String(lastId);
    const res = await options.fetch(options.client.urlOf('eventStream'), { headers, signal: abort.signal });
    if (res.status === 401 || res.status === 403) { await apiErrorOf(res); return 'stop'; }
    if (!res.ok || !res.body) { await res.body?.cancel(); return 'again'; }
    options.onState('live');
    const parser = new SseParser();
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
          if (ev.event !== 'boot') continue;
          const event = JSON.parse(ev.data) as BootEvent;
          lastId = event.id;
          options.onEvent(event);
        }
        if (parser.retryMs !== null) retryMs = parser.retryMs;
      }
    } finally {
      reader.releaseLock();
    }
    return 'again';
  };

  void (async () => {
    options.onState('connecting');
    while (!abort.signal.aborted) {
      let next: 'again' | 'stop' = 'again';
      try { next = await once(); } catch (err) {
        if ((err as Error).name === 'AbortError') break;
      }
      if (next === 'stop' || abort.signal.aborted) break;
      options.onState('reconnecting');
      await sleep(retryMs);
    }
    options.onState('stopped');
  })();

  return { stop: () => abort.abort() };
}
