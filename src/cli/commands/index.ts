/** The registry of subcommands, in `peerboot --help` order. */
import type { Command } from '../command.js';
import { tftpCommand } from './tftp.js';

export const commands: Command[] = [tftpCommand];
