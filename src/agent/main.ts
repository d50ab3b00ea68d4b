/**
 * `peerboot agent` as a program: reads flags, the PEERBOOT_* environment and the optional JSON
 * config file (the only place that does), builds the real dependencies (interface, clocks, JSON
 * logger, device class) and runs the agent until SIGTERM/SIGINT. Shared by the CLI subcommand and
 * the single-file bundle (packaging/agent-entry.ts → dist/peerboot-agent.mjs).
 */
import { readFileSync } from 'node:fs';
import { homedir, hostname, networkInterfaces } from 'node:os';
import { parseArgs } from 'node:util';
import type { AgentInterface } from '../contract/schemas.js';
import { systemClock } from '../platform/clock.js';
import { Counters } from '../platform/counters.js';
import { jsonLogger } from '../platform/logger.js';
import { findInterfaceIpv4, type InterfaceIpv4 } from '../platform/network-interfaces.js';
import { startAgent } from './agent.js';
import { AgentStartError } from './identity/enrollment.js';
import { PeerbootError } from '../contract/error-codes.js';
import { AGENT_SETTINGS, AgentConfigError, defaultAgentConfig, resolveAgentConfig, type AgentConfig } from './config/agent-config.js';
import { AgentStateError } from './identity/agent-identity.js';
import { detectDeviceClass } from './identity/device-class.js';

export const agentUsage = `Usage: peerboot agent --server URL --token TOKEN [--config FILE] [--data-dir DIR] [--interface IFACE] [options]

Runs the peerboot agent on a managed machine: enrolls with the server (first start only), keeps
its signed policy (pushed, polled, cached on disk), reports inventory, status and boot events, and,
when the policy makes it a responder, serves TFTP/HTTP and joins the election of its LAN; the
elected agent answers PXE clients (proxyDHCP on UDP 67/4011). Keeps serving from its last signed
policy while the server is down. Needs root (or CAP_NET_BIND_SERVICE) for ports 67, 68, 69, 4011.

Options (each also as an environment variable, and as a key of the JSON config file):
  --server URL            control plane, e.g. http://peerboot:8470          PEERBOOT_SERVER      server
  --token TOKEN           enrollment token (first start only)               PEERBOOT_TOKEN       token
  --config FILE           JSON config file                                  PEERBOOT_CONFIG
  --name NAME             the name this agent reports (default: the host's  PEERBOOT_NAME        name
                          name); give each agent on one host its own
  --data-dir DIR          identity, policy cache, packages                  PEERBOOT_DATA_DIR    dataDir
                          (default /var/lib/peerboot-agent as root)
  --interface IFACE       the LAN to serve (default: first non-loopback     PEERBOOT_INTERFACE   interface
                          interface with IPv4)
  --device-class CLASS    auto|server|desktop|laptop|wireless|unknown       PEERBOOT_DEVICE_CLASS deviceClass
  --weight N              election weight 0..65535, 0 = never serve         PEERBOOT_WEIGHT      weight
                          (default by device class: server 400 … wireless 100)
  --http-port N|off       HTTP boot port, the same on every agent (8469)    PEERBOOT_HTTP_PORT   httpPort
  --tftp-port N           TFTP port (69)                                    PEERBOOT_TFTP_PORT   tftpPort
  --election-port N       election UDP port, the same on every agent (4015) PEERBOOT_ELECTION_PORT electionPort
  --have-port N           package have messages, UDP, same on every agent   PEERBOOT_HAVE_PORT   havePort
                          (4016)
  --chunk-port N          chunk server for LAN peers, TCP, same on every    PEERBOOT_CHUNK_PORT  chunkPort
                          agent (4017)
  --peer-packages BOOL    fetch packages from LAN peers first (true);       PEERBOOT_PEER_PACKAGES peerPackages
                          false = every chunk from the server
  --reply-delay-ms N      proxyDHCP reply delay for fussy ROMs (0)          PEERBOOT_REPLY_DELAY_MS replyDelayMs
  --labels k=v,…          labels (collection rules match them)              PEERBOOT_LABELS      labels
  --status-interval S     status report interval in seconds (60)            PEERBOOT_STATUS_INTERVAL_S statusIntervalSeconds
  --policy-poll-interval S  policy poll interval in seconds (60)            PEERBOOT_POLICY_POLL_S policyPollIntervalSeconds
  --load-spreading BOOL   point iPXE clients at less-loaded peers (true)    PEERBOOT_LOAD_SPREADING loadSpreading
  --rogue-detection BOOL  report other PXE responders on the LAN (true)     PEERBOOT_ROGUE_DETECTION rogueDetection
  --log-level LEVEL       debug|info|warn|error (info)                      PEERBOOT_LOG_LEVEL   logLevel
Precedence: flags > environment > config file > defaults. Logs are JSON lines on stdout.
`;

export class AgentUsageError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'AgentUsageError';
  }
}

/** Parses argv + env + file into the config (exported for tests). */
export function agentConfigFromProcess(argv: string[], env: Record<string, string | undefined>): AgentConfig {
  const options: Record<string, { type: 'string' }> = { config: { type: 'string' } };
  for (const s of AGENT_SETTINGS) options[s.flag] = { type: 'string' };
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }) as { values: Record<string, string | undefined> });
  } catch (err) {
    throw new AgentUsageError(`${(err as Error).message} (see peerboot agent --help)`);
  }
  const filePath = values.config ?? env.PEERBOOT_CONFIG;
  let file: { path: string; content: unknown } | undefined;
  if (filePath) {
    let text: string;
    try {
      text = readFileSync(filePath, 'utf8');
    } catch (err) {
      throw new AgentUsageError(`cannot read the config file ${filePath} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      file = { path: filePath, content: JSON.parse(text) };
    } catch (err) {
      throw new AgentUsageError(`${filePath} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const isRoot = process.getuid?.() === 0;
  try {
    return resolveAgentConfig({ defaults: defaultAgentConfig(isRoot, homedir()), file, env, flags: values });
  } catch (err) {
    if (err instanceof AgentConfigError) throw new AgentUsageError(err.message);
    throw err;
  }
}

/** The first up, non-loopback interface with an IPv4 address. */
export function defaultInterface(): InterfaceIpv4 {
  for (const [name, entries] of Object.entries(networkInterfaces())) {
    if (entries?.some((e) => e.family === 'IPv4' && !e.internal)) return findInterfaceIpv4(name);
  }
  throw new AgentUsageError('no network interface with an IPv4 address; connect the machine or pass --interface', 1);
}

/** IPv4 interfaces as the status report lists them. */
export function inventoryInterfaces(): AgentInterface[] {
  const out: AgentInterface[] = [];
  for (const [name, entries] of Object.entries(networkInterfaces())) {
    const v4 = (entries ?? []).filter((e) => e.family === 'IPv4' && !e.internal);
    if (v4.length === 0) continue;
    out.push({ name: name.slice(0, 64), mac: v4[0]!.mac, addresses: v4.slice(0, 32).map((e) => e.cidr ?? `${e.address}/32`) });
  }
  return out.slice(0, 64);
}

/** Runs the agent until a shutdown signal; resolves to the exit code. */
export async function runAgentMain(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let config: AgentConfig;
  let network: InterfaceIpv4;
  try {
    config = agentConfigFromProcess(argv, env);
    network = config.interfaceName ? findInterfaceIpv4(config.interfaceName) : defaultInterface();
  } catch (err) {
    const exit = err instanceof AgentUsageError ? err.exitCode : 1;
    process.stderr.write(`peerboot agent: ${(err as Error).message}\n`);
    return exit;
  }
  const logger = jsonLogger({ minLevel: config.logLevel });
  const deviceClass = config.deviceClass === 'auto' ? detectDeviceClass(network.name).deviceClass : config.deviceClass;
  const counters = new Counters();
  // Listen for signals before the (possibly long) enrollment, so SIGTERM always stops cleanly.
  let signalled: NodeJS.Signals | null = null;
  let onSignal: (s: NodeJS.Signals) => void = (s) => { signalled = s; };
  const handler = (s: NodeJS.Signals) => onSignal(s);
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  try {
    const agent = await Promise.race([
      startAgent({
        config, network, hostname: config.name ?? hostname(), deviceClass, interfaces: inventoryInterfaces,
        logger, counters, clock: systemClock, wallClock: Date.now,
      }),
      new Promise<null>((resolve) => { onSignal = (s) => { signalled = s; resolve(null); }; }),
    ]);
    if (!agent || signalled) {
      logger.info('stopped before the agent was running', { signal: signalled });
      return 0;
    }
    const signal = await new Promise<NodeJS.Signals>((resolve) => { onSignal = resolve; });
    logger.info('agent stopping', { signal });
    await agent.stop({ leave: true });
    return 0;
  } catch (err) {
    if (err instanceof AgentStartError || err instanceof AgentStateError || err instanceof PeerbootError) {
      process.stderr.write(`peerboot agent: ${err.message}\n`);
      logger.error(err.message, { code: err.code });
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  }
}
