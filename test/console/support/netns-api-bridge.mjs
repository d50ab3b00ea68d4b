// Runs inside the agent's network namespace: listens on TCP 127.0.0.1:PORT there and pipes each
// connection to a Unix socket, which the test (in the root namespace) forwards to the real server
// on the root namespace's 127.0.0.1. The agent reaches the server without any route or veth out of
// its namespace. Usage: node netns-api-bridge.mjs PORT SOCKET
import { createConnection, createServer } from 'node:net';

const [port, socketPath] = process.argv.slice(2);
const server = createServer((client) => {
  const upstream = createConnection({ path: socketPath });
  client.pipe(upstream).pipe(client);
  const close = () => { client.destroy(); upstream.destroy(); };
  client.on('error', close);
  upstream.on('error', close);
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`bridge 127.0.0.1:${port} -> ${socketPath}\n`));
process.on('SIGTERM', () => { server.close(); process.exit(0); });
