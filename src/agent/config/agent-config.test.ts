// Goal: configuration by file, environment and flags merges in that order (flags win), every value
// is checked, and every error names where the bad value came from. Method: resolveAgentConfig
// over literal sources.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentConfigError, defaultAgentConfig, resolveAgentConfig } from './agent-config.js';

const defaults = defaultAgentConfig(true, '/root');

test('defaults: root uses /var/lib, HTTP on 8469, TFTP 69, election 4015, spreading and rogue detection on', () => {
  const c = resolveAgentConfig({ defaults, env: {}, flags: {} });
  assert.equal(c.dataDir, '/var/lib/peerboot-agent');
  assert.equal(c.httpPort, 8469);
  assert.equal(c.tftpPort, 69);
  assert.equal(c.electionPort, 4015);
  assert.equal(c.loadSpreading, true);
  assert.equal(c.rogueDetection, true);
  assert.equal(defaultAgentConfig(false, '/home/u').dataDir, '/home/u/.local/share/peerboot-agent');
});

test('file < environment < flags', () => {
  const c = resolveAgentConfig({
    defaults,
    file: { path: '/etc/peerboot/agent.json', content: { server: 'http://file:8470', weight: 10, interface: 'eth1', labels: { room: 'a' }, httpPort: null, rogueDetection: false } },
    env: { PEERBOOT_SERVER: 'http://env:8470/', PEERBOOT_WEIGHT: '20' },
    flags: { weight: '30' },
  });
  assert.equal(c.serverUrl, 'http://env:8470', 'env beats file; trailing slash dropped');
  assert.equal(c.weight, 30, 'flag beats env');
  assert.equal(c.interfaceName, 'eth1', 'file beats default');
  assert.deepEqual(c.labels, { room: 'a' });
  assert.equal(c.httpPort, null, 'null in the file turns HTTP off');
  assert.equal(c.rogueDetection, false);
});

test('errors name the source and the setting', () => {
  const fails = (sources: Parameters<typeof resolveAgentConfig>[0], pattern: RegExp) =>
    assert.throws(() => resolveAgentConfig(sources), (e: unknown) => e instanceof AgentConfigError && pattern.test(e.message));
  fails({ defaults, env: {}, flags: { weight: '70000' } }, /^--weight: 70000 is outside 0\.\.65535/);
  fails({ defaults, env: { PEERBOOT_HTTP_PORT: 'eighty' }, flags: {} }, /^environment PEERBOOT_HTTP_PORT: expected an integer/);
  fails({ defaults, env: {}, flags: { server: 'peerboot:8470' } }, /--server: use an http/);
  fails({ defaults, file: { path: 'a.json', content: { sever: 'x' } }, env: {}, flags: {} }, /a\.json: unknown setting "sever"/);
  fails({ defaults, file: { path: 'a.json', content: [] }, env: {}, flags: {} }, /one JSON object/);
  fails({ defaults, env: {}, flags: { 'device-class': 'toaster' } }, /--device-class: expected one of auto, unknown, server/);
  fails({ defaults, env: {}, flags: { labels: 'novalue' } }, /--labels: expected key=value/);
});

// Several agents on one host (labs, tests) reported the host's one name, so a collection's name
// pattern could not tell them apart: each may now name itself.
test('the reported name: the host name by default, else --name, PEERBOOT_NAME or the file', () => {
  assert.equal(resolveAgentConfig({ defaults, env: {}, flags: {} }).name, null);
  assert.equal(resolveAgentConfig({ defaults, file: { path: 'a.json', content: { name: 'from-file' } }, env: {}, flags: {} }).name, 'from-file');
  assert.equal(resolveAgentConfig({ defaults, env: { PEERBOOT_NAME: ' lab-pc-2 ' }, flags: {} }).name, 'lab-pc-2');
  assert.equal(resolveAgentConfig({ defaults, env: { PEERBOOT_NAME: 'env' }, flags: { name: 'lab-pc-3' } }).name, 'lab-pc-3');
  assert.throws(() => resolveAgentConfig({ defaults, env: {}, flags: { name: '  ' } }), /--name: expected a name of 1 to 253 characters/);
  assert.throws(() => resolveAgentConfig({ defaults, env: {}, flags: { name: 'a\nb' } }), /--name: the name holds a control character/);
});
