/**
 * SQLite driver (better-sqlite3): the zero-configuration default, one file in the data directory.
 * better-sqlite3 is synchronous, so an async transaction holds a lock that every other statement
 * waits for: statements from other requests never interleave with an open transaction.
 */
import Database from 'better-sqlite3';
import { DatabaseUnavailableError, type SqlDatabase, type SqlExecutor, type SqlParam } from './sql-database.js';
import { ensurePrivateFile } from '../../platform/private-files.js';

class AsyncLock {
  #tail: Promise<void> = Promise.resolve();
  async acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => { release = r; });
    const prev = this.#tail;
    this.#tail = prev.then(() => next);
    await prev;
    return release;
  }
}

/** Opens (creating if needed, 0600) the database file; `:memory:` for tests. One clear error if it cannot. */
export function openSqliteDatabase(path: string): SqlDatabase {
  let db: Database.Database;
  try {
    // The file holds password and token hashes and the signing key: 0600 before SQLite opens it
    // (its -wal and -shm files take the database file's mode).
    if (path !== ':memory:') ensurePrivateFile(path);
    db = new Database(path, { fileMustExist: false });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new DatabaseUnavailableError(`cannot open SQLite database ${path}: ${e.code ?? ''} ${e.message ?? err}`.replace(/\s+/g, ' ').trim());
  }
  const stmts = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let s = stmts.get(sql);
    if (!s) { s = db.prepare(sql); stmts.set(sql, s); }
    return s;
  };
  const direct: SqlExecutor = {
    dialect: 'sqlite',
    async all<T>(sql: string, params: SqlParam[] = []) {
      const s = prepare(sql);
      return (s.reader ? s.all(...params) : (s.run(...params), [])) as T[];
    },
    async run(sql: string, params: SqlParam[] = []) {
      return prepare(sql).run(...params).changes;
    },
  };
  const lock = new AsyncLock();
  return {
    dialect: 'sqlite',
    location: path,
    async all<T>(sql: string, params?: SqlParam[]) {
      const release = await lock.acquire();
      try { return await direct.all<T>(sql, params); } finally { release(); }
    },
    async run(sql: string, params?: SqlParam[]) {
      const release = await lock.acquire();
      try { return await direct.run(sql, params); } finally { release(); }
    },
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const release = await lock.acquire();
      try {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(direct);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      } finally {
        release();
      }
    },
    async close() {
      const release = await lock.acquire();
      try { db.close(); } finally { release(); }
    },
  };
}
