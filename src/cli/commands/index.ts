/** The registry of subcommands, in `peerboot --help` order. */
import type { Command } from '../command.js';

export const commands: Command[] = [];
