/**
 * `peerboot admin`: log in to a control plane and mint credentials: enrollment tokens for agents
 * (`peerboot agent --server URL --token T`) and API tokens for scripts. The session is saved in
 * ~/.config/peerboot/cli.json (mode 0600) for the other server-side commands.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApiClient } from '../../contract/client.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { connect, defaultCliConfigPath, explainFailures, saveSession } from '../server-connection.js';

const usage = `Usage: peerboot admin login --server URL [--username NAME] [--password-file F | --password-stdin]
       peerboot admin enrollment-token [--name N] [--hours H] [--uses N]
       peerboot admin api-token --name N [--days D]
       peerboot admin whoami
Common: [--server URL] [--token T] [--config FILE]   (env: PEERBOOT_SERVER, PEERBOOT_TOKEN)

login             exchange a password for a session (12 h) and save it; the first password is in
                  <data-dir>/initial-admin.txt on the server
enrollment-token  print a token for enrolling agents (default: 24 h, 100 uses)
api-token         print a long-lived token for scripts and monitoring (default 90 days)
`;

async function readPassword(values: Record<string, string | boolean | undefined>): Promise<string> {
  if (typeof values['password-file'] === 'string') return readFileSync(values['password-file'], 'utf8').split('\n')[0]!.trim();
  if (values['password-stdin'] || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').split('\n')[0]!.trim();
  }
  // Interactive: read without echo.
  process.stderr.write('password: ');
  process.stdin.setRawMode(true);
  process.stdin.resume();
  return new Promise((resolve, reject) => {
    let pw = '';
    const onData = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') { cleanup(); process.stderr.write('\n'); resolve(pw); return; }
        if (ch === '\u0003') { cleanup(); reject(new UsageError('cancelled', 130)); return; }
        if (ch === '\u007f') pw = pw.slice(0, -1); else pw += ch;
      }
    };
    const cleanup = () => { process.stdin.setRawMode(false); process.stdin.pause(); process.stdin.off('data', onData); };
    process.stdin.on('data', onData);
  });
}

export const adminCommand: Command = {
  name: 'admin',
  summary: 'Log in to the control plane; create enrollment tokens for agents and API tokens',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({
        args: rest,
        options: {
          server: { type: 'string' }, token: { type: 'string' }, config: { type: 'string' }, username: { type: 'string' },
          'password-file': { type: 'string' }, 'password-stdin': { type: 'boolean' }, name: { type: 'string' },
          hours: { type: 'string' }, uses: { type: 'string' }, days: { type: 'string' },
        },
        strict: true,
      }));
    } catch (err) {
      throw new UsageError(`${(err as Error).message} (see peerboot admin --help)`);
    }
    const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
    const int = (k: string) => {
      const v = str(k);
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw new UsageError(`--${k} ${v}: expected a whole number`);
      return Number(v);
    };
    const flags = { server: str('server'), token: str('token'), config: str('config') };
    switch (sub) {
      case 'login': {
        const server = flags.server ?? process.env.PEERBOOT_SERVER;
        if (!server) throw new UsageError('--server URL is required');
        const username = str('username') ?? 'admin';
        const password = await readPassword(values);
        const client = new ApiClient({ baseUrl: server });
        const res = await explainFailures(server, () => client.call('login', { body: { username, password } }));
        const path = flags.config ?? defaultCliConfigPath();
        saveSession(path, { server, token: res.token, username });
        process.stdout.write(`logged in to ${server} as ${username} until ${res.expiresAt} (session saved in ${path})\n`);
        return 0;
      }
      case 'enrollment-token': {
        const client = connect(flags);
        const t = await explainFailures(client.urlOf('health'), () => client.call('createEnrollmentToken', { body: { name: str('name') ?? 'agents', expiresInHours: int('hours'), usesMax: int('uses') } }));
        process.stdout.write(`${t.token}\n`);
        process.stderr.write(`enrollment token ${t.name}: ${t.usesMax} uses, expires ${t.expiresAt}\n`);
        return 0;
      }
      case 'api-token': {
        const name = str('name');
        if (!name) throw new UsageError('--name is required (what the token is for)');
        const client = connect(flags);
        const t = await explainFailures(client.urlOf('health'), () => client.call('createApiToken', { body: { name, expiresInDays: int('days') } }));
        process.stdout.write(`${t.token}\n`);
        process.stderr.write(`API token ${t.name} expires ${t.expiresAt}\n`);
        return 0;
      }
      case 'whoami': {
        const client = connect(flags);
        const me = await explainFailures(client.urlOf('health'), () => client.call('me', {}));
        process.stdout.write(`${me.username} on ${client.urlOf('health').replace(/\/healthz$/, '')}\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown subcommand '${sub ?? ''}': expected login, enrollment-token, api-token or whoami`);
    }
  },
};
