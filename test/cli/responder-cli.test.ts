// Goal: `peerboot responder` refuses bad invocations with one clear line and the right exit code,
// before it touches the network; `peerboot --help` documents the contract.
// Method: spawn the real CLI (through tsx) with bad flags / missing files and read stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('../..', import.meta.url).pathname;

function peerboot(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const root = mkdtempSync(join(tmpdir(), 'pb-cli-'));
writeFileSync(join(root, 'undionly.kpxe'), 'x');
writeFileSync(join(root, 'ipxe.efi'), 'x');
test.after(() => rmSync(root, { recursive: true, force: true }));

test('peerboot --help documents the responder contract', () => {
  const r = peerboot('--help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /peerboot responder --interface IFACE --root DIR --bios FILE --uefi FILE/);
  assert.match(r.stdout, /--allow-unknown \| --allow-mac MAC,\.\.\./);
});

test('a missing required flag is a usage error (exit 2) naming the flag', () => {
  const r = peerboot('responder', '--interface', 'lo', '--root', root, '--bios', 'undionly.kpxe');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--uefi is required/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('--allow-unknown with --allow-mac is refused', () => {
  const r = peerboot('responder', '--interface', 'lo', '--root', root, '--bios', 'undionly.kpxe', '--uefi', 'ipxe.efi', '--allow-unknown', '--allow-mac', '52:54:00:00:00:01');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /mutually exclusive/);
});

test('a malformed MAC is refused with the expected form', () => {
  const r = peerboot('responder', '--interface', 'lo', '--root', root, '--bios', 'undionly.kpxe', '--uefi', 'ipxe.efi', '--allow-mac', '52:54:00:zz:00:01');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /aa:bb:cc:dd:ee:ff/);
});

test('a missing root is one line naming the fix, exit 1', () => {
  const r = peerboot('responder', '--interface', 'lo', '--root', join(root, 'nope'), '--bios', 'undionly.kpxe', '--uefi', 'ipxe.efi', '--allow-unknown');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not exist/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('a boot file missing from the root is named, exit 1', () => {
  const r = peerboot('responder', '--interface', 'lo', '--root', root, '--bios', 'pxelinux.0', '--uefi', 'ipxe.efi', '--allow-unknown');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--bios pxelinux\.0: no such file/);
});

test('an unknown interface names the ones that exist', () => {
  const r = peerboot('responder', '--interface', 'pb-no-such-if0', '--root', root, '--bios', 'undionly.kpxe', '--uefi', 'ipxe.efi', '--allow-unknown');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not found \(this machine has: .*lo/);
});
