/**
 * The registry of subcommands, in `peerboot --help` order. Each command's module is loaded only
 * when it runs (or for --help), so `peerboot tftp` or `peerboot agent` never loads the control
 * plane's dependencies (fastify, database drivers): that is tens of MB of RSS on a guest machine.
 */
import type { Command } from '../command.js';

export interface CommandEntry {
  name: string;
  load: () => Promise<Command>;
}

export const commands: CommandEntry[] = [
  { name: 'demo', load: async () => (await import('./demo.js')).demoCommand },
  { name: 'responder', load: async () => (await import('./responder.js')).responderCommand },
  { name: 'tftp', load: async () => (await import('./tftp.js')).tftpCommand },
  { name: 'server', load: async () => (await import('./server.js')).serverCommand },
  { name: 'admin', load: async () => (await import('./admin.js')).adminCommand },
  { name: 'package', load: async () => (await import('./package.js')).packageCommand },
  { name: 'agent', load: async () => (await import('./agent.js')).agentCommand },
  { name: 'windows-root', load: async () => (await import('./windows-root.js')).windowsRootCommand },
  { name: 'distribution', load: async () => (await import('./distribution.js')).distributionCommand },
];
