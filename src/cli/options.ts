/** Flag parsing shared by the foreground commands. */
import type { LogLevel } from '../platform/logger.js';
import { UsageError } from './command.js';

const levels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** `--log-level` value (default info), or a UsageError listing the choices. */
export function parseLogLevel(text: string | undefined): LogLevel {
  const level = (text ?? 'info') as LogLevel;
  if (!levels.includes(level)) throw new UsageError(`--log-level must be ${levels.join(', ')}; got '${text}'`);
  return level;
}
