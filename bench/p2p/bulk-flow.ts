/**
 * The competing TCP flow for the WAN tests: a bulk download across the same WAN link as the
 * packages (HQ → a branch user), standing in for the branch's business traffic.
 *   source PORT             (in HQ) accept connections, send zeros as fast as TCP allows
 *   sink HOST PORT SECONDS  (in the branch) connect, read for SECONDS, print one JSON line per
 *                           250 ms with the bytes read in that interval, then a summary line
 */
import { createConnection, createServer } from 'node:net';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'source') {
  const block = Buffer.alloc(64 * 1024);
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    const pump = () => { while (socket.write(block)) { /* until the kernel buffer is full */ } };
    socket.on('drain', pump);
    pump();
  });
  server.listen(Number(args[0]), '0.0.0.0', () => process.stdout.write(`${JSON.stringify({ event: 'listening' })}\n`));
  process.once('SIGTERM', () => process.exit(0));
} else if (mode === 'sink') {
  const [host, port, seconds] = args;
  const socket = createConnection({ host: host!, port: Number(port) });
  let interval = 0;
  let total = 0;
  const started = Date.now();
  socket.on('data', (b: Buffer) => { interval += b.byteLength; total += b.byteLength; });
  const tick = setInterval(() => {
    process.stdout.write(`${JSON.stringify({ event: 'rate', atMs: Date.now(), bytes: interval })}\n`);
    interval = 0;
  }, 250);
  setTimeout(() => {
    clearInterval(tick);
    process.stdout.write(`${JSON.stringify({ event: 'done', atMs: Date.now(), bytes: total, ms: Date.now() - started })}\n`);
    socket.destroy();
    process.exit(0);
  }, Number(seconds) * 1000);
  socket.on('error', (e) => { process.stderr.write(`sink: ${e.message}\n`); process.exit(1); });
} else {
  process.stderr.write('usage: bulk-flow source PORT | sink HOST PORT SECONDS\n');
  process.exit(2);
}
