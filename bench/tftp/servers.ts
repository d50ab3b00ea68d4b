/**
 * The TFTP servers under test, each started by the bench as a foreground process it owns (never a
 * system service) inside a bench network namespace, serving the same read-only root.
 * Anchors run with their defaults except the concurrency caps, raised so a 200-client storm is not
 * refused by configuration (dnsmasq --tftp-max defaults to 50, atftpd --maxthread to 100).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../lib/exec.js';
import { startOwnedServer, type OwnedServer } from '../lib/owned-server.js';

export interface ServerContext {
  repo: string;
  cacheDir: string;
  ns: string;
  ip: string;
  root: string;
  /** How to start peerboot's CLI: ['node', 'bin/peerboot.js'] or ['node', '--import', 'tsx', 'src/cli/main.ts']. */
  peerbootCli: string[];
}

export interface TftpServerSpec {
  name: string;
  /** 'c' servers are the lock-step target's comparison set. */
  kind: 'peerboot' | 'c' | 'js';
  port: number;
  argv(ctx: ServerContext): string[];
}

export const atftpdBinary = (cacheDir: string) => join(cacheDir, 'atftpd', 'usr', 'sbin', 'atftpd');

export const tftpServers: TftpServerSpec[] = [
  {
    name: 'peerboot',
    kind: 'peerboot',
    port: 6901,
    argv: (c) => [...c.peerbootCli, 'tftp', '--root', c.root, '--port', '6901', '--address', c.ip],
  },
  {
    name: 'tftpd-hpa',
    kind: 'c',
    port: 6902,
    // -L: foreground; -s: chroot to the root (and drop to nobody, the default user).
    argv: (c) => ['in.tftpd', '-L', '-s', c.root, '-a', `${c.ip}:6902`],
  },
  {
    name: 'atftpd',
    kind: 'c',
    port: 6903,
    argv: (c) => [atftpdBinary(c.cacheDir), '--daemon', '--no-fork', '--port', '6903', '--bind-address', c.ip,
      '--maxthread', '1000', '--logfile', '/dev/null', '--user', 'nobody', '--group', 'nogroup', c.root],
  },
  {
    name: 'dnsmasq',
    kind: 'c',
    // dnsmasq has no option for the TFTP listening port: it always uses 69, which is free in our namespace.
    port: 69,
    argv: (c) => ['dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--enable-tftp', `--tftp-root=${c.root}`,
      `--listen-address=${c.ip}`, '--bind-interfaces', '--tftp-max=1000', '--pid-file=', '--quiet-tftp',
      '--log-facility=/dev/null', '--user=nobody', '--group=nogroup'],
  },
  {
    name: 'npm-tftp',
    kind: 'js',
    port: 6905,
    argv: (c) => [process.execPath, join(c.repo, 'bench', 'tftp', 'npm-tftp-server.mjs'), c.root, c.ip, '6905'],
  },
];

export interface RunningServer extends OwnedServer {
  spec: TftpServerSpec;
  port: number;
}

export async function startServer(spec: TftpServerSpec, ctx: ServerContext): Promise<RunningServer> {
  const owned = await startOwnedServer({ name: spec.name, argv: spec.argv(ctx), ns: ctx.ns, ip: ctx.ip, port: spec.port, proto: 'udp', cwd: ctx.repo });
  return Object.assign(owned, { spec, port: spec.port });
}

/** Whether peerboot's `tftp` subcommand exists yet (it lands with the TFTP engine). */
export async function peerbootTftpAvailable(repo: string, cli: string[]): Promise<boolean> {
  const r = await run([...cli, 'tftp', '--help'], { cwd: repo, timeoutMs: 30_000 });
  return r.code === 0 && /--root/.test(r.stdout);
}

/** Prefer the compiled CLI (what users run); fall back to running the sources through tsx. */
export function peerbootCliFor(repo: string, useDist: boolean): string[] {
  if (useDist && existsSync(join(repo, 'dist', 'cli', 'main.js'))) return [process.execPath, join(repo, 'bin', 'peerboot.js')];
  return [process.execPath, '--import', 'tsx', join(repo, 'src', 'cli', 'main.ts')];
}
