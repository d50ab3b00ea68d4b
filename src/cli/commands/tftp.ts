/**
 * `peerboot tftp`: the TFTP server alone (for networks whose PXE is set up already, and for the speed
 * bench to measure the engine by itself), the same engine as the responder's:
 *   peerboot tftp --root DIR [--port N] [--address IP]
 * plus optional --max-per-client N and --log-level LEVEL. Foreground, read-only, one JSON line per transfer, clean exit on SIGTERM/SIGINT. Without
 * --address it binds every local IPv4 address, so each reply leaves from the address its request
 * reached (EDK2 insists; docs/protocol-notes.md, "TFTP transfer IDs and the server address" and
 * "Multi-homed hosts in Node").
 */
import { networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';
import { BootRoot, BootRootError } from '../../agent/files/boot-root.js';
import { startTftpServers } from '../../agent/tftp/tftp-server.js';
import { PeerbootError } from '../../contract/error-codes.js';
import { Counters } from '../../platform/counters.js';
import { jsonLogger } from '../../platform/logger.js';
import { UsageError, type Command } from '../command.js';
import { parseFlags, parseIntegerFlag, parseLogLevel, parsePortFlag } from '../options.js';
import { waitForShutdownSignal } from '../signals.js';

/** The engine's defaults (src/agent/tftp/tftp-server.ts), spelled out for the flag's help and bounds. */
const DEFAULT_MAX_PER_CLIENT = 16;
const MAX_SESSIONS = 200;

const usage = `Usage: peerboot tftp --root DIR [--port N] [--address IP] [--max-per-client N]

Serves the files under DIR over TFTP, read-only (RFC 1350, options blksize, tsize, timeout,
windowsize, rollover; block-number rollover past 65535 blocks). Paths may use \\ or / in any
letter case; nothing outside DIR is ever served.

  --root DIR        directory to serve
  --port N          UDP port (default 69; 0 picks a free one, printed at start)
  --address IP      listen on this local IPv4 address only (default: every local IPv4 address,
                    one socket each, so replies come from the address the client asked)
  --max-per-client N
                    concurrent transfers from one client address (default ${DEFAULT_MAX_PER_CLIENT}, at
                    most ${MAX_SESSIONS}, the server-wide cap); raise it when many machines boot
                    through one NAT address and get "Server busy"
  --log-level LEVEL debug | info | warn | error (default info)

Logs one JSON line per transfer on stdout. Port 69 needs root or CAP_NET_BIND_SERVICE.
Stops cleanly on SIGTERM or Ctrl-C.
`;

/** Every IPv4 address of this machine, loopback included. */
function localIpv4Addresses(): string[] {
  const found = new Set<string>();
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4') found.add(entry.address);
  }
  return [...found];
}

export const tftpCommand: Command = {
  name: 'tftp',
  summary: 'run only the TFTP server on a directory (read-only)',
  usage,
  async run(argv) {
    const parsed = parseFlags('tftp', argv, {
      root: { type: 'string' }, port: { type: 'string' }, address: { type: 'string' }, 'log-level': { type: 'string' },
      'max-per-client': { type: 'string' },
    });
    const v = parsed.values;
    if (!v.root) throw new UsageError("--root DIR is required. See 'peerboot tftp --help'.");
    const port = v.port === undefined ? 69 : parsePortFlag('--port', v.port, 0);
    if (v.address !== undefined && !isIPv4(v.address)) throw new UsageError(`--address must be an IPv4 address of this machine, got '${v.address}'`);
    const perClientFlag = v['max-per-client'];
    const maxPerClient = perClientFlag === undefined ? DEFAULT_MAX_PER_CLIENT : parseIntegerFlag('--max-per-client', perClientFlag, { min: 1, max: MAX_SESSIONS });
    const logLevel = parseLogLevel(v['log-level']);

    // Listen for the stop signal before anything else: a SIGTERM arriving during start-up (or right
    // after the "listening" line) must still mean a clean shutdown, not the default kill.
    const stopSignal = waitForShutdownSignal();
    let root: BootRoot;
    try {
      root = await BootRoot.open(v.root);
    } catch (err) {
      if (err instanceof BootRootError) throw new UsageError(`${err.message} [${err.code}]`, 1);
      throw err;
    }
    const logger = jsonLogger({ minLevel: logLevel });
    const addresses = v.address !== undefined ? [v.address] : localIpv4Addresses();
    if (addresses.length === 0) throw new UsageError('this machine has no IPv4 address; bring an interface up or pass --address', 1);
    let servers;
    try {
      servers = await startTftpServers({ root, addresses, port, logger, counters: new Counters(), maxSessions: MAX_SESSIONS, maxSessionsPerClient: maxPerClient });
    } catch (err) {
      await root.close();
      if (err instanceof PeerbootError) throw new UsageError(`${err.message} [${err.code}]`, 1);
      throw err;
    }
    logger.info('tftp server listening', {
      root: root.rootDir,
      listen: servers.servers.map((s) => `${s.address}:${s.port}`),
      port: servers.servers[0]?.port,
      maxPerClient,
    });
    const signal = await stopSignal;
    logger.info('tftp server stopping', { signal, counters: servers.counters.snapshot() });
    await servers.close();
    await root.close();
    return 0;
  },
};
