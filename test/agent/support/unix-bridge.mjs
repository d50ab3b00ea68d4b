// Runs inside a lab namespace: accepts connections on a Unix socket (reachable from the root
// namespace through the filesystem) and pipes each to TCP HOST:PORT inside the namespace. Lets a
// test in the root namespace call a server that only listens inside the lab, with no veth into
// the root namespace. Usage: node unix-bridge.mjs SOCKET HOST PORT
import { createConnection, createServer } from 'node:net';
import { rmSync } from 'node:fs';

const [socketPath, host, port] = process.argv.slice(2);
rmSync(socketPath, { force: true });
const server = createServer((client) => {
  const upstream = createConnection({ host, port: Number(port) });
  client.pipe(upstream).pipe(client);
  const close = () => { client.destroy(); upstream.destroy(); };
  client.on('error', close);
  upstream.on('error', close);
});
server.listen(socketPath, () => process.stdout.write(`bridge ${socketPath} -> ${host}:${port}\n`));
process.on('SIGTERM', () => { server.close(); rmSync(socketPath, { force: true }); process.exit(0); });
