// Bench anchor: the npm `tftp` package's server (pure JavaScript, RFC 2347/2348/2349/7440), read-only,
// configured so it never caps what the clients ask for (blksize up to 65464, windowsize up to 64).
// Usage: node bench/tftp/npm-tftp-server.mjs ROOT ADDRESS PORT   (runs until SIGTERM)
import tftp from 'tftp';

const [root, host, port] = process.argv.slice(2);
if (!root || !host || !port) {
  console.error('usage: npm-tftp-server.mjs ROOT ADDRESS PORT');
  process.exit(2);
}
const server = tftp.createServer({ root, host, port: Number(port), denyPUT: true, blockSize: 65464, windowSize: 64 });
server.on('error', (err) => {
  console.error(`npm-tftp-server: ${err.message}`);
  process.exit(1);
});
// Errors of single transfers (client gone, timeouts) must not end the server.
server.on('request', (req) => req.on('error', () => {}));
server.listen();
process.on('SIGTERM', () => server.close());
process.on('SIGINT', () => server.close());
