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
import { verifyPolicy } from '../../src/platform/crypto/signed-documents.js';

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
  // The database (password and token hashes, the signing key) and its folder are private whatever the umask.
  assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'data', 'peerboot.db')).mode & 0o777, 0o600);
  const logLine = JSON.parse(stdout.split('\n')[0]!);
  assert.equal(logLine.msg, 'server listening');
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  for (const path of ['/openapi.json', '/metrics', '/api/v1/agents', '/api/v1/agent/policy']) {
    assert.equal((await fetch(`${url}${path}`)).status, 401, path);
  }
});

test('admin login → package import from /usr/lib/ipxe → enrollment token → agent enrolls and gets a signed policy', async () => {
  const config = join(dir, 'cli.json');
  // A wrong password says so, and does not tell a user who is logging in to log in again.
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, 'not-the-password\n');
  chmodSync(pwFile, 0o600);
  const wrong = cli(['admin', 'login', '--server', url, '--password-file', pwFile, '--config', config]);
  assert.equal(wrong.status, 1, wrong.stderr);
  assert.match(wrong.stderr, /wrong username or password/);
  assert.doesNotMatch(wrong.stderr, /log in again/);
  // The file the start-up banner points at is taken as it is.
  const login = cli(['admin', 'login', '--server', url, '--password-file', join(dir, 'data', 'initial-admin.txt'), '--config', config]);
  assert.equal(login.status, 0, login.stderr);
  assert.match(login.stdout, /logged in to .* as admin/);
  assert.equal(statSync(config).mode & 0o777, 0o600);
  // A one-line password file works too.
  writeFileSync(pwFile, `${/password: (\S+)/.exec(readFileSync(join(dir, 'data', 'initial-admin.txt'), 'utf8'))![1]!}\n`);
  assert.equal(cli(['admin', 'login', '--server', url, '--password-file', pwFile, '--config', config]).status, 0);

  // A Windows profile against an iPXE folder: refused, naming what is missing.
  const win = cli(['package', 'import', '--from', '/usr/lib/ipxe', '--profile', 'winpe', '--kind', 'windows', '--config', config]);
  assert.equal(win.status, 2, win.stderr);
  assert.match(win.stderr, /lacks pxeboot\.n12, bootmgfw\.efi, bootmgr\.exe, boot\.sdi, boot\.wim/);
  const session = (JSON.parse(readFileSync(config, 'utf8')) as { token: string }).token;
  const profileStatus = async (name: string) => (await fetch(`${url}/api/v1/profiles/by-name/${name}`, { headers: { authorization: `Bearer ${session}` } })).status;
  assert.equal(await profileStatus('winpe'), 404, 'a failed import creates no profile');

  // A kernel + initrd folder as distributions name them: a folder without an initrd is refused
  // before anything is created; with one, the profile is made from what was found, and the iPXE
  // boot programs come from Debian's ipxe package.
  const kdir = join(dir, 'kernel-folder');
  mkdirSync(kdir);
  writeFileSync(join(kdir, 'vmlinuz-6.1.0-18-amd64'), Buffer.alloc(5000, 1));
  const noInitrd = cli(['package', 'import', '--kind', 'linux', '--from', kdir, '--profile', 'deb', '--config', config]);
  assert.equal(noInitrd.status, 2, noInitrd.stderr);
  assert.match(noInitrd.stderr, /no initrd \(looked for initrd\*, initramfs\*\); name it with --initrd PATH/);
  assert.equal(await profileStatus('deb'), 404, 'nothing half-made');
  writeFileSync(join(kdir, 'initrd.img-6.1.0-18-amd64'), Buffer.alloc(3000, 2));
  const deb = cli(['package', 'import', '--kind', 'linux', '--from', kdir, '--profile', 'deb', '--cmdline', 'console=ttyS0,115200', '--config', config]);
  assert.equal(deb.status, 0, deb.stderr);
  assert.match(deb.stdout, /imported deb@1: 4 files/);
  assert.match(deb.stderr, /undionly\.kpxe, ipxe\.efi not in .*: taken from \/usr\/lib\/ipxe/);
  const debProfile = await (await fetch(`${url}/api/v1/profiles/by-name/deb`, { headers: { authorization: `Bearer ${session}` } })).json() as { kernel: string; initrd: string[]; cmdline: string; packageId: string };
  assert.deepEqual([debProfile.kernel, debProfile.initrd, debProfile.cmdline], ['vmlinuz-6.1.0-18-amd64', ['initrd.img-6.1.0-18-amd64'], 'console=ttyS0,115200']);
  // The admin names the files of an existing profile: one write points it at the new package.
  writeFileSync(join(kdir, 'initrd.gz'), Buffer.alloc(2000, 3));
  const named = cli(['package', 'import', '--from', kdir, '--profile', 'deb', '--initrd', 'initrd.gz', '--config', config]);
  assert.equal(named.status, 0, named.stderr);
  const renamed = await (await fetch(`${url}/api/v1/profiles/by-name/deb`, { headers: { authorization: `Bearer ${session}` } })).json() as { initrd: string[]; packageId: string };
  assert.deepEqual(renamed.initrd, ['initrd.gz']);
  assert.notEqual(renamed.packageId, debProfile.packageId);
  const wrongKind = cli(['package', 'import', '--from', kdir, '--profile', 'deb', '--kind', 'ipxe', '--config', config]);
  assert.equal(wrongKind.status, 2);
  assert.match(wrongKind.stderr, /profile deb is linux, not ipxe/);

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
  // A data directory that already exists open to other users is refused, with the fix (review H5).
  const loose = join(dir, 'loose-data');
  mkdirSync(loose);
  chmodSync(loose, 0o755);
  const refused = cli(['server', '--data-dir', loose, '--listen', '127.0.0.1:0']);
  assert.equal(refused.status, 1);
  assert.equal(refused.stderr.trim(), `peerboot server: the server data directory ${loose} is open to other users (mode 0755) and holds secrets: chmod 700 ${loose} [PEERBOOT_ERR_LOOSE_PERMISSIONS]`);
  const bad = cli(['server', '--listen', 'nope']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--listen nope: expected HOST:PORT/);
});
