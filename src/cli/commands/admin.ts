/**
 * `peerboot admin`: log in to a control plane and mint credentials: enrollment tokens for agents
 * (`peerboot agent --server URL --token T`) and API tokens for scripts; list sites and set a site's
 * WAN bandwidth (`site set-wan`). The session is saved in ~/.config/peerboot/cli.json (mode 0600)
 * for the other server-side commands.
 */
import { readFileSync } from 'node:fs';
import { ApiClient } from '../../contract/client.js';
import { parseCredentialFile, type FileCredentials } from '../../contract/credential-file.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { parseFlags, parseFlagsAndOperands, parseIntegerFlag } from '../options.js';
import { connect, defaultCliConfigPath, explainFailures, saveSession } from '../server-connection.js';
import { describeWan, findSite, renderSiteTable, wanPatchOfFlags } from '../site-wan.js';

const usage = `Usage: peerboot admin login --server URL [--username NAME] [--password-file F | --password-stdin]
       peerboot admin enrollment-token [--name N] [--hours H] [--uses N]
       peerboot admin api-token --name N [--days D]
       peerboot admin whoami
       peerboot admin site list
       peerboot admin site set-wan <site name or id> [--cap-mbit N | --no-cap] [--adaptive | --no-adaptive]
Common: [--server URL] [--token T] [--config FILE]   (env: PEERBOOT_SERVER, PEERBOOT_TOKEN)

login             exchange a password for a session (12 h) and save it. --password-file takes a
                  file whose first line is the password, or the server's first-start file
                  <data-dir>/initial-admin.txt as it is (its username is used unless --username)
enrollment-token  print a token for enrolling agents (default: 24 h, 100 uses)
api-token         print a long-lived token for scripts and monitoring (default 90 days)
site list         the sites: name, subnets, WAN cap and adaptive mode
site set-wan      how the site's agents use the WAN when they fetch packages from the server
                  (LAN transfers between peers are never limited); the agents get it with their
                  next policy. Give one or more of:
                    --cap-mbit N     cap the site's total at N Mbit/s (1 Mbit/s = 125000 bytes/s;
                                     at least 0.064, decimals allowed), shared by its fetching agents
                    --no-cap         no fixed cap (the default)
                    --adaptive       LEDBAT: yield to business traffic as the WAN queue grows (the
                                     default; with a cap, the lower rate wins)
                    --no-adaptive    fetch at the cap (or line rate) regardless of other traffic
`;

/** `peerboot admin site list | set-wan …`. */
async function runSite(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals }: { values: Record<string, string | boolean | undefined>; positionals: string[] } = parseFlagsAndOperands('admin', rest, {
    server: { type: 'string' }, token: { type: 'string' }, config: { type: 'string' },
    'cap-mbit': { type: 'string' }, 'no-cap': { type: 'boolean' }, adaptive: { type: 'boolean' }, 'no-adaptive': { type: 'boolean' },
  });
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const flags = { server: str('server'), token: str('token'), config: str('config') };
  switch (sub) {
    case 'list': {
      if (positionals.length) throw new UsageError(`site list takes no arguments, not '${positionals.join(' ')}'`);
      const client = connect(flags);
      const sites = await explainFailures(client.urlOf('health'), () => client.call('listSites', {}));
      process.stdout.write(`${renderSiteTable(sites)}\n`);
      return 0;
    }
    case 'set-wan': {
      if (positionals.length !== 1) throw new UsageError('site set-wan needs exactly one site name or id (quote a name with spaces)');
      const body = wanPatchOfFlags({ capMbit: str('cap-mbit'), noCap: values['no-cap'] === true, adaptive: values.adaptive === true, noAdaptive: values['no-adaptive'] === true });
      const client = connect(flags);
      const sites = await explainFailures(client.urlOf('health'), () => client.call('listSites', {}));
      const site = findSite(sites, positionals[0]!);
      const saved = await explainFailures(client.urlOf('health'), () => client.call('patchSite', { params: { id: site.id }, body: { wan: body } }));
      process.stdout.write(`site ${saved.name}: ${describeWan(saved.wan)}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown site subcommand '${sub ?? ''}': expected list or set-wan`);
  }
}

/**
 * The password (and the username a credential file names): from --password-file (the server's
 * initial-admin.txt or a one-line password file), standard input, or an echo-free prompt.
 */
async function readCredentials(values: Record<string, string | boolean | undefined>): Promise<FileCredentials> {
  const file = values['password-file'];
  if (typeof file === 'string') {
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch (err) {
      throw new UsageError(`--password-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const creds = parseCredentialFile(text);
    if (!creds) throw new UsageError(`--password-file ${file}: no password in it (expected the password on the first line, or a 'password: …' line)`);
    return creds;
  }
  if (values['password-stdin'] || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const creds = parseCredentialFile(Buffer.concat(chunks).toString('utf8'));
    if (!creds) throw new UsageError('no password on standard input');
    return creds;
  }
  return { username: null, password: await promptPassword() };
}

/** Interactive: reads a password without echo. */
function promptPassword(): Promise<string> {
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
  summary: 'Log in to the control plane; create enrollment tokens and API tokens; list sites and set their WAN bandwidth',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'site') return runSite(rest);
    const { values }: { values: Record<string, string | boolean | undefined> } = parseFlags('admin', rest, {
      server: { type: 'string' }, token: { type: 'string' }, config: { type: 'string' }, username: { type: 'string' },
      'password-file': { type: 'string' }, 'password-stdin': { type: 'boolean' }, name: { type: 'string' },
      hours: { type: 'string' }, uses: { type: 'string' }, days: { type: 'string' },
    });
    const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
    const int = (k: string) => {
      const v = str(k);
      return v === undefined ? undefined : parseIntegerFlag(`--${k}`, v, { min: 0, noun: 'whole number' });
    };
    const flags = { server: str('server'), token: str('token'), config: str('config') };
    switch (sub) {
      case 'login': {
        const server = flags.server ?? process.env.PEERBOOT_SERVER;
        if (!server) throw new UsageError('--server URL is required');
        const creds = await readCredentials(values);
        const username = str('username') ?? creds.username ?? 'admin';
        const client = new ApiClient({ baseUrl: server });
        const res = await explainFailures(server, () => client.call('login', { body: { username, password: creds.password } }), { loggingIn: true });
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
        throw new UsageError(`unknown subcommand '${sub ?? ''}': expected login, enrollment-token, api-token, whoami or site`);
    }
  },
};
