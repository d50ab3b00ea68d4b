// Goal: the console's link handling is right: a network failure marks the link lost and probes
// /healthz until the server answers (then listeners reload), 502/503/504 count as lost, a 401 on an
// authenticated call ends the session while a refused login does not, the server's Date header
// corrects a skewed clock; server validation errors map to the field they name.
// Method: ConnectionMonitor over a scripted fetch with manual timers; ApiError values.
import { describe, expect, test } from 'vitest';
import { ApiError } from '../../../src/contract/errors.js';
import { ConnectionLostError, ConnectionMonitor } from './connection.js';
import { concerns, fieldMessage, formMessage, messageOf } from './field-errors.js';

function harness(answers: Array<Response | Error>) {
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const calls: string[] = [];
  const fetchImpl = async (input: RequestInfo | URL) => {
    calls.push(String(input));
    const a = answers.shift() ?? new Response('{}', { status: 200 });
    if (a instanceof Error) throw a;
    return a;
  };
  const m = new ConnectionMonitor({ fetch: fetchImpl as typeof fetch, healthUrl: '/healthz', retryDelaysMs: [10, 20], setTimer: (fn, ms) => { timers.push({ fn, ms }); return timers.length; }, clearTimer: () => {}, nowMs: () => 1_000_000 });
  const states: string[] = [];
  m.on('state', (s) => states.push(s));
  const fireNext = async () => { const t = timers.shift(); t?.fn(); await new Promise((r) => setTimeout(r, 0)); return t?.ms; };
  return { m, calls, states, timers, fireNext };
}

describe('ConnectionMonitor', () => {
  test('lost on a network error, probes with back-off until /healthz answers, then online again', async () => {
    const h = harness([new TypeError('fetch failed'), new TypeError('still down'), new Response('{}', { status: 503 }), new Response('{"status":"ok"}', { status: 200 })]);
    await expect(h.m.fetch('/api/v1/agents')).rejects.toBeInstanceOf(ConnectionLostError);
    expect(h.m.state).toBe('offline');
    expect(h.states).toEqual(['offline']);
    expect(await h.fireNext()).toBe(10);
    expect(h.m.state).toBe('offline');
    expect(await h.fireNext()).toBe(20);
    expect(h.m.state).toBe('offline');
    expect(await h.fireNext()).toBe(20);
    expect(h.m.state).toBe('online');
    expect(h.states).toEqual(['offline', 'online']);
    expect(h.calls).toEqual(['/api/v1/agents', '/healthz', '/healthz', '/healthz']);
  });

  test('a 503 answer counts as lost but is still returned', async () => {
    const h = harness([new Response('{"code":"SERVER_ERR_UNAVAILABLE"}', { status: 503 })]);
    const res = await h.m.fetch('/api/v1/coverage');
    expect(res.status).toBe(503);
    expect(h.m.state).toBe('offline');
  });

  test('401 with a token ends the session; a refused login (no token) does not', async () => {
    const h = harness([new Response('{}', { status: 401 }), new Response('{}', { status: 401 })]);
    let ended = 0;
    h.m.on('unauthenticated', () => { ended += 1; });
    await h.m.fetch('/api/v1/auth/login', { method: 'POST' });
    expect(ended).toBe(0);
    await h.m.fetch('/api/v1/agents', { headers: { authorization: 'Bearer x' } });
    expect(ended).toBe(1);
  });

  test('the server clock comes from the Date header when it is clearly off', async () => {
    const serverTime = new Date(1_000_000 + 600_000);
    const h = harness([new Response('{}', { status: 200, headers: { date: serverTime.toUTCString() } })]);
    await h.m.fetch('/api/v1/agents');
    expect(Math.abs(h.m.serverNowMs() - serverTime.getTime())).toBeLessThan(1000);
  });

  test('an aborted call is not a lost link', async () => {
    const abort = new DOMException('aborted', 'AbortError');
    const h = harness([abort as unknown as Error]);
    await expect(h.m.fetch('/x')).rejects.toThrow();
    expect(h.m.state).toBe('online');
  });
});

describe('field errors', () => {
  const err = new ApiError(400, 'SERVER_ERR_VALIDATION', 'body.rules[0].cidr must be IPv4 network, a.b.c.d/len', 'body.rules[0].cidr');
  test('a field and what is inside it', () => {
    expect(concerns(err, 'body.rules[0].cidr')).toBe(true);
    expect(concerns(err, 'body.rules[0]')).toBe(true);
    expect(concerns(err, 'body.rules')).toBe(true);
    expect(concerns(err, 'body.rule')).toBe(false);
    expect(concerns(err, 'body.name')).toBe(false);
    expect(concerns(new Error('x'), 'body.name')).toBe(false);
  });
  test('beside the field without the field name; at the top when no field claims it', () => {
    expect(fieldMessage(err, 'body.rules[0].cidr')).toBe('Must be IPv4 network, a.b.c.d/len');
    expect(fieldMessage(err, 'body.name')).toBeUndefined();
    expect(formMessage(err, ['body.rules'])).toBeUndefined();
    expect(formMessage(err, ['body.name'])).toBe('Body.rules[0].cidr must be IPv4 network, a.b.c.d/len');
    expect(formMessage(null, ['body.name'])).toBeUndefined();
  });
  test('messages for people', () => {
    expect(messageOf(new ConnectionLostError())).toMatch(/cannot be reached.*kept/);
    expect(messageOf(new ApiError(401, 'SERVER_ERR_TOKEN_EXPIRED', 'token expired'))).toMatch(/Log in again/);
    expect(messageOf(new ApiError(500, 'SERVER_ERR_INTERNAL', 'internal error'))).toMatch(/SERVER_ERR_INTERNAL/);
    expect(messageOf(new ApiError(409, 'SERVER_ERR_CONFLICT', 'subnet 10.0.0.0/24 already belongs to site x'))).toBe('Subnet 10.0.0.0/24 already belongs to site x');
  });
});
