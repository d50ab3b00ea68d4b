/** Flag parsing shared by the foreground commands. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { LogLevel } from '../platform/logger.js';
import { UsageError } from './command.js';

const levels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** `--log-level` value (default info), or a UsageError listing the choices. */
export function parseLogLevel(text: string | undefined): LogLevel {
  const level = (text ?? 'info') as LogLevel;
  if (!levels.includes(level)) throw new UsageError(`--log-level must be ${levels.join(', ')}; got '${text}'`);
  return level;
}

/**
 * node:util parseArgs in strict mode (no positionals), with a parse failure turned into a
 * UsageError that points at the command's --help.
 */
export function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>>(commandName: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See 'peerboot ${commandName} --help'.`);
  }
}
