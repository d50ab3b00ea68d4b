/**
 * Agent side of policy push: reads the server's `GET /api/v1/agent/policy/stream` (server-sent
 * events) with fetch and hands each `policy` event's parsed document to the caller, who verifies
 * it (verifyPolicy / decidePolicyUpdate) before use. Reconnecting and the ETag-polling fallback
 * are the caller's loop; `lastEventId` makes a reconnect skip the document already held.
 */
import { api } from '../contract/api.js';
import { apiErrorOf } from '../contract/client.js';
import { SseParser } from '../contract/sse.js';

export interface PolicyStreamOptions {
  baseUrl: string;
  /** The agent credential from enrollment. */
  token: string;
  /** Etag of the document held: the server then sends only a different one. */
  lastEventId?: string | null;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Called with each received document (unverified JSON) and its etag (the SSE id). */
  onPolicy(doc: unknown, etag: string | null): void;
  /** Called once the server accepted the stream (HTTP 200). */
  onOpen?(): void;
}

/** Reads one stream until the server or `signal` ends it. Throws ApiError on 4xx/5xx, and on a malformed event. */
export async function readPolicyStream(options: PolicyStreamOptions): Promise<{ retryMs: number | null; lastEventId: string | null }> {
  const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${options.token}` };
  if (options.lastEventId) headers['last-event-id'] = options.lastEventId;
  const res = await (options.fetch ?? fetch)(options.baseUrl.replace(/\/+$/, '') + api.agentPolicyStream.path, { headers, signal: options.signal });
  if (res.status >= 400) throw await apiErrorOf(res);
  if (!res.body) throw new Error('policy stream: empty body');
  options.onOpen?.();
  const parser = new SseParser();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
        if (ev.event !== 'policy') continue;
        options.onPolicy(JSON.parse(ev.data), ev.id);
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  } finally {
    reader.releaseLock();
  }
  return { retryMs: parser.retryMs, lastEventId: parser.lastEventId };
}
