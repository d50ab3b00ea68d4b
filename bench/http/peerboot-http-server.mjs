// Bench-only launcher: peerboot's HTTP boot server alone (the responder's HTTP lane), on a root,
// address and port, until SIGTERM. Logging is off, like nginx's access_log in the bench config.
// Usage: node bench/http/peerboot-http-server.mjs CODE_DIR ROOT ADDRESS PORT
//   CODE_DIR: the compiled dist/ (plain node), or src/ when started with `node --import tsx`.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [codeDir, root, address, port] = process.argv.slice(2);
if (!codeDir || !root || !address || !port) {
  console.error('usage: peerboot-http-server.mjs CODE_DIR ROOT ADDRESS PORT');
  process.exit(2);
}
const load = (rel) => import(pathToFileURL(join(codeDir, rel)).href);
const { BootRoot } = await load('agent/files/boot-root.js');
const { startHttpBootServer } = await load('agent/http/http-boot-server.js');
const { silentLogger } = await load('platform/logger.js');

const bootRoot = await BootRoot.open(root);
const server = await startHttpBootServer({ root: bootRoot, address, port: Number(port), logger: silentLogger });
console.log(`peerboot http listening on ${server.address}:${server.port}`);
const stop = () => {
  void server.close().then(() => bootRoot.close()).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
