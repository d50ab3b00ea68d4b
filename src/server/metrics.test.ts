// Goal: /metrics text is valid Prometheus exposition carrying the Counters' names and labels (prefixed
// `peerboot_`) and the gauges. Method: render a Counters with label-less, labelled and escaped series;
// check TYPE lines, sample lines, and that every line parses under the text-format grammar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counters } from '../platform/counters.js';
import { renderMetrics } from './metrics.js';

test('counters and gauges come out as Prometheus text with their labels', async () => {
  const c = new Counters();
  c.increment('agents_enrolled_total');
  c.increment('http_requests_total', { method: 'GET', route: '/api/v1/sites', status: 200 }, 3);
  c.increment('http_requests_total', { method: 'POST', route: '/api/v1/login', status: 401 });
  c.increment('auth_refused_total', { reason: 'bad"quote' });
  const { contentType, text } = await renderMetrics(c, { process_resident_memory_bytes: 1234, config_revision: 7 });
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  assert.match(text, /^# TYPE peerboot_agents_enrolled_total counter$/m);
  assert.match(text, /^peerboot_agents_enrolled_total 1$/m);
  assert.match(text, /^# TYPE peerboot_http_requests_total counter$/m);
  assert.match(text, /^peerboot_http_requests_total\{method="GET",route="\/api\/v1\/sites",status="200"\} 3$/m);
  assert.match(text, /^peerboot_http_requests_total\{method="POST",route="\/api\/v1\/login",status="401"\} 1$/m);
  assert.match(text, /^peerboot_auth_refused_total\{reason="bad\\"quote"\} 1$/m);
  assert.match(text, /^# TYPE peerboot_process_resident_memory_bytes gauge$/m);
  assert.match(text, /^peerboot_process_resident_memory_bytes 1234$/m);
  assert.match(text, /^peerboot_config_revision 7$/m);
  const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? -?[0-9.e+]+$/;
  for (const line of text.split('\n').filter((l) => l !== '')) {
    if (line.startsWith('# ')) assert.match(line, /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /, line);
    else assert.match(line, sample, line);
  }
});

test('an empty Counters still renders the gauges', async () => {
  const { text } = await renderMetrics(new Counters(), { policy_streams_open: 0 });
  assert.match(text, /^peerboot_policy_streams_open 0$/m);
  assert.doesNotMatch(text, /_total/);
});
