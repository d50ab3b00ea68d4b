/**
 * Structured logging as a dependency: one JSON object per line, fixed keys (mac, xid, reason, …).
 * Libraries take a Logger; only main programs pick the sink. `silentLogger` is the default in tests.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. { component: 'tftp' }). */
  child(fields: LogFields): Logger;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** JSON lines to a writable (stdout by default), dropping lines below `minLevel`. */
export function jsonLogger(
  options: { minLevel?: LogLevel; write?: (line: string) => void; base?: LogFields; now?: () => Date } = {},
): Logger {
  const minRank = levelRank[options.minLevel ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  const base = options.base ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (levelRank[level] < minRank) return;
    write(JSON.stringify({ time: now().toISOString(), level, msg, ...base, ...fields }) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => jsonLogger({ ...options, base: { ...base, ...fields } }),
  };
}

/** Discards everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/** Keeps every line in memory: for tests that assert what was logged. */
export function memoryLogger(): Logger & { lines: Array<{ level: LogLevel; msg: string } & LogFields> } {
  const lines: Array<{ level: LogLevel; msg: string } & LogFields> = [];
  const make = (base: LogFields): Logger => {
    const push = (level: LogLevel) => (msg: string, fields?: LogFields) => lines.push({ level, msg, ...base, ...fields });
    return { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error'), child: (f) => make({ ...base, ...f }) };
  };
  return Object.assign(make({}), { lines });
}
