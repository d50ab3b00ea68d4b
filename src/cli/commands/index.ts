/** The registry of subcommands, in `peerboot --help` order. */
import type { Command } from '../command.js';
import { demoCommand } from './demo.js';
import { responderCommand } from './responder.js';
import { tftpCommand } from './tftp.js';
import { serverCommand } from './server.js';
import { adminCommand } from './admin.js';
import { packageCommand } from './package.js';
import { agentCommand } from './agent.js';
import { windowsRootCommand } from './windows-root.js';
import { distributionCommand } from './distribution.js';

export const commands: Command[] = [demoCommand, responderCommand, tftpCommand, serverCommand, adminCommand, packageCommand, agentCommand, windowsRootCommand, distributionCommand];
