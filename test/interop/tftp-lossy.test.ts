// Goal: on a link that loses about 1 % of datagrams in each direction, downloads by real clients
// (curl lock-step, atftp windowed) still complete byte for byte, recovered by the server's own
// retransmission timer, with retransmissions proportionate to the losses (no Sorcerer's Apprentice).
// Method: a seeded lossy forwarder on 127.0.0.1 between the client and an in-process server that
// follows TFTP's port change; sha256 of every download; server counters against forwarder drops.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BootRoot } from '../../src/agent/files/boot-root.js';
import { startTftpServer, type TftpServerHandle } from '../../src/agent/tftp/tftp-server.js';
import { memoryLogger } from '../../src/platform/logger.js';
import { LossyTftpForwarder, makeBootTree, run, sha256OfFile } from './tftp-support.js';

const LOSS = 0.01;
let tree: { dir: string; sums: Record<string, string> };
let out: string;
let root: BootRoot;
let server: TftpServerHandle;
const log = memoryLogger();

before(async () => {
  tree = await makeBootTree('peerboot-lossy-', { 'kernel.bin': 2 * 1024 * 1024 + 77 });
  out = await mkdtemp(join(tmpdir(), 'peerboot-lossy-out-'));
  root = await BootRoot.open(tree.dir);
  server = await startTftpServer({ root, address: '127.0.0.1', port: 0, logger: log });
});

after(async () => {
  await server.close();
  await root.close();
  await rm(tree.dir, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
});

const cases: Array<{ name: string; seed: number; window: number; args: (port: number, dest: string) => [string, string[]] }> = [
  { name: 'curl --tftp-blksize 1468 (lock-step)', seed: 11, window: 1, args: (p, d) => ['curl', ['-sS', '--tftp-blksize', '1468', '-o', d, `tftp://127.0.0.1:${p}/kernel.bin`]] },
  { name: 'atftp blksize 1468 windowsize 8', seed: 23, window: 8, args: (p, d) => ['atftp', ['--option', 'blksize 1468', '--option', 'windowsize 8', '-g', '-r', 'kernel.bin', '-l', d, '127.0.0.1', String(p)]] },
];

for (const c of cases) {
  test(`${c.name}: completes through ~1 % loss each way (seed ${c.seed})`, async () => {
    const forwarder = new LossyTftpForwarder(server.port, LOSS, c.seed);
    await forwarder.start();
    const retransmitsBefore = server.counters.get('tftp_retransmits_total');
    const dest = join(out, `${c.seed}.bin`);
    try {
      const [cmd, args] = c.args(forwarder.port, dest);
      const r = await run(cmd, args, 120_000);
      assert.equal(r.code, 0, `${c.name}: exit ${r.code}\n${r.stderr}`);
      assert.equal(await sha256OfFile(dest), tree.sums['kernel.bin']);
      assert.ok(forwarder.dropped > 0, 'the forwarder really dropped datagrams');
      const retransmitEvents = server.counters.get('tftp_retransmits_total') - retransmitsBefore;
      // Each retransmission (a timed-out or gap-acknowledged window) needs a lost datagram behind it.
      assert.ok(retransmitEvents <= forwarder.dropped * 2 + 2, `${retransmitEvents} retransmissions for ${forwarder.dropped} drops`);
    } finally {
      forwarder.close();
      await rm(dest, { force: true });
    }
  });
}
