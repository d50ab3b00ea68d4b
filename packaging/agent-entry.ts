/**
 * Entry point of the single-file agent bundle (dist/peerboot-agent.mjs, built by
 * `npm run build:agent` with packaging/build-agent.mjs): `node peerboot-agent.mjs --server … --token …`.
 */
import { agentUsage, runAgentMain } from '../src/agent/main.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(agentUsage.replace('peerboot agent', 'peerboot-agent'));
  process.exitCode = 0;
} else if (argv.includes('--version')) {
  process.stdout.write('peerboot-agent 0.1.0\n');
} else {
  process.exitCode = await runAgentMain(argv);
}
