// Goal: the real `peerboot server` process works as an admin meets it: it prints its URL and where
// the first admin's credentials are (a 0600 file), answers /healthz only anonymously, and the CLI
// logs in, imports Debian's iPXE files as a package (naming a missing file when a profile needs
// one the folder lacks), and mints an enrollment token that enrolls an agent over HTTP.
// Database faults are one clear line. Method: spawn the CLI (tsx) on 127.0.0.1 port 0.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, chmodSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { verifyPolicy } from '../../src/contract/policy.js';

const root = join(import.meta.dirname, '..', '..');
const cli = (args: string[], env: Record<string, string> = {}, input?: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, input, timeout: 120_000 });

let dir: string;
let server: ChildProcess;
let url: string;
let stderr = '';
let stdout = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peerboot-server-cli-'));
  server = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'server', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (b: Buffer) => { stdout += b.toString(); });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60_000);
    server.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString();
      const m = /peerboot server (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m && stderr.includes('first admin')) { clearTimeout(timer); resolve(m[1]!); }
    });
    server.once('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
});

after(() => {
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test('first start: URL, initial admin file (0600), JSON logs; only /healthz is anonymous', async () => {
  const file = join(dir, 'data', 'initial-admin.txt');
  assert.match(stderr, new RegExp(`credentials are in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(readFileSync(file, 'utf8'), /^username: admin\npassword: \S{20,}\n/);
  const logLine = JSON.parse(stdout.split('\n')[0]!);
  assert.equal(logLine.msg, 'server listening');
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  for (const path of ['/openapi.json', '/metrics', '/api/v1/agents', '/api/v1/agent/policy']) {
    assert.equal((await fetch(`${url}${path}`)).status, 401, path);
  }
});

test('admin login → package import from /usr/lib/ipxe → enrollment token → agent enrolls and gets a signed policy', async () => {
  const config = join(dir, 'cli.json');
  const password = /password: (\S+)/.exec(readFileSync(join(dir, 'data', 'initial-admin.txt'), 'utf8'))![1]!;
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, password + '\n');
  chmodSync(pwFile, 0o600);
  const login = cli(['admin', 'login', '--server', url, '--password-file', pwFile, '--config', config]);
  assert.equal(login.status, 0, login.stderr);
  assert.equal(statSync(config).mode & 0o777, 0o600);

  // A Windows profile against an iPXE folder: refused, naming what is missing.
  const win = cli(['package', 'import', '--from', '/usr/lib/ipxe', '--profile', 'winpe', '--kind', 'windows', '--config', config]);
  assert.equal(win.status, 2, win.stderr);
  assert.match(win.stderr, /lacks pxeboot\.n12, bootmgfw\.efi, bootmgr\.exe, boot\.sdi, boot\.wim/);

  // A toolkit folder laid out like a tree: files found by name in subfolders.
  const tree = join(dir, 'toolkit', 'nested', 'deeper');
  mkdirSync(tree, { recursive: true });
  copyFileSync('/usr/lib/ipxe/undionly.kpxe', join(dir, 'toolkit', 'nested', 'UNDIONLY.KPXE'));
  copyFileSync('/usr/lib/ipxe/ipxe.efi', join(tree, 'ipxe.efi'));
  const imp = cli(['package', 'import', '--from', join(dir, 'toolkit'), '--profile', 'ipxe', '--kind', 'ipxe', '--config', config]);
  assert.equal(imp.status, 0, imp.stderr);
  assert.match(imp.stdout, /imported ipxe@1: 2 files/);
  assert.match(imp.stdout, /undionly\.kpxe\s+74213 bytes/);
  const again = cli(['package', 'import', '--from', '/usr/lib/ipxe', '--profile', 'ipxe', '--config', config]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /imported ipxe@2: .* 0 chunk\(s\) uploaded, \d+ already stored/, 'identical content is not re-uploaded');

  const tok = cli(['admin', 'enrollment-token', '--name', 'lab', '--hours', '1', '--config', config]);
  assert.equal(tok.status, 0, tok.stderr);
  const token = tok.stdout.trim();
  const enroll = await fetch(`${url}/api/v1/agent/enroll`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostname: 'pc1', version: '0.1.0', interfaces: [{ name: 'eth0', mac: '52:54:00:00:00:01', addresses: ['10.3.0.4/24'] }] }),
  });
  assert.equal(enroll.status, 201);
  const creds = await enroll.json() as { agentToken: string; policyPublicKey: string };
  const policy = await fetch(`${url}/api/v1/agent/policy`, { headers: { authorization: `Bearer ${creds.agentToken}` } });
  assert.ok(verifyPolicy(await policy.json(), creds.policyPublicKey).ok);

  const list = cli(['package', 'list', '--config', config]);
  assert.match(list.stdout, /ipxe@1\t2 files/);
});

test('database problems are one clear line', () => {
  const pg = cli(['server', '--data-dir', join(dir, 'pgdata'), '--listen', '127.0.0.1:0', '--database', 'postgres://nobody@127.0.0.1:1/nothing']);
  assert.equal(pg.status, 1);
  assert.match(pg.stderr.trim(), /^peerboot server: cannot use PostgreSQL at 127\.0\.0\.1:1\/nothing: ECONNREFUSED/);
  assert.equal(pg.stderr.trim().split('\n').length, 1, pg.stderr);
  const blocker = join(dir, 'not-a-dir');
  writeFileSync(blocker, 'x');
  const sqlite = cli(['server', '--data-dir', join(dir, 'sq'), '--listen', '127.0.0.1:0', '--database', `sqlite:${blocker}/db`]);
  assert.equal(sqlite.status, 1);
  assert.match(sqlite.stderr.trim(), /^peerboot server: cannot open SQLite database .*not-a-dir\/db/);
  assert.equal(sqlite.stderr.trim().split('\n').length, 1, sqlite.stderr);
  const bad = cli(['server', '--listen', 'nope']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--listen nope: expected HOST:PORT/);
});
