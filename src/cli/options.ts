/**
 * Flag parsing shared by the commands: strict parseArgs, --log-level, and the one set of numeric
 * flag validators (whole numbers, ports, decimals). A refused value is a UsageError naming the flag,
 * what it must be and the allowed range, and quoting what was given.
 */
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

/** parseFlags for commands that also take positional arguments (a subcommand's operands). */
export function parseFlagsAndOperands<const O extends NonNullable<ParseArgsConfig['options']>>(commandName: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See 'peerboot ${commandName} --help'.`);
  }
}

/** What a numeric flag may be: its bounds and what the message calls a value. */
export interface NumericRange {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** The message's word for a value: 'number' (default), 'whole number', 'port number', 'number of seconds', … */
  noun?: string;
  /** Said after the range, e.g. '(or --no-cap)'. */
  hint?: string;
}

function inRange(n: number, r: NumericRange): boolean {
  return Number.isFinite(n) && (r.min === undefined || n >= r.min) && (r.above === undefined || n > r.above) && (r.max === undefined || n <= r.max);
}

function refused(flag: string, text: string, r: NumericRange): UsageError {
  let range = '';
  if (r.min !== undefined && r.max !== undefined) range = ` from ${r.min} to ${r.max}`;
  else if (r.above !== undefined && r.max !== undefined) range = ` above ${r.above}, at most ${r.max}`;
  else if (r.min !== undefined) range = ` ≥ ${r.min}`;
  else if (r.above !== undefined) range = ` > ${r.above}`;
  else if (r.max !== undefined) range = ` ≤ ${r.max}`;
  return new UsageError(`${flag} must be a ${r.noun ?? 'number'}${range}${r.hint ? ` ${r.hint}` : ''}, got '${text}'`);
}

/**
 * A whole-number flag value: decimal digits only (a leading '-' too when the range sets no lower
 * bound), within `range`; else a UsageError naming the flag and the range.
 */
export function parseIntegerFlag(flag: string, text: string, range: NumericRange = {}): number {
  const signed = range.min === undefined && range.above === undefined;
  const n = (signed ? /^-?\d+$/ : /^\d+$/).test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || !inRange(n, range)) throw refused(flag, text, range);
  return n;
}

/** A UDP/TCP port flag value, from `min` (1 by default; 0 where the OS may pick one) to 65535. */
export function parsePortFlag(flag: string, text: string, min: 0 | 1 = 1): number {
  return parseIntegerFlag(flag, text, { min, max: 65535, noun: 'port number' });
}

/** A decimal flag value ('20', '0.5', '.5'; no sign, exponent or hex) within `range`. */
export function parseDecimalFlag(flag: string, text: string, range: NumericRange = {}): number {
  const n = /^(\d+|\d*\.\d+)$/.test(text) ? Number(text) : NaN;
  if (!inRange(n, range)) throw refused(flag, text, range);
  return n;
}
