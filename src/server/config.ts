/**
 * The server's one typed configuration, its defaults, and parsing of `HOST:PORT`. Validated once by
 * the CLI (src/cli/commands/server.ts); nothing else reads flags or the environment.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ServerConfig {
  /** Holds peerboot.db (SQLite), content/ (chunk store), initial-admin.txt. */
  dataDir: string;
  host: string;
  port: number;
  /** postgres://… to use PostgreSQL; absent for the embedded SQLite file. */
  databaseUrl?: string;
  /** PEM files for HTTPS; both or neither. */
  tlsCertPath?: string;
  tlsKeyPath?: string;
  /** Policy-change debounce: bursts of edits become one push. */
  policyDebounceMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Boot events older than this are deleted (hourly). */
  eventsRetentionDays: number;
}

export const defaultListen = { host: '0.0.0.0', port: 8470 };

export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/peerboot' : join(homedir(), '.local', 'share', 'peerboot');
}

export const defaultServerConfig = (): ServerConfig => ({
  dataDir: defaultDataDir(),
  host: defaultListen.host,
  port: defaultListen.port,
  policyDebounceMs: 25,
  logLevel: 'info',
  eventsRetentionDays: 90,
});

/** `HOST:PORT`, `:PORT`, `[v6]:PORT` → parts; null when malformed. */
export function parseListen(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
