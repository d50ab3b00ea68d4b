/**
 * The console's live boot-event feed, `GET /api/v1/events/stream`: server-sent events (WHATWG HTML
 * §9.2) carrying each stored boot event as `event: boot`, its database id as the SSE id. The feed
 * polls the database for rows after the last id it sent, so with several servers on one PostgreSQL
 * every console sees every agent's events, whichever server the agent reported to; a reconnect
 * that sends Last-Event-ID resumes without a gap.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from './services/service-context.js';

export interface BootEventStreamOptions {
  /** How often the database is asked for new events. */
  pollMs?: number;
  /** Keep-alive comment interval (proxies close idle connections). */
  pingMs?: number;
  /** Events read per poll; more wait for the next poll, so none is skipped. */
  batchMax?: number;
}

/** Last-Event-ID as an event id, or null when absent or not a non-negative integer. */
export function lastEventIdOf(header: string | string[] | undefined): number | null {
  if (typeof header !== 'string' || !/^\d{1,15}$/.test(header)) return null;
  return Number(header);
}

/** One SSE frame for a boot event. JSON has no raw newlines, so one `data:` line is enough. */
export function bootEventFrame(event: { id: number }): string {
  return `id: ${event.id}\nevent: boot\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Takes over the reply and streams boot events until the client goes away or the server closes. */
export async function streamBootEvents(ctx: ServiceContext, req: FastifyRequest, reply: FastifyReply, options: BootEventStreamOptions = {}): Promise<void> {
  const pollMs = options.pollMs ?? 1000;
  const batchMax = options.batchMax ?? 500;
  const log = ctx.logger.child({ component: 'event-stream' });
  let afterId = lastEventIdOf(req.headers['last-event-id']) ?? await ctx.store.read.lastEventId();
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  // `retry` sets the browser's reconnect delay (HTML §9.2.6).
  raw.write('retry: 2000\n\n');
  ctx.counters.increment('event_streams_opened_total');
  let closed = false;
  let busy = false;
  const poll = async () => {
    if (closed || busy) return;
    busy = true;
    try {
      const events = await ctx.store.read.listEvents({ afterId, limit: batchMax });
      for (const e of events) {
        if (closed) break;
        raw.write(bootEventFrame(e));
        afterId = e.id;
      }
    } catch (err) {
      // The database may be briefly away (restart, failover): keep the stream, try again next tick.
      log.warn('event stream poll failed', { reason: (err as Error).message });
    } finally {
      busy = false;
    }
  };
  const pollTimer = setInterval(() => { void poll(); }, pollMs);
  const pingTimer = setInterval(() => { if (!closed) raw.write(': ping\n\n'); }, options.pingMs ?? 25_000);
  pollTimer.unref();
  pingTimer.unref();
  raw.on('close', () => {
    closed = true;
    clearInterval(pollTimer);
    clearInterval(pingTimer);
    ctx.counters.increment('event_streams_closed_total');
  });
  void poll();
}
