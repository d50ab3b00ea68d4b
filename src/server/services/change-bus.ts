/**
 * Tells every server process that configuration or an agent changed, so each can push fresh
 * policies to the agents connected to it. In-process for SQLite; PostgreSQL LISTEN/NOTIFY when
 * several servers share one database (every server, including the writer, hears each change).
 */
import pg from 'pg';
import type { Logger } from '../../platform/logger.js';

export type Change =
  | { kind: 'config'; revision: number }
  | { kind: 'agent'; agentId: string }
  /** The bus reconnected and may have missed changes: reload everything. */
  | { kind: 'resync' };

export interface ChangeBus {
  publish(change: Change): Promise<void>;
  subscribe(handler: (change: Change) => void): () => void;
  close(): Promise<void>;
}

/** In-process bus: delivery on a later microtask, like a notification after commit. */
export function memoryChangeBus(): ChangeBus {
  const handlers = new Set<(c: Change) => void>();
  return {
    async publish(change) {
      queueMicrotask(() => { for (const h of handlers) h(change); });
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    async close() { handlers.clear(); },
  };
}

const channel = 'peerboot_changes';

/**
 * PostgreSQL LISTEN/NOTIFY bus. One dedicated connection listens; publishes go through the pool.
 * On a lost connection it reconnects (1 s back-off) and emits `resync`, since NOTIFY is not queued
 * for absent listeners.
 */
export async function postgresChangeBus(url: string, pool: pg.Pool, logger: Logger): Promise<ChangeBus> {
  const handlers = new Set<(c: Change) => void>();
  let client: pg.Client | null = null;
  let closed = false;
  const deliver = (c: Change) => { for (const h of handlers) h(c); };
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (msg) => {
      if (msg.channel !== channel || !msg.payload) return;
      try { deliver(JSON.parse(msg.payload) as Change); } catch { logger.warn('change bus: malformed notification dropped', { reason: 'malformed' }); }
    });
    c.on('error', (err) => {
      logger.warn('change bus: connection lost; reconnecting', { reason: err.message });
      if (client === c) client = null;
      c.end().catch(() => {});
      if (!closed) setTimeout(() => { void reconnect(); }, 1000).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${channel}`);
    client = c;
  };
  const reconnect = async () => {
    if (closed || client) return;
    try {
      await connect();
      deliver({ kind: 'resync' });
    } catch (err) {
      logger.warn('change bus: reconnect failed; retrying', { reason: (err as Error).message });
      if (!closed) setTimeout(() => { void reconnect(); }, 1000).unref();
    }
  };
  await connect();
  return {
    async publish(change) {
      await pool.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify(change)]);
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    async close() {
      closed = true;
      handlers.clear();
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
