// Goal: the server shell answers every request the way docs/protocol-notes.md says (the TFTP
// sections, "Boot file names and the boot root" and "TFTP amplification"): data from the exact
// address asked, the right ERROR code for every refusal, strangers on a transfer port left
// unanswered without disturbing the transfer (the transfer socket is connected to its client),
// duplicate RRQs and late ACKs absorbed, malformed packets counted, the EDK2 probe logged as a
// probe, sessions bounded (per client address too, and named in the log), netascii converted.
// Method: a real server on loopback (127.0.0.2, port 0) driven by the codec-based TestTftpClient.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink, rm, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BootRoot } from '../files/boot-root.js';
import { memoryLogger } from '../../platform/logger.js';
import { TestTftpClient } from '../../testkit/tftp-client.js';
import { startTftpServer, startTftpServers, type TftpServerOptions } from './tftp-server.js';

const ADDRESS = '127.0.0.2';
let base: string;
let root: BootRoot;
const big = randomBytes(300_000);

before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'peerboot-tftpd-')));
  const dir = join(base, 'root');
  await mkdir(join(dir, 'Boot', 'x64'), { recursive: true });
  await writeFile(join(dir, 'Boot', 'x64', 'pxeboot.n12'), big);
  await writeFile(join(dir, 'exact-1024.bin'), big.subarray(0, 1024));
  await writeFile(join(dir, 'text.txt'), 'line1\nline2\r\nbare\rend');
  await writeFile(join(base, 'secret'), 'outside');
  await symlink(join(base, 'secret'), join(dir, 'escape'));
  root = await BootRoot.open(dir, { fileLingerMs: 0 });
});

after(async () => {
  await root.close();
  await rm(base, { recursive: true, force: true });
});

async function withServer(overrides: Partial<TftpServerOptions>, body: (s: Awaited<ReturnType<typeof startTftpServer>>, log: ReturnType<typeof memoryLogger>) => Promise<void>) {
  const log = memoryLogger();
  const server = await startTftpServer({ root, address: ADDRESS, port: 0, logger: log, finishedLingerMs: 300, ...overrides });
  const clients: TestTftpClient[] = [];
  try {
    await body(server, log);
  } finally {
    for (const c of clients) c.close();
    await server.close();
  }
}

const opts = (o: Record<string, string>) => new Map(Object.entries(o));

/** Polls until `probe` returns something truthy (the server logs a transfer once the final ACK is in). */
async function eventually<T>(probe: () => T | undefined | false, timeoutMs = 2000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((res) => setTimeout(res, 5));
  }
}
const transferLines = (log: ReturnType<typeof memoryLogger>) => log.lines.filter((l) => l.msg === 'tftp transfer');

test('downloads with windows come from the exact address asked, byte for byte', async () => {
  await withServer({}, async (server, log) => {
    const client = await TestTftpClient.open(ADDRESS);
    const r = await client.download('\\BOOT\\X64\\PXEBOOT.N12', server.port, { address: ADDRESS, requestOptions: opts({ tsize: '0', blksize: '1468', windowsize: '8' }) });
    client.close();
    assert.deepEqual(r.data, big);
    assert.equal(r.from.address, ADDRESS);
    assert.notEqual(r.from.port, server.port, 'data comes from a fresh transfer port (RFC 1350 TID)');
    assert.deepEqual(r.optionAck, opts({ tsize: String(big.length), blksize: '1468', windowsize: '8' }));
    const line = await eventually(() => transferLines(log)[0]);
    assert.equal(line.outcome, 'complete');
    assert.equal(line?.bytes, big.length);
    assert.equal(line?.windowsize, 8);
  });
});

test('no options: lock-step at 512 with the final zero-length block', async () => {
  await withServer({}, async (server) => {
    const client = await TestTftpClient.open(ADDRESS);
    const r = await client.download('exact-1024.bin', server.port, { address: ADDRESS });
    client.close();
    assert.equal(r.optionAck, null);
    assert.deepEqual(r.data, big.subarray(0, 1024));
  });
});

test('every refusal reaches the client as the right ERROR code', async () => {
  await withServer({}, async (server, log) => {
    const cases: Array<{ packet: Parameters<TestTftpClient['send']>[0]; code: number; outcome: string }> = [
      { packet: { op: 'writeRequest', filename: 'x', mode: 'octet', options: new Map() }, code: 2, outcome: 'accessViolation' },
      { packet: { op: 'readRequest', filename: 'text.txt', mode: 'mail', options: new Map() }, code: 4, outcome: 'badRequest' },
      { packet: { op: 'readRequest', filename: '', mode: 'octet', options: new Map() }, code: 4, outcome: 'badRequest' },
      { packet: { op: 'readRequest', filename: 'missing.efi', mode: 'octet', options: new Map() }, code: 1, outcome: 'notFound' },
      { packet: { op: 'readRequest', filename: '../secret', mode: 'octet', options: new Map() }, code: 2, outcome: 'accessViolation' },
      { packet: { op: 'readRequest', filename: '..\\..\\secret', mode: 'octet', options: new Map() }, code: 2, outcome: 'accessViolation' },
      { packet: { op: 'readRequest', filename: 'escape', mode: 'octet', options: new Map() }, code: 2, outcome: 'accessViolation' },
      { packet: { op: 'readRequest', filename: 'C:\\secret', mode: 'octet', options: new Map() }, code: 2, outcome: 'accessViolation' },
      { packet: { op: 'readRequest', filename: 'Boot', mode: 'octet', options: new Map() }, code: 1, outcome: 'notFound' },
    ];
    for (const c of cases) {
      const client = await TestTftpClient.open(ADDRESS);
      client.send(c.packet, server.port, ADDRESS);
      const r = await client.next();
      client.close();
      assert.equal(r?.packet.op, 'error', JSON.stringify(c.packet.valueOf()));
      if (r?.packet.op === 'error') assert.equal(r.packet.code, c.code, JSON.stringify([...Object.entries(c.packet)]));
      const line = log.lines.filter((l) => l.msg === 'tftp transfer').at(-1);
      assert.equal(line?.outcome, c.outcome);
    }
    assert.equal(server.counters.get('tftp_errors_sent_total'), cases.length);
  });
});

test('malformed packets are dropped, counted and logged at debug; the server keeps serving', async () => {
  await withServer({}, async (server, log) => {
    const client = await TestTftpClient.open(ADDRESS);
    for (const junk of [Buffer.from([0]), Buffer.from([0, 9, 1, 2]), Buffer.from('\x00\x01file\x00octet'), Buffer.from([0, 4, 0])]) {
      client.send(junk, server.port, ADDRESS);
    }
    assert.equal(await client.next(200), null, 'no reply to junk');
    assert.equal(server.counters.get('tftp_malformed_total'), 4);
    assert.equal(log.lines.filter((l) => l.msg === 'tftp malformed packet dropped' && l.level === 'debug').length, 4);
    const r = await client.download('text.txt', server.port, { address: ADDRESS });
    client.close();
    assert.equal(r.data.toString('latin1'), 'line1\nline2\r\nbare\rend');
  });
});

test('a stranger on the transfer port gets no answer and the transfer carries on; duplicate RRQs start nothing', async () => {
  await withServer({}, async (server) => {
    const client = await TestTftpClient.open(ADDRESS);
    const stranger = await TestTftpClient.open(ADDRESS);
    const rrq = { op: 'readRequest' as const, filename: 'exact-1024.bin', mode: 'octet', options: opts({ blksize: '512' }) };
    client.send(rrq, server.port, ADDRESS);
    client.send(rrq, server.port, ADDRESS); // retransmitted RRQ, same source port
    const oack = await client.next();
    assert.equal(oack?.packet.op, 'optionAck');
    const tid = oack!.from;
    // The transfer socket is connect()ed to the client: the kernel delivers the stranger's ACK to no
    // socket (it answers with ICMP port unreachable), so no ERROR 5 and no DATA go to the stranger,
    // and the stranger's "ACK 0" does not start the transfer in the client's place.
    stranger.send({ op: 'ack', block: 0 }, tid.port, ADDRESS);
    assert.deepEqual(await stranger.drain(150), [], 'the stranger is not answered');
    assert.deepEqual(await client.drain(50), [], 'the stranger’s ACK 0 moved nothing');
    client.send({ op: 'ack', block: 0 }, tid.port, ADDRESS);
    const blocks: number[] = [];
    for (let expected = 1; expected <= 3; expected++) {
      const d = await client.next();
      assert.equal(d?.packet.op, 'data');
      if (d?.packet.op !== 'data') return;
      assert.equal(d.from.port, tid.port);
      blocks.push(d.packet.block);
      client.send({ op: 'ack', block: d.packet.block }, tid.port, ADDRESS);
    }
    assert.deepEqual(blocks, [1, 2, 3]);
    // The late duplicate final ACK meets silence, not an ERROR.
    client.send({ op: 'ack', block: 3 }, tid.port, ADDRESS);
    assert.deepEqual(await client.drain(150), [], 'no second OACK, no ERROR');
    assert.equal(server.counters.get('tftp_duplicate_requests_total'), 1);
    assert.equal(server.counters.get('tftp_unknown_tid_total'), 0, 'the kernel filtered the stranger before it reached the server');
    assert.equal(server.counters.get('tftp_errors_sent_total'), 0, 'no ERROR 5');
    assert.equal(server.counters.get('tftp_late_packets_total'), 1);
    client.close();
    stranger.close();
  });
});

test('EDK2 tsize probe: OACK, ERROR 8, then the real download from a new port', async () => {
  await withServer({}, async (server, log) => {
    const probe = await TestTftpClient.open(ADDRESS);
    probe.send({ op: 'readRequest', filename: 'Boot/x64/pxeboot.n12', mode: 'octet', options: opts({ tsize: '0', blksize: '1468', windowsize: '4' }) }, server.port, ADDRESS);
    const oack = await probe.next();
    assert.deepEqual(oack?.packet, { op: 'optionAck', options: opts({ tsize: String(big.length), blksize: '1468', windowsize: '4' }) });
    probe.send({ op: 'error', code: 8, message: 'User aborted the transfer' }, oack!.from.port, ADDRESS);
    assert.deepEqual(await probe.drain(150), [], 'nothing answers the ERROR');
    probe.close();
    const client = await TestTftpClient.open(ADDRESS);
    const r = await client.download('Boot/x64/pxeboot.n12', server.port, { address: ADDRESS, requestOptions: opts({ blksize: '1468', windowsize: '4' }) });
    client.close();
    assert.deepEqual(r.data, big);
    await eventually(() => transferLines(log).length === 2);
    assert.deepEqual(transferLines(log).map((l) => l.outcome), ['probe', 'complete']);
    assert.equal(server.counters.get('tftp_transfers_finished_total', { outcome: 'probe' }), 1);
  });
});

test('sessions are bounded: over the limit a client gets ERROR 0 "server busy"; the error and the log name the cap', async () => {
  await withServer({ maxSessions: 1 }, async (server, log) => {
    const first = await TestTftpClient.open(ADDRESS);
    first.send({ op: 'readRequest', filename: 'text.txt', mode: 'octet', options: opts({ tsize: '0' }) }, server.port, ADDRESS);
    assert.equal((await first.next())?.packet.op, 'optionAck');
    assert.equal(server.activeSessions().length, 1);
    const second = await TestTftpClient.open(ADDRESS);
    second.send({ op: 'readRequest', filename: 'text.txt', mode: 'octet', options: new Map() }, server.port, ADDRESS);
    const r = await second.next();
    assert.deepEqual(r?.packet, { op: 'error', code: 0, message: 'Server busy: 1 transfers running (server limit), try again later' });
    assert.match(String(transferLines(log).find((l) => l.outcome === 'busy')?.detail), /server cap reached: 1 transfers running/);
    first.close();
    second.close();
  });
  await withServer({ maxSessionsPerClient: 1 }, async (server, log) => {
    const first = await TestTftpClient.open(ADDRESS);
    first.send({ op: 'readRequest', filename: 'text.txt', mode: 'octet', options: opts({ tsize: '0' }) }, server.port, ADDRESS);
    assert.equal((await first.next())?.packet.op, 'optionAck');
    const second = await TestTftpClient.open(ADDRESS);
    second.send({ op: 'readRequest', filename: 'text.txt', mode: 'octet', options: new Map() }, server.port, ADDRESS);
    assert.deepEqual((await second.next())?.packet, { op: 'error', code: 0, message: 'Server busy: 1 transfers from your address (per-client limit, --max-per-client), try again later' });
    // A third machine with its own address is not held back by the first one's cap.
    const other = await TestTftpClient.open('127.0.0.3');
    other.send({ op: 'readRequest', filename: 'text.txt', mode: 'octet', options: opts({ tsize: '0' }) }, server.port, ADDRESS);
    assert.equal((await other.next())?.packet.op, 'optionAck');
    const busy = transferLines(log).find((l) => l.outcome === 'busy');
    assert.match(String(busy?.detail), /per-client cap reached: 1 transfers from 127\.0\.0\.2 .*--max-per-client/);
    first.close();
    second.close();
    other.close();
  });
});

test('a lost DATA is retransmitted after the RTO; a client that vanishes is dropped after 3 OACK retransmissions', async () => {
  await withServer({ timing: { initialRtoMs: 50, maxRtoMs: 100 } }, async (server, log) => {
    const client = await TestTftpClient.open(ADDRESS);
    client.send({ op: 'readRequest', filename: 'text.txt', mode: 'octet', options: new Map() }, server.port, ADDRESS);
    const first = await client.next();
    const again = await client.next(1000); // no ACK: the same DATA 1 again
    assert.equal(first?.packet.op, 'data');
    assert.deepEqual(again?.packet, first?.packet);
    client.send({ op: 'ack', block: 1 }, again!.from.port, ADDRESS);
    assert.equal((await eventually(() => transferLines(log)[0])).outcome, 'complete');

    const ghost = await TestTftpClient.open(ADDRESS);
    ghost.send({ op: 'readRequest', filename: 'text.txt', mode: 'octet', options: opts({ tsize: '0' }) }, server.port, ADDRESS);
    const seen = await ghost.drain(800);
    ghost.close();
    client.close();
    assert.equal(seen.filter((r) => r.packet.op === 'optionAck').length, 4, 'the OACK and 3 retransmissions, no more');
    const line = log.lines.filter((l) => l.msg === 'tftp transfer').at(-1);
    assert.equal(line?.outcome, 'timeout');
    assert.equal(server.activeSessions().length, 0);
  });
});

test('an ACK already waiting when the retransmission timer comes due prevents the retransmission', async () => {
  // Node runs due timers before it reads sockets. Keep the event loop busy past the RTO right after
  // the ACK went out (as a GC pause or a burst from other sessions would): the server must read the
  // waiting ACK before it decides the block was lost.
  await withServer({ timing: { initialRtoMs: 20, minRtoMs: 20 } }, async (server) => {
    const client = await TestTftpClient.open(ADDRESS);
    try {
      client.send({ op: 'readRequest', filename: 'exact-1024.bin', mode: 'octet', options: new Map() }, server.port, ADDRESS);
      for (let block = 1; block <= 3; block++) {
        const d = await client.next();
        assert.equal(d?.packet.op, 'data');
        if (d?.packet.op !== 'data') return;
        assert.equal(d.packet.block, block, 'each block once, in order');
        client.send({ op: 'ack', block }, d.from.port, ADDRESS);
        const busyUntil = performance.now() + 60;
        while (performance.now() < busyUntil) { /* the event loop is blocked, as under load */ }
      }
      assert.deepEqual(await client.drain(100), [], 'no duplicate DATA');
    } finally {
      client.close();
    }
    assert.equal(server.counters.get('tftp_retransmits_total'), 0);
    assert.equal(server.counters.get('tftp_transfers_finished_total', { outcome: 'complete' }), 1);
  });
});

test('a client that closes its port mid-transfer is dropped at the next retransmission, not after the idle give-up', async () => {
  // The transfer socket is connected, so the kernel reports the client's ICMP port unreachable.
  await withServer({ timing: { initialRtoMs: 50, minRtoMs: 20 } }, async (server, log) => {
    const client = await TestTftpClient.open(ADDRESS);
    client.send({ op: 'readRequest', filename: 'Boot/x64/pxeboot.n12', mode: 'octet', options: new Map() }, server.port, ADDRESS);
    const first = await client.next();
    assert.equal(first?.packet.op, 'data');
    client.send({ op: 'ack', block: 1 }, first!.from.port, ADDRESS);
    assert.equal((await client.next())?.packet.op, 'data');
    client.close(); // gone without a word after block 2, like a machine that reset
    const line = await eventually(() => transferLines(log)[0], 3000); // the idle give-up would take 10 s
    assert.equal(line.outcome, 'clientGone');
    assert.match(String(line.detail), /closed its port \(ICMP port unreachable\)/);
    assert.equal(line.level, 'warn');
    assert.equal(server.activeSessions().length, 0);
    assert.equal(server.counters.get('tftp_transfers_finished_total', { outcome: 'clientGone' }), 1);
  });
});

test('netascii mode converts LF to CR LF and CR to CR NUL', async () => {
  await withServer({}, async (server) => {
    const client = await TestTftpClient.open(ADDRESS);
    const r = await client.download('text.txt', server.port, { address: ADDRESS, mode: 'NetASCII', requestOptions: opts({ tsize: '0', blksize: '8' }) });
    client.close();
    assert.deepEqual(r.optionAck, opts({ blksize: '8' }), 'no tsize in netascii');
    assert.equal(r.data.toString('latin1'), 'line1\r\nline2\r\0\r\nbare\r\0end');
  });
});

test('close() ends running transfers and releases every socket and file', async () => {
  const log = memoryLogger();
  const server = await startTftpServer({ root, address: ADDRESS, port: 0, logger: log });
  const client = await TestTftpClient.open(ADDRESS);
  client.send({ op: 'readRequest', filename: 'Boot/x64/pxeboot.n12', mode: 'octet', options: opts({ tsize: '0' }) }, server.port, ADDRESS);
  assert.equal((await client.next())?.packet.op, 'optionAck');
  await server.close();
  client.close();
  assert.equal(server.activeSessions().length, 0);
  assert.equal(log.lines.find((l) => l.msg === 'tftp transfer')?.outcome, 'aborted');
  await new Promise((res) => setTimeout(res, 10));
  assert.equal(root.openFileCount(), 0);
});

test('startTftpServers binds one server per address, and reports a busy port with its fix', async () => {
  const set = await startTftpServers({ root, addresses: ['127.0.0.2', '127.0.0.3'], port: 0, logger: memoryLogger() });
  try {
    assert.deepEqual(set.servers.map((s) => s.address), ['127.0.0.2', '127.0.0.3']);
    const client = await TestTftpClient.open('127.0.0.3');
    const r = await client.download('text.txt', set.servers[1]!.port, { address: '127.0.0.3' });
    client.close();
    assert.equal(r.from.address, '127.0.0.3');
    await assert.rejects(startTftpServer({ root, address: '127.0.0.2', port: set.servers[0]!.port, logger: memoryLogger() }), (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'PEERBOOT_ERR_PORT_IN_USE');
      assert.match((err as Error).message, /already in use: stop the other TFTP server/);
      return true;
    });
  } finally {
    await set.close();
  }
});
