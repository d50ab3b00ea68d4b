/** A CLI subcommand: `peerboot NAME …`. Each lives in src/cli/commands/NAME.ts. */
export interface Command {
  name: string;
  /** One line for `peerboot --help`. */
  summary: string;
  /** Full usage text for `peerboot NAME --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** A user-facing error: printed as one line (`peerboot: message`), exit code 2 unless given. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UsageError';
  }
}
