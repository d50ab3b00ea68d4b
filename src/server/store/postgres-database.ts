/**
 * PostgreSQL driver (pg Pool), for several servers over one database. Converts `?` placeholders to
 * `$n`, returns BIGINT as numbers (our values stay below 2^53: milliseconds, counters), and maps
 * connection failures to one clear line.
 */
import pg from 'pg';
import { DatabaseUnavailableError, type SqlDatabase, type SqlExecutor, type SqlParam } from './sql-database.js';

const numberedCache = new Map<string, string>();
/** `?` → `$1…`; our SQL never has `?` inside string literals. */
export function numberPlaceholders(sql: string): string {
  let out = numberedCache.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    numberedCache.set(sql, out);
  }
  return out;
}

const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20) return (v: string) => Number(v); // int8 → number
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** Where a connection string points, without the password. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    return `${host}${u.port ? ':' + u.port : ''}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

function unavailable(location: string, err: unknown): DatabaseUnavailableError {
  const e = err as { code?: string; message?: string };
  return new DatabaseUnavailableError(`cannot use PostgreSQL at ${location}: ${[e.code, e.message].filter(Boolean).join(' ')}`);
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'ENOENT', 'EHOSTUNREACH', '28P01', '28000', '3D000', '57P03'].includes(code);
}

/** Connects a pool and checks it answers; throws DatabaseUnavailableError with one clear line if not. */
export async function openPostgresDatabase(url: string, options: { poolSize?: number } = {}): Promise<SqlDatabase & { pool: pg.Pool }> {
  const location = describePostgresUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => { /* idle client errors surface on the next query */ });
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw unavailable(location, err);
  }
  const wrap = async <T>(f: () => Promise<T>): Promise<T> => {
    try { return await f(); } catch (err) { throw isConnectionError(err) ? unavailable(location, err) : err; }
  };
  const executorOf = (q: pg.Pool | pg.PoolClient): SqlExecutor => ({
    dialect: 'postgres',
    all: <T>(sql: string, params: SqlParam[] = []) => wrap(async () => (await q.query(numberPlaceholders(sql), params)).rows as T[]),
    run: (sql: string, params: SqlParam[] = []) => wrap(async () => (await q.query(numberPlaceholders(sql), params)).rowCount ?? 0),
  });
  const base = executorOf(pool);
  return {
    ...base,
    location,
    pool,
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await wrap(() => pool.connect());
      try {
        await client.query('BEGIN');
        try {
          const result = await fn(executorOf(client));
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}
