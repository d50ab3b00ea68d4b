// Goal: counters are Prometheus series with labels under one naming rule (`<subsystem>_<what>_total`,
// snake_case, variants as label values); a bad name throws at its first use; every name written in
// src is valid. Method: table tests of the validators and the Counters API, then a scan of src/**/*.ts
// for counter-name literals (increment/series first arguments and any '…_total' string).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Counters, counterNameProblem, labelNameProblem } from './counters.js';

test('the name validator accepts the Prometheus grammar in our style and refuses everything else', () => {
  for (const good of ['dhcp_received_total', 'election_dropped_total', 'tftp_bytes_sent_total', 'swarm_have_send_errors_total', 'http_requests_total']) {
    assert.equal(counterNameProblem(good), null, good);
  }
  for (const bad of ['election.tx.errors', 'swarm.have.drop.bad-signature', 'auth_refused_total{reason="x"}', 'wan.probe-errors', '9lives_total', '']) {
    assert.match(counterNameProblem(bad) ?? '', /not a Prometheus metric name/, bad);
  }
  // Valid Prometheus, but not our style: camelCase, no `_total`, no subsystem, colons (reserved for recording rules).
  for (const offStyle of ['tftp_transfers_clientGone_total', 'dhcp_received', 'packets_total', 'job:dhcp_received_total', '_dhcp_received_total', 'dhcp__received_total', 'total']) {
    assert.match(counterNameProblem(offStyle) ?? '', /<subsystem>_<what>_total/, offStyle);
  }
});

test('the label validator accepts snake_case label names and refuses reserved or invalid ones', () => {
  for (const good of ['reason', 'outcome', 'status', 'auth_reason']) assert.equal(labelNameProblem(good), null, good);
  for (const bad of ['__name__', '__reserved', 'bad-label', '1st', 'a.b', '']) assert.match(labelNameProblem(bad) ?? '', /not a Prometheus label name/, bad);
  assert.match(labelNameProblem('Reason') ?? '', /snake_case/);
});

test('a bad metric or label name throws at increment, series and get', () => {
  const c = new Counters();
  assert.throws(() => c.increment('election.tx.errors'), /counter "election\.tx\.errors" is not a Prometheus metric name/);
  assert.throws(() => c.increment('election.drop', { reason: 'malformed' }), /not a Prometheus metric name/);
  assert.throws(() => c.increment('election_dropped_total', { 'bad-label': 'x' }), /label "bad-label"/);
  assert.throws(() => c.increment('election_dropped_total', { __name__: 'x' }), /label "__name__"/);
  assert.throws(() => c.series('election.rx'), /not a Prometheus metric name/);
  assert.throws(() => c.get('swarm.peer.banned'), /not a Prometheus metric name/);
  assert.throws(() => c.get('tftp_transfers_probe_total{outcome="x"}'), /not a Prometheus metric name/);
  assert.deepEqual(c.snapshot(), {}, 'nothing was created by a refused name');
});

test('label-less and labelled series count apart; label order does not matter; values are strings', () => {
  const c = new Counters();
  c.increment('tftp_read_requests_total');
  c.increment('tftp_read_requests_total', 2);
  c.increment('tftp_transfers_finished_total', { outcome: 'complete' });
  c.increment('tftp_transfers_finished_total', { outcome: 'complete' }, 4);
  c.increment('tftp_transfers_finished_total', { outcome: 'timeout' });
  c.increment('http_requests_total', { method: 'GET', route: '/x', status: 200 });
  c.increment('http_requests_total', { status: '200', route: '/x', method: 'GET' });
  c.increment('tftp_unknown_tid_total', {});
  assert.equal(c.get('tftp_read_requests_total'), 3);
  assert.equal(c.get('tftp_transfers_finished_total', { outcome: 'complete' }), 5);
  assert.equal(c.get('tftp_transfers_finished_total', { outcome: 'timeout' }), 1);
  assert.equal(c.get('tftp_transfers_finished_total'), 0, 'the label-less series is a different series');
  assert.equal(c.get('tftp_transfers_finished_total', { outcome: 'busy' }), 0);
  assert.equal(c.get('http_requests_total', { route: '/x', method: 'GET', status: 200 }), 2);
  assert.equal(c.get('tftp_unknown_tid_total'), 1, 'empty labels are the label-less series');
  assert.deepEqual(c.snapshot(), {
    'http_requests_total{method="GET",route="/x",status="200"}': 2,
    'tftp_read_requests_total': 3,
    'tftp_transfers_finished_total{outcome="complete"}': 5,
    'tftp_transfers_finished_total{outcome="timeout"}': 1,
    'tftp_unknown_tid_total': 1,
  });
  assert.deepEqual(c.samples().find((s) => s.name === 'http_requests_total')?.labels, { method: 'GET', route: '/x', status: '200' });
});

test('label values are escaped in series keys, so distinct values never collide', () => {
  const c = new Counters();
  c.increment('policy_rejected_total', { reason: 'a",b="c' });
  c.increment('policy_rejected_total', { reason: 'back\\slash\nnewline' });
  assert.deepEqual(Object.keys(c.snapshot()), [
    'policy_rejected_total{reason="a\\",b=\\"c"}',
    'policy_rejected_total{reason="back\\\\slash\\nnewline"}',
  ]);
  assert.equal(c.get('policy_rejected_total', { reason: 'a",b="c' }), 1);
});

test('a series handle counts into the same series without a lookup', () => {
  const c = new Counters();
  const dropped = c.series('election_dropped_total', { reason: 'replayed' });
  dropped.increment();
  dropped.increment(2);
  c.increment('election_dropped_total', { reason: 'replayed' });
  assert.equal(c.get('election_dropped_total', { reason: 'replayed' }), 4);
  assert.equal(c.series('election_dropped_total', { reason: 'replayed' }), dropped, 'one handle per series');
});

// -- every counter name written in src

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(): string[] {
  return readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))
    .map((p) => join(srcDir, p));
}

test('every counter name literal in src is valid, and no name is built from a template', () => {
  const problems: string[] = [];
  let names = 0;
  for (const file of sourceFiles()) {
    if (file.endsWith('counters.test.ts')) continue;
    const text = readFileSync(file, 'utf8');
    const where = (index: number) => `${file.slice(srcDir.length + 1)}:${text.slice(0, index).split('\n').length}`;
    // First argument of increment()/series(): must be a plain string literal (variants go in labels).
    for (const m of text.matchAll(/\.(?:increment|series)\(\s*(`[^`]*`)/g)) problems.push(`${where(m.index)}: counter name built from a template ${m[1]}; use labels`);
    for (const m of text.matchAll(/\.(?:increment|series)\(\s*'([^']*)'/g)) {
      names++;
      const problem = counterNameProblem(m[1]!);
      if (problem) problems.push(`${where(m.index)}: ${problem}`);
    }
    // Any other quoted string that looks like a counter name ('…_total', e.g. passed to a helper or to get()).
    for (const m of text.matchAll(/'([^'\s]*_total\b[^'\s]*)'/g)) {
      names++;
      const problem = counterNameProblem(m[1]!);
      if (problem) problems.push(`${where(m.index)}: ${problem}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(names > 100, `the scan found the counter names (${names})`);
});
