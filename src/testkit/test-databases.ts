/**
 * Runs a test suite once per database engine: SQLite (in memory) and PostgreSQL (a throwaway
 * cluster started for the file, one fresh database per store). Imported only by tests.
 */
import { after, before, describe } from 'node:test';
import { startPostgresTestCluster, type PostgresTestCluster } from './postgres-test-cluster.js';
import { openStore, type Store } from '../server/store/store.js';

export interface DatabaseFixture {
  engine: 'sqlite' | 'postgres';
  /** A migrated store over a fresh, empty database. */
  openStore(): Promise<Store>;
}

/** describe('sqlite') and describe('postgres') around `suite`. */
export function forEachDatabase(suite: (fx: DatabaseFixture) => void): void {
  describe('sqlite', () => {
    suite({
      engine: 'sqlite',
      openStore: () => openStore({ databaseUrl: 'sqlite::memory:' }),
    });
  });
  describe('postgres', () => {
    let cluster: PostgresTestCluster | null = null;
    before(async () => { cluster = await startPostgresTestCluster(); });
    after(async () => { await cluster?.close(); });
    suite({
      engine: 'postgres',
      openStore: async () => openStore({ databaseUrl: await cluster!.createDatabase() }),
    });
  });
}
