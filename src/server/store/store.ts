/**
 * Opens the configured database (SQLite file by default, PostgreSQL for a postgres:// URL), applies
 * migrations, and hands out a Repository for reads and transactions for writes.
 */
import { join } from 'node:path';
import { migrate } from './migrations.js';
import { openPostgresDatabase } from './postgres-database.js';
import { Repository } from './repository.js';
import type { SqlDatabase } from './sql-database.js';
import { openSqliteDatabase } from './sqlite-database.js';

export class Store {
  readonly read: Repository;
  constructor(readonly db: SqlDatabase) {
    this.read = new Repository(db);
  }

  /** Runs `fn` in one transaction; nothing it wrote stays if it throws. */
  write<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new Repository(tx)));
  }

  /** Runs reads in one transaction that sees one point in time (REPEATABLE READ on PostgreSQL). */
  readConsistent<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.run('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return fn(new Repository(tx));
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** `postgres://…`/`postgresql://…` → PostgreSQL; `sqlite:PATH`, a path, or nothing → SQLite (in dataDir). */
export async function openStore(options: { databaseUrl?: string; dataDir?: string }): Promise<Store> {
  const url = options.databaseUrl;
  let db: SqlDatabase;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    db = await openPostgresDatabase(url);
  } else {
    const path = url ? url.replace(/^sqlite:/, '') : join(options.dataDir ?? '.', 'peerboot.db');
    db = openSqliteDatabase(path);
  }
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return new Store(db);
}
