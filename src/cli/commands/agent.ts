/**
 * `peerboot agent`: the per-machine daemon (enroll, policy, election, PXE responder). The program
 * lives in src/agent/main.ts so the single-file bundle (dist/peerboot-agent.mjs) runs the same code.
 */
import type { Command } from '../command.js';
import { agentUsage, runAgentMain } from '../../agent/main.js';

export const agentCommand: Command = {
  name: 'agent',
  summary: 'Run the agent on a managed machine: enroll, sync policy, elect, answer PXE for its LAN',
  usage: agentUsage,
  run: (argv) => runAgentMain(argv),
};
