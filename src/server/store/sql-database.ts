/**
 * The seam between the repository and a SQL engine: SQLite (embedded, better-sqlite3) or PostgreSQL
 * (pg). Statements are written once in portable SQL with `?` placeholders; the PostgreSQL driver
 * numbers them ($1, $2, …). Integers that may exceed 32 bits are BIGINT; booleans are INTEGER 0/1;
 * JSON is TEXT; timestamps are BIGINT milliseconds since the epoch.
 */

export type SqlDialect = 'sqlite' | 'postgres';
export type SqlParam = string | number | null;
export type SqlRow = Record<string, unknown>;

/** Runs statements: the database itself, or a transaction in progress. */
export interface SqlExecutor {
  readonly dialect: SqlDialect;
  /** Rows of a SELECT (or of a statement with RETURNING). */
  all<T = SqlRow>(sql: string, params?: SqlParam[]): Promise<T[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: SqlParam[]): Promise<number>;
}

/** A database connection (pool) that can run transactions. */
export interface SqlDatabase extends SqlExecutor {
  /** A human-readable location for messages (file path or host/db), never with a password. */
  readonly location: string;
  /** Runs `fn` in one transaction: commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A database fault shown to the user as one line (file or connection problems). */
export class DatabaseUnavailableError extends Error {
  readonly code = 'SERVER_ERR_DATABASE_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

/** Unique/foreign-key violations, recognized on both engines. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23503' || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
