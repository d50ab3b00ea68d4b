// Goal: the HTTP boot server gives a real HTTP client (curl) exact bytes, ranges and status codes,
// and never a byte from outside the boot root.
// Method: start the server on 127.0.0.1:0 over a generated root; drive curl; sha256-verify bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BootRoot } from '../../src/agent/files/boot-root.js';
import { startHttpBootServer } from '../../src/agent/http/http-boot-server.js';
import { memoryLogger } from '../../src/platform/logger.js';

const work = mkdtempSync(join(tmpdir(), 'pb-http-'));
const root = join(work, 'root');
mkdirSync(join(root, 'Boot', 'x64'), { recursive: true });
const kernel = randomBytes(3 * 1024 * 1024 + 17);
writeFileSync(join(root, 'vmlinuz'), kernel);
writeFileSync(join(root, 'Boot', 'x64', 'BCD'), 'bcd-bytes');
writeFileSync(join(root, 'boot.ipxe'), '#!ipxe\necho hello\n');
writeFileSync(join(work, 'secret.txt'), 'TOP-SECRET-CONTENT');
symlinkSync(join(work, 'secret.txt'), join(root, 'escape.txt'));

const logger = memoryLogger();
const server = await startHttpBootServer({ root: await BootRoot.open(root), address: '127.0.0.1', port: 0, logger });
const base = `http://127.0.0.1:${server.port}`;
test.after(async () => { await server.close(); rmSync(work, { recursive: true, force: true }); });

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// curl runs asynchronously: the server under test lives in this process's event loop.
const run = promisify(execFile);

async function curl(...args: string[]): Promise<{ status: number; headers: string; body: Buffer }> {
  const out = join(work, `body-${Math.random().toString(36).slice(2)}`);
  const r = await run('curl', ['-sS', '-o', out, '-D', '-', '--path-as-is', ...args], { encoding: 'utf8', timeout: 30_000 });
  const status = Number(/^HTTP\/1\.1 (\d+)/m.exec(r.stdout)?.[1]);
  let body = Buffer.alloc(0);
  try { body = readFileSync(out); } catch { /* HEAD or empty */ }
  return { status, headers: r.stdout, body };
}

test('a whole file arrives byte-exact with its Content-Length', async () => {
  const r = await curl(`${base}/vmlinuz`);
  assert.equal(r.status, 200);
  assert.match(r.headers, new RegExp(`content-length: ${kernel.length}`, 'i'));
  assert.equal(sha(r.body), sha(kernel));
});

test('a byte range returns 206 with exactly those bytes', async () => {
  const r = await curl('-r', '1000-1999', `${base}/vmlinuz`);
  assert.equal(r.status, 206);
  assert.match(r.headers, new RegExp(`content-range: bytes 1000-1999/${kernel.length}`, 'i'));
  assert.equal(sha(r.body), sha(kernel.subarray(1000, 2000)));
});

test('curl resumes a partial download (-C -) to the exact file', async () => {
  const partial = join(work, 'partial');
  writeFileSync(partial, kernel.subarray(0, 123_457));
  await run('curl', ['-sS', '-C', '-', '-o', partial, `${base}/vmlinuz`], { timeout: 30_000 });
  assert.equal(sha(readFileSync(partial)), sha(kernel));
});

test('an unsatisfiable range is 416 with the size', async () => {
  const r = await curl('-r', `${kernel.length + 5}-`, `${base}/vmlinuz`);
  assert.equal(r.status, 416);
  assert.match(r.headers, new RegExp(`content-range: bytes \\*/${kernel.length}`, 'i'));
});

test('Windows-style paths resolve case-insensitively; iPXE scripts are text', async () => {
  assert.equal((await curl(`${base}/boot/X64/bcd`)).body.toString(), 'bcd-bytes');
  const script = await curl(`${base}/boot.ipxe`);
  assert.match(script.headers, /content-type: text\/plain/i);
  assert.match(script.body.toString(), /^#!ipxe/);
});

test('HEAD gives the length and no body', async () => {
  const r = await curl('-I', `${base}/vmlinuz`);
  assert.equal(r.status, 200);
  assert.match(r.headers, new RegExp(`content-length: ${kernel.length}`, 'i'));
});

test('missing files are 404; escapes and symlinks out of the root are 403; writes are 405', async () => {
  assert.equal((await curl(`${base}/nope.efi`)).status, 404);
  const dotdot = await curl(`${base}/../secret.txt`);
  assert.equal(dotdot.status, 403);
  assert.doesNotMatch(dotdot.body.toString(), /TOP-SECRET-CONTENT/);
  assert.equal((await curl(`${base}/%2e%2e/secret.txt`)).status, 403);
  const link = await curl(`${base}/escape.txt`);
  assert.equal(link.status, 403);
  assert.doesNotMatch(link.body.toString(), /TOP-SECRET-CONTENT/);
  assert.equal((await curl('-X', 'PUT', '--data', 'x', `${base}/vmlinuz`)).status, 405);
});

test('every request is logged with its status', async () => {
  assert.ok(logger.lines.some((l) => l.msg === 'http request' && l.status === 206));
  assert.ok(logger.lines.some((l) => l.msg === 'http request' && l.status === 403));
});
