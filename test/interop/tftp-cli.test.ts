// Goal: `peerboot tftp --root DIR [--port N] [--address IP]` is a working foreground server: it
// serves real clients, logs one JSON line per transfer, exits 0 on SIGTERM, and refuses a missing
// root, a port in use and a privileged port without privilege with one line naming the fix;
// `--max-per-client N` sets the per-address cap that the "busy" log line names.
// Method: spawn the real CLI through tsx on 127.0.0.1 and a free high port; download with curl and
// busybox, sha256-verify; read stdout JSON lines; signal it; for privilege, run it as `nobody`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TestTftpClient } from '../../src/testkit/tftp-client.js';
import { makeBootTree, run, sha256OfFile } from './tftp-support.js';

const repo = new URL('../..', import.meta.url).pathname;
const cli = join(repo, 'src/cli/main.ts');
let tree: { dir: string; sums: Record<string, string> };

before(async () => {
  tree = await makeBootTree('peerboot-tftp-cli-', { 'ipxe.efi': 200_000, 'Boot/BCD': 12_345 });
});
after(async () => {
  await rm(tree.dir, { recursive: true, force: true });
});

/** Starts the CLI and resolves once it printed its "listening" line, with the port it bound. */
function startCli(args: string[]): Promise<{ child: ChildProcess; port: number; lines: Array<Record<string, unknown>>; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'tftp', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (d) => {
      buffered += String(d);
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const parsed = JSON.parse(line) as Record<string, unknown>; // every stdout line must be JSON
        lines.push(parsed);
        if (parsed.msg === 'tftp server listening') resolve({ child, port: parsed.port as number, lines, exited });
      }
    });
    void exited.then((code) => reject(new Error(`CLI exited ${code} before listening: ${stderr}`)));
    setTimeout(() => reject(new Error('CLI did not start within 20 s')), 20_000).unref();
  });
}

test('serves curl and busybox on --address/--port, one JSON line per transfer, exits 0 on SIGTERM', async () => {
  const { child, port, lines, exited } = await startCli(['--root', tree.dir, '--port', '0', '--address', '127.0.0.1']);
  try {
    assert.ok(port > 0);
    const dest = join(tree.dir, '..', `cli-out-${port}`);
    let r = await run('curl', ['-sS', '--tftp-blksize', '1468', '-o', dest, `tftp://127.0.0.1:${port}/IPXE.EFI`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await sha256OfFile(dest), tree.sums['ipxe.efi']);
    r = await run('busybox', ['tftp', '-g', '-r', '\\boot\\bcd', '-l', dest, '127.0.0.1', String(port)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await sha256OfFile(dest), tree.sums['Boot/BCD']);
    await rm(dest, { force: true });
    const until = Date.now() + 5000;
    while (lines.filter((l) => l.msg === 'tftp transfer').length < 2 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    const transfers = lines.filter((l) => l.msg === 'tftp transfer');
    assert.deepEqual(transfers.map((l) => [l.file, l.outcome, l.bytes]), [['IPXE.EFI', 'complete', 200_000], ['\\boot\\bcd', 'complete', 12_345]]);
    for (const key of ['client', 'file', 'bytes', 'blksize', 'windowsize', 'ms', 'outcome']) assert.ok(key in transfers[0]!, `log line has ${key}`);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, 'clean exit on SIGTERM');
  assert.equal(lines.at(-1)?.msg, 'tftp server stopping');
});

test('SIGINT (Ctrl-C) also exits 0', async () => {
  const { child, exited } = await startCli(['--root', tree.dir, '--port', '0', '--address', '127.0.0.1']);
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});

function cliSync(args: string[], user?: string) {
  const command = user ? ['runuser', ['-u', user, '--', process.execPath, '--import', 'tsx', cli, 'tftp', ...args]] as const
    : [process.execPath, ['--import', 'tsx', cli, 'tftp', ...args]] as const;
  const r = spawnSync(command[0], [...command[1]], { cwd: repo, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a missing root is one line naming the fix, exit 1', () => {
  const r = cliSync(['--root', join(tree.dir, 'nope'), '--port', '0', '--address', '127.0.0.1']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /does not exist: create it .*PEERBOOT_ERR_ROOT_MISSING/);
});

test('a port in use is one line naming the fix, exit 1', async () => {
  const blocker = createSocket('udp4');
  await new Promise<void>((resolve) => blocker.bind({ address: '127.0.0.1', port: 0 }, () => resolve()));
  try {
    const r = cliSync(['--root', tree.dir, '--port', String(blocker.address().port), '--address', '127.0.0.1']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /already in use: stop the other TFTP server .* or choose another port with --port \[PEERBOOT_ERR_PORT_IN_USE\]/);
  } finally {
    blocker.close();
  }
});

test('port 69 without privilege is one line naming setcap / root, exit 1', async (t) => {
  const unprivilegedStart = Number(spawnSync('cat', ['/proc/sys/net/ipv4/ip_unprivileged_port_start'], { encoding: 'utf8' }).stdout);
  assert.ok(unprivilegedStart > 69, `this machine lets anyone bind port 69 (ip_unprivileged_port_start=${unprivilegedStart}); the test cannot provoke EACCES`);
  t.diagnostic('running the CLI as user nobody');
  await chmod(tree.dir, 0o755); // nobody must be able to read the root, so that the bind is what fails
  const r = cliSync(['--root', tree.dir, '--port', '69', '--address', '127.0.0.1'], 'nobody');
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /needs privilege .*run as root.*setcap cap_net_bind_service=\+ep.*\[PEERBOOT_ERR_PRIVILEGE\]/);
});

test('bad flags are usage errors (exit 2)', () => {
  let r = cliSync(['--port', '69']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--root DIR is required/);
  r = cliSync(['--root', tree.dir, '--port', '70000']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--port must be a port number/);
  r = cliSync(['--root', tree.dir, '--address', 'eth0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--address must be an IPv4 address/);
  for (const bad of ['0', '201', 'x']) {
    r = cliSync(['--root', tree.dir, '--max-per-client', bad]);
    assert.equal(r.code, 2, bad);
    assert.match(r.stderr, /--max-per-client must be a number from 1 to 200/);
  }
});

test('--max-per-client sets the per-address cap, and the busy line names it', async () => {
  const { child, port, lines, exited } = await startCli(['--root', tree.dir, '--port', '0', '--address', '127.0.0.1', '--max-per-client', '2']);
  const clients: TestTftpClient[] = [];
  try {
    assert.equal(lines.find((l) => l.msg === 'tftp server listening')?.maxPerClient, 2);
    const replies = [];
    for (let i = 0; i < 3; i++) {
      // Each RRQ from its own port on 127.0.0.1, never acknowledged: the first two hold their slots.
      const c = await TestTftpClient.open('127.0.0.1');
      clients.push(c);
      c.send({ op: 'readRequest', filename: 'ipxe.efi', mode: 'octet', options: new Map([['tsize', '0']]) }, port, '127.0.0.1');
      replies.push((await c.next(5000))?.packet);
    }
    assert.deepEqual(replies.map((p) => p?.op), ['optionAck', 'optionAck', 'error']);
    // The refusal a TFTP client prints names the limit and the flag that raises it.
    assert.deepEqual(replies[2], { op: 'error', code: 0, message: 'Server busy: 2 transfers from your address (per-client limit, --max-per-client), try again later' });
    const busy = lines.find((l) => l.msg === 'tftp transfer' && l.outcome === 'busy');
    assert.match(String(busy?.detail), /per-client cap reached: 2 transfers from 127\.0\.0\.1 .*--max-per-client/);
  } finally {
    for (const c of clients) c.close();
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});
