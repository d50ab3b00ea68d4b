/**
 * A throwaway PostgreSQL cluster for tests and benches: initdb into a temp dir, start postgres on a
 * unix socket only (no TCP), hand out fresh databases, stop and delete on close. Runs postgres as the
 * `postgres` user when we are root (initdb refuses root). Imported only by tests and bench/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresTestCluster {
  /** Creates an empty database and returns its connection URL. */
  createDatabase(): Promise<string>;
  /** postgres:// URL of the maintenance database. */
  readonly adminUrl: string;
  close(): Promise<void>;
}

function findBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) {
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (install the Debian `postgresql` package: scripts/install-deps.sh)');
  }
  return join(root, versions[0]!, 'bin');
}

/** Starts a cluster; rejects with a clear message if the binaries are missing or it does not come up. */
export async function startPostgresTestCluster(): Promise<PostgresTestCluster> {
  const bin = findBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'peerboot-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'postgres' : (process.env.USER ?? 'postgres');
  // As root, run the server binaries as the postgres user directly (spawn uid/gid), so signals reach postgres itself.
  const ids = asRoot
    ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) }
    : {};
  if (asRoot) chownSync(dir, ids.uid!, ids.gid!);
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-sync'], { stdio: 'pipe', cwd: dir, ...ids });
  const child: ChildProcess = spawn(join(bin, 'postgres'), ['-D', data, '-k', dir, '-c', 'listen_addresses=', '-c', 'fsync=off',
    '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300', '-p', '5432'],
  { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...ids });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
  const adminUrl = `postgres://${user}@localhost/postgres?host=${encodeURIComponent(dir)}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const c = new pg.Client({ connectionString: adminUrl });
    try { await c.connect(); await c.end(); break; } catch {
      await c.end().catch(() => {});
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`test PostgreSQL did not start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let n = 0;
  return {
    adminUrl,
    async createDatabase() {
      const name = `t${process.pid}_${++n}`;
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try { await c.query(`CREATE DATABASE ${name}`); } finally { await c.end(); }
      return `postgres://${user}@localhost/${name}?host=${encodeURIComponent(dir)}`;
    },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT'); // fast shutdown
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
