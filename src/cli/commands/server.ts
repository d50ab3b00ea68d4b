/**
 * `peerboot server`: runs the control plane. Embedded SQLite in the data directory by default;
 * PostgreSQL with --database postgres://… (several servers may share one database). Prints the
 * console URL and, on the first start, where the initial admin's credentials are.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatInitialAdmin } from '../../contract/credential-file.js';
import { PeerbootError } from '../../contract/error-codes.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { parseFlags, parseIntegerFlag } from '../options.js';
import { jsonLogger } from '../../platform/logger.js';
import { defaultServerConfig, parseListen, type ServerConfig } from '../../server/config.js';
import { startServer } from '../../server/server.js';
import { DatabaseUnavailableError } from '../../server/store/sql-database.js';

const usage = `Usage: peerboot server [--data-dir DIR] [--listen HOST:PORT] [--database URL] [options]

Runs the peerboot control plane: REST API (/api/v1, OpenAPI at /openapi.json), policy push to
agents, package store, Prometheus /metrics, /healthz. Logs are JSON lines on stdout.

Options:
  --data-dir DIR       database file (SQLite), content store, initial-admin.txt
                       (default /var/lib/peerboot as root, else ~/.local/share/peerboot)
  --listen HOST:PORT   address to listen on (default 0.0.0.0:8470; port 0 picks a free one)
  --database URL       postgres://user:pass@host:5432/db to use PostgreSQL instead of SQLite;
                       run several servers on one database to scale out
  --tls-cert FILE      serve HTTPS with this PEM certificate (with --tls-key)
  --tls-key FILE       the certificate's PEM private key
  --log-level LEVEL    debug | info | warn | error (default info)
  --events-retention-days N   keep boot events this long (default 90)
`;

/** Parses flags into a config (exported for tests). */
export function serverConfigFromArgs(argv: string[]): ServerConfig {
  const { values } = parseFlags('server', argv, {
    'data-dir': { type: 'string' }, listen: { type: 'string' }, database: { type: 'string' },
    'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'log-level': { type: 'string' },
    'events-retention-days': { type: 'string' },
  });
  const config = defaultServerConfig();
  if (values['data-dir']) config.dataDir = values['data-dir'];
  if (values.listen) {
    const l = parseListen(values.listen);
    if (!l) throw new UsageError(`--listen ${values.listen}: expected HOST:PORT, e.g. 0.0.0.0:8470`);
    config.host = l.host;
    config.port = l.port;
  }
  if (values.database) {
    if (!/^(postgres(ql)?:\/\/|sqlite:)/.test(values.database)) throw new UsageError(`--database: expected postgres://… (or sqlite:PATH), got ${values.database.replace(/:[^:@/]*@/, ':***@')}`);
    config.databaseUrl = values.database;
  }
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new UsageError('--tls-cert and --tls-key go together');
  config.tlsCertPath = values['tls-cert'];
  config.tlsKeyPath = values['tls-key'];
  const level = values['log-level'] ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(`--log-level ${level}: expected debug, info, warn or error`);
  config.logLevel = level as ServerConfig['logLevel'];
  const retention = values['events-retention-days'];
  if (retention !== undefined) {
    config.eventsRetentionDays = parseIntegerFlag('--events-retention-days', retention, { min: 1, noun: 'whole number of days' });
  }
  return config;
}

export const serverCommand: Command = {
  name: 'server',
  summary: 'Run the control plane (API, policy push, packages); SQLite by default, PostgreSQL to scale out',
  usage,
  async run(argv) {
    const config = serverConfigFromArgs(argv);
    const logger = jsonLogger({ minLevel: config.logLevel });
    let server;
    try {
      server = await startServer(config, logger);
    } catch (err) {
      if (err instanceof DatabaseUnavailableError) throw new UsageError(err.message, 1);
      if (err instanceof PeerbootError) throw new UsageError(`${err.message} [${err.code}]`, 1);
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') throw new UsageError(`cannot listen on ${config.host}:${config.port}: address in use (pick another with --listen)`, 1);
      if (e.code === 'EACCES' || e.code === 'EPERM') throw new UsageError(`${e.message} (check --data-dir permissions, or ports below 1024 need root)`, 1);
      throw err;
    }
    const adminFile = join(config.dataDir, 'initial-admin.txt');
    if (server.initialAdmin) {
      writeFileSync(adminFile, formatInitialAdmin(server.initialAdmin.username, server.initialAdmin.password, server.url), { mode: 0o600, flag: 'w' });
    }
    process.stderr.write(`peerboot server ${server.url}\n  console & API: ${server.url}/  (OpenAPI: ${server.url}/openapi.json)\n`);
    if (server.initialAdmin || existsSync(adminFile)) {
      process.stderr.write(`  first admin: credentials are in ${adminFile} (mode 0600; delete after changing the password)\n`);
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info('stopping', { signal });
        void server.close().finally(resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return 0;
  },
};
