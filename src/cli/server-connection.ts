/**
 * How server-side CLI commands reach the control plane: --server and --token flags, else the
 * PEERBOOT_SERVER / PEERBOOT_TOKEN environment (flag prefix), else the session saved by
 * `peerboot admin login` in ~/.config/peerboot/cli.json (mode 0600). Always through the contract's
 * typed client: the CLI never opens the database.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ApiClient } from '../contract/client.js';
import { ApiError } from '../contract/errors.js';
import { UsageError } from './command.js';

export interface SavedSession { server: string; token: string; username?: string }

export function defaultCliConfigPath(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'peerboot', 'cli.json');
}

export function readSavedSession(path: string): SavedSession | null {
  try { return JSON.parse(readFileSync(path, 'utf8')) as SavedSession; } catch { return null; }
}

export function saveSession(path: string, session: SavedSession): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify(session, null, 2) + '\n', { mode: 0o600 });
}

/** A client for the flags given (server/token/config), or a UsageError naming what to pass. */
export function connect(flags: { server?: string; token?: string; config?: string }): ApiClient {
  const saved = readSavedSession(flags.config ?? defaultCliConfigPath());
  const server = flags.server ?? process.env.PEERBOOT_SERVER ?? saved?.server;
  const token = flags.token ?? process.env.PEERBOOT_TOKEN ?? (saved && (!flags.server || flags.server === saved.server) ? saved.token : undefined);
  if (!server) throw new UsageError('no server: pass --server URL (or run peerboot admin login --server URL)');
  if (!token) throw new UsageError(`no credentials for ${server}: run peerboot admin login --server ${server}, or pass --token`);
  return new ApiClient({ baseUrl: server, token });
}

/**
 * Turns API and network failures into one-line user errors. A 401 on an ordinary call means the
 * saved session or token is no longer good (hint: log in); while logging in it means the username
 * or password was wrong, and the server's words say so.
 */
export async function explainFailures<T>(server: string, fn: () => Promise<T>, opts: { loggingIn?: boolean } = {}): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) {
      const hint = err.status === 401 && !opts.loggingIn ? ` (log in again: peerboot admin login --server ${server.replace(/\/healthz$/, '')})` : '';
      throw new UsageError(`${err.message}${err.field ? ` [${err.field}]` : ''}${hint}`, 1);
    }
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === 'ECONNREFUSED' || cause?.code === 'ENOTFOUND') throw new UsageError(`cannot reach ${server}: ${cause.code} (is peerboot server running?)`, 1);
    throw err;
  }
}

/** A one-line progress bar on a TTY (stderr); silent when not a terminal. */
export function progressBar(label: string, totalBytes: number, out: NodeJS.WriteStream = process.stderr) {
  let done = 0;
  let lastDraw = 0;
  const mib = (n: number) => (n / 1048576).toFixed(1);
  const draw = (force = false) => {
    if (!out.isTTY) return;
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const width = 30;
    const frac = totalBytes === 0 ? 1 : Math.min(1, done / totalBytes);
    const filled = Math.round(frac * width);
    out.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}% ${mib(done)}/${mib(totalBytes)} MiB`);
  };
  return {
    add(bytes: number) { done += bytes; draw(); },
    finish() { done = totalBytes; draw(true); if (out.isTTY) out.write('\n'); },
  };
}
