/** The registry of subcommands, in `peerboot --help` order. */
import type { Command } from '../command.js';
import { responderCommand } from './responder.js';
import { tftpCommand } from './tftp.js';
import { serverCommand } from './server.js';

export const commands: Command[] = [responderCommand, tftpCommand, serverCommand];
