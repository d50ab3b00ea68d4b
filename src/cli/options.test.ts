// Goal: the one set of numeric flag validators takes exactly the plain decimal forms within range
// and refuses everything else with one UsageError naming the flag, what it must be, the range and
// the value given (the texts test/interop asserts for `peerboot tftp` among them).
// Method: table cases against each validator.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from './command.js';
import { parseDecimalFlag, parseIntegerFlag, parsePortFlag } from './options.js';

const refusedWith = (message: string) => (e: unknown) => e instanceof UsageError && e.message === message;

test('whole numbers: digits only, within the range; a signed form only where no lower bound is set', () => {
  assert.equal(parseIntegerFlag('--max-per-client', '7', { min: 1, max: 200 }), 7);
  assert.equal(parseIntegerFlag('--tftp-blksize', '-5', { noun: 'whole number' }), -5);
  assert.equal(parseIntegerFlag('--hours', '0', { min: 0, noun: 'whole number' }), 0);
  for (const bad of ['0', '201', '1.5', '', ' 7', '0x10', '1e2', '-1']) {
    assert.throws(() => parseIntegerFlag('--max-per-client', bad, { min: 1, max: 200 }), refusedWith(`--max-per-client must be a number from 1 to 200, got '${bad}'`), bad);
  }
  assert.throws(() => parseIntegerFlag('--tftp-windowsize', '4.0', { noun: 'whole number' }), refusedWith("--tftp-windowsize must be a whole number, got '4.0'"));
  assert.throws(() => parseIntegerFlag('--events-retention-days', '0', { min: 1, noun: 'whole number of days' }), refusedWith("--events-retention-days must be a whole number of days ≥ 1, got '0'"));
  assert.throws(() => parseIntegerFlag('--hours', '99999999999999999999', { min: 0, noun: 'whole number' }), UsageError, 'beyond a safe integer');
});

test('ports: 1 to 65535, or 0 to 65535 where the OS may pick', () => {
  assert.equal(parsePortFlag('--tftp-port', '69'), 69);
  assert.equal(parsePortFlag('--port', '0', 0), 0);
  assert.equal(parsePortFlag('--port', '65535', 0), 65535);
  assert.throws(() => parsePortFlag('--http-port', '0'), refusedWith("--http-port must be a port number from 1 to 65535, got '0'"));
  assert.throws(() => parsePortFlag('--port', '65536', 0), refusedWith("--port must be a port number from 0 to 65535, got '65536'"));
  assert.throws(() => parsePortFlag('--port', 'http', 0), refusedWith("--port must be a port number from 0 to 65535, got 'http'"));
});

test('decimals: digits with an optional fraction, within inclusive or exclusive bounds; a hint after the range', () => {
  assert.equal(parseDecimalFlag('--watch', '0.5', { above: 0, noun: 'number of seconds' }), 0.5);
  assert.equal(parseDecimalFlag('--watch', '.5', { above: 0, noun: 'number of seconds' }), 0.5);
  assert.equal(parseDecimalFlag('--reply-delay-ms', '10000', { min: 0, max: 10_000 }), 10_000);
  assert.throws(() => parseDecimalFlag('--watch', '0', { above: 0, noun: 'number of seconds' }), refusedWith("--watch must be a number of seconds > 0, got '0'"));
  assert.throws(() => parseDecimalFlag('--timeout', '5', { min: 10, noun: 'number of seconds' }), refusedWith("--timeout must be a number of seconds ≥ 10, got '5'"));
  for (const bad of ['-1', '1e3', '20M', '', '5.', '10001', 'Infinity']) {
    assert.throws(() => parseDecimalFlag('--reply-delay-ms', bad, { min: 0, max: 10_000 }), refusedWith(`--reply-delay-ms must be a number from 0 to 10000, got '${bad}'`), bad);
  }
  assert.throws(() => parseDecimalFlag('--cap-mbit', '0.05', { min: 0.064, max: 10_000, noun: 'rate in Mbit/s', hint: '(or --no-cap)' }),
    refusedWith("--cap-mbit must be a rate in Mbit/s from 0.064 to 10000 (or --no-cap), got '0.05'"));
});
