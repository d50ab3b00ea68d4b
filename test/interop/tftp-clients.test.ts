// Goal: real TFTP clients (curl, tftp-hpa, atftp with windowsize, busybox) download every kind of
// file from peerboot's TFTP server byte for byte — empty, one byte, exact multiples of the block
// size (final zero-length block), 3 MiB, and > 65535 blocks (block-number rollover) — and get the
// right error for a missing file and for a path escaping the root. A Windows-style request
// (backslashes, mixed case, msftwindow) is answered without echoing msftwindow.
// Method: an in-process server on 127.0.0.1 (port 0) serving generated files; each client is run
// as a real process; every download is sha256-verified against the generated file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BootRoot } from '../../src/agent/files/boot-root.js';
import { startTftpServer, type TftpServerHandle } from '../../src/agent/tftp/tftp-server.js';
import { memoryLogger } from '../../src/platform/logger.js';
import { TestTftpClient } from '../../src/testkit/tftp-client.js';
import { makeBootTree, run, sha256, sha256OfFile } from './tftp-support.js';

const files = {
  'empty.bin': 0,
  'one.bin': 1,
  'exact-512x4.bin': 512 * 4,
  'exact-1468x3.bin': 1468 * 3,
  'random-3m.bin': 3 * 1024 * 1024,
  // 65,538 blocks at 512 bytes: block numbers wrap past 65535.
  'rollover-32m.bin': 32 * 1024 * 1024 + 1000,
  'Boot/x64/pxeboot.n12': 25_000,
};
const everyday = ['empty.bin', 'one.bin', 'exact-512x4.bin', 'exact-1468x3.bin', 'random-3m.bin'];

let tree: { dir: string; sums: Record<string, string> };
let out: string;
let root: BootRoot;
let server: TftpServerHandle;
const log = memoryLogger();

before(async () => {
  tree = await makeBootTree('peerboot-interop-', files);
  out = await mkdtemp(join(tmpdir(), 'peerboot-interop-out-'));
  root = await BootRoot.open(tree.dir);
  server = await startTftpServer({ root, address: '127.0.0.1', port: 0, logger: log });
});

after(async () => {
  await server.close();
  await root.close();
  await rm(tree.dir, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
});

type Client = { name: string; fetch: (file: string, dest: string) => [string, string[]] };
const clients: Client[] = [
  { name: 'curl', fetch: (f, d) => ['curl', ['-sS', '-o', d, `tftp://127.0.0.1:${server.port}/${f}`]] },
  { name: 'curl --tftp-blksize 1468', fetch: (f, d) => ['curl', ['-sS', '--tftp-blksize', '1468', '-o', d, `tftp://127.0.0.1:${server.port}/${f}`]] },
  { name: 'tftp-hpa', fetch: (f, d) => ['tftp', ['-m', 'binary', '127.0.0.1', String(server.port), '-c', 'get', f, d]] },
  { name: 'atftp blksize 1468 windowsize 8', fetch: (f, d) => ['atftp', ['--option', 'blksize 1468', '--option', 'windowsize 8', '-g', '-r', f, '-l', d, '127.0.0.1', String(server.port)]] },
  { name: 'busybox tftp -b 1468', fetch: (f, d) => ['busybox', ['tftp', '-g', '-b', '1468', '-r', f, '-l', d, '127.0.0.1', String(server.port)]] },
];

let serial = 0;
async function fetchAndVerify(client: Client, file: string): Promise<void> {
  const dest = join(out, `${serial++}-${file.replaceAll('/', '_')}`);
  const [cmd, args] = client.fetch(file, dest);
  const r = await run(cmd, args, 120_000);
  assert.equal(r.code, 0, `${client.name} ${file}: exit ${r.code}\n${r.stderr}`);
  assert.equal(await sha256OfFile(dest), tree.sums[file], `${client.name} ${file}: sha256 differs`);
  await rm(dest, { force: true });
}

for (const client of clients) {
  test(`${client.name}: downloads ${everyday.join(', ')} byte for byte`, async () => {
    for (const file of everyday) await fetchAndVerify(client, file);
  });
}

test('curl at 512-byte blocks: a file of more than 65535 blocks (block numbers roll over)', async () => {
  await fetchAndVerify(clients[0]!, 'rollover-32m.bin');
  const line = log.lines.filter((l) => l.msg === 'tftp transfer' && l.file === 'rollover-32m.bin').at(-1);
  assert.equal(line?.blksize, 512);
  assert.equal(line?.outcome, 'complete');
});

test('atftp windowsize 16 at 512-byte blocks: rollover inside windows', async () => {
  await fetchAndVerify(
    { name: 'atftp windowsize 16', fetch: (f, d) => ['atftp', ['--option', 'windowsize 16', '-g', '-r', f, '-l', d, '127.0.0.1', String(server.port)]] },
    'rollover-32m.bin',
  );
});

test('atftp asking tsize gets the size and the file', async () => {
  await fetchAndVerify(
    { name: 'atftp tsize', fetch: (f, d) => ['atftp', ['--option', 'tsize 0', '--option', 'blksize 1024', '-g', '-r', f, '-l', d, '127.0.0.1', String(server.port)]] },
    'random-3m.bin',
  );
  const line = log.lines.filter((l) => l.msg === 'tftp transfer' && l.file === 'random-3m.bin').at(-1);
  assert.equal(line?.blksize, 1024);
});

test('a missing file is ERROR 1 and a path out of the root ERROR 2, as each client reports it', async () => {
  const port = String(server.port);
  let r = await run('curl', ['-sS', '-o', join(out, 'x'), `tftp://127.0.0.1:${port}/missing.bin`]);
  assert.equal(r.code, 68, 'curl: CURLE_TFTP_NOTFOUND'); // curl maps ERROR 1 to exit 68
  r = await run('curl', ['-sS', '--path-as-is', '-o', join(out, 'x'), `tftp://127.0.0.1:${port}/../etc/passwd`]);
  assert.equal(r.code, 69, 'curl: CURLE_TFTP_PERM'); // ERROR 2 -> exit 69
  r = await run('tftp', ['-m', 'binary', '127.0.0.1', port, '-c', 'get', 'missing.bin', join(out, 'x')]);
  assert.match(r.stdout + r.stderr, /Error code 1: File not found/);
  r = await run('tftp', ['-m', 'binary', '127.0.0.1', port, '-c', 'get', '../etc/passwd', join(out, 'x')]);
  assert.match(r.stdout + r.stderr, /Error code 2: Access violation/);
  r = await run('atftp', ['-g', '-r', 'missing.bin', '-l', join(out, 'x'), '127.0.0.1', port]);
  assert.match(r.stderr, /error received from server <File not found>/);
  r = await run('busybox', ['tftp', '-g', '-r', '../etc/passwd', '-l', join(out, 'x'), '127.0.0.1', port]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /server error: \(2\) Access violation/);
  r = await run('busybox', ['tftp', '-g', '-r', '/etc/passwd', '-l', join(out, 'x'), '127.0.0.1', port]);
  assert.match(r.stderr, /server error: \(1\) File not found/, 'an absolute path is looked up inside the root, never outside');
});

test('Windows-style request: backslashes in mixed case, msftwindow ignored (never echoed), windowed download', async () => {
  const client = await TestTftpClient.open();
  try {
    const requestOptions = new Map([['tsize', '0'], ['blksize', '1456'], ['windowsize', '8'], ['msftwindow', '31416']]);
    const r = await client.download('\\Boot\\X64\\PXEBOOT.N12', server.port, { requestOptions });
    assert.deepEqual(r.optionAck, new Map([['tsize', String(files['Boot/x64/pxeboot.n12'])], ['blksize', '1456'], ['windowsize', '8']]));
    assert.equal(r.optionAck?.has('msftwindow'), false);
    assert.equal(sha256(r.data), tree.sums['Boot/x64/pxeboot.n12']);
    // Mixed separators and a relative form from the NBP's directory work too.
    const again = await client.download('/boot\\x64/PxeBoot.N12', server.port);
    assert.equal(sha256(again.data), tree.sums['Boot/x64/pxeboot.n12']);
  } finally {
    client.close();
  }
});
