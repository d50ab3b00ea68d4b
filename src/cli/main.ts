/**
 * `peerboot` entry point: dispatches to the subcommands in ./commands. The only module that reads
 * process.argv; each command validates its own flags and returns an exit code.
 */
import type { Command } from './command.js';
import { UsageError } from './command.js';
import { commands } from './commands/index.js';

async function globalHelp(): Promise<string> {
  const loaded = await Promise.all(commands.map((entry) => entry.load()));
  const width = Math.max(...loaded.map((c) => c.name.length));
  return [
    'peerboot — peer-to-peer PXE: every managed machine can network-boot its neighbours.',
    '',
    'Usage: peerboot COMMAND [options]      (peerboot COMMAND --help for details)',
    '',
    'Commands:',
    ...loaded.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    ...loaded.flatMap((c) => [`--- peerboot ${c.name} ---`, c.usage.trimEnd(), '']),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(await globalHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    console.log('peerboot 0.1.0');
    return 0;
  }
  const command: Command | undefined = await commands.find((c) => c.name === name)?.load();
  if (!command) {
    console.error(`peerboot: unknown command '${name}'. Run 'peerboot --help' for the list.`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage.trimEnd());
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`peerboot ${command.name}: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
