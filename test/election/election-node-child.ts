// One election agent as its own process, for test/election/election-failover.test.ts. Reads a
// JSON config file (argv[2]), runs startElectionNode on the named interface with the real clock and
// UDP sockets, and prints one JSON line per event on stdout: `started`, and `role` with the view at
// each role change, and `view` every 200 ms. SIGTERM closes gracefully (leaving announcement); SIGKILL is a crash.
import { readFileSync } from 'node:fs';
import { startElectionNode } from '../../src/agent/election/election-node.js';
import { Counters } from '../../src/platform/counters.js';
import { jsonLogger } from '../../src/platform/logger.js';
import type { DeviceClass } from '../../src/protocol/peer/announcement.js';

interface ChildConfig {
  agentId: string;
  privateKeyPem: string;
  certificateBase64: string;
  serverPublicKey: string;
  interfaceName: string;
  port: number;
  weight: number;
  deviceClass: DeviceClass;
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ChildConfig;
const emit = (event: Record<string, unknown>) => process.stdout.write(JSON.stringify({ ...event, agentId: config.agentId, wallMs: Date.now() }) + '\n');
const counters = new Counters();

const node = await startElectionNode({
  interfaceName: config.interfaceName,
  port: config.port,
  identity: { agentId: config.agentId, privateKey: config.privateKeyPem, certificate: new Uint8Array(Buffer.from(config.certificateBase64, 'base64')) },
  serverPublicKey: config.serverPublicKey,
  self: () => ({ weight: config.weight, deviceClass: config.deviceClass, readyPackages: ['pkg-base'] }),
  requiredPackages: () => ['pkg-base'],
  logger: jsonLogger({ minLevel: 'warn', write: (line) => process.stderr.write(line) }),
  counters,
  onRoleChange: (role, view) => emit({
    event: 'role', role, active: view.active, standby: view.standby,
    peers: view.peers.map((p) => ({ agentId: p.agentId, alive: p.alive, lastHeardAgoMs: p.lastHeardAgoMs })),
  }),
});
emit({ event: 'started' });
// The view every 200 ms, so the test can wait until all agents agree on the pair (a role change
// alone does not show that a slow starter has finished listening).
const viewTimer = setInterval(() => {
  const view = node.view();
  emit({ event: 'view', role: view.role, listening: view.listening, active: view.active, standby: view.standby, alivePeers: view.peers.filter((p) => p.alive).length });
}, 200);
viewTimer.unref();
process.on('SIGTERM', () => {
  void node.close().then(() => {
    emit({ event: 'stopped', counters: counters.snapshot() });
    process.exit(0);
  });
});
