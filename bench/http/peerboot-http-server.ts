/**
 * Bench-only launcher: peerboot's HTTP boot server alone (the responder's HTTP lane), on a root,
 * address and port, until SIGTERM. Logging is off, like nginx's access_log in the bench config.
 * Usage: node --import tsx bench/http/peerboot-http-server.ts ROOT ADDRESS PORT
 */
import { BootRoot } from '../../src/agent/files/boot-root.js';
import { startHttpBootServer } from '../../src/agent/http/http-boot-server.js';
import { silentLogger } from '../../src/platform/logger.js';

const [root, address, port] = process.argv.slice(2);
if (root === undefined || address === undefined || port === undefined) {
  console.error('usage: peerboot-http-server.ts ROOT ADDRESS PORT');
  process.exit(2);
}
const bootRoot = await BootRoot.open(root);
const server = await startHttpBootServer({ root: bootRoot, address, port: Number(port), logger: silentLogger });
console.log(`peerboot http listening on ${server.address}:${server.port}`);
const stop = () => {
  void server.close().then(() => bootRoot.close()).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
