/**
 * The agent's one typed configuration and where it comes from: a JSON file (`--config FILE` or
 * PEERBOOT_CONFIG), environment variables PEERBOOT_*, and command-line flags — flags win over the
 * environment, which wins over the file, which wins over the defaults (smee-style: every flag is
 * also an env var). Pure: the caller reads the file and the environment and passes them in.
 * Every error names the source and the setting, so the fix is obvious.
 */
import type { DeviceClass } from '../../protocol/peer/announcement.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface AgentConfig {
  /** Control-plane URL, e.g. http://peerboot.example:8470. Required until enrolled. */
  serverUrl: string | null;
  /** Enrollment token (`peerboot admin` creates one); only needed for the first start. */
  enrollmentToken: string | null;
  /**
   * The name this agent reports (enrollment, status): what the console lists and what collection
   * name patterns match. null = the host's name. Several agents on one host (labs, tests) need
   * their own names to be told apart.
   */
  name: string | null;
  /** Identity, certificate, policy cache, packages. */
  dataDir: string;
  /** Interface whose LAN this agent serves; null = the first up, non-loopback IPv4 interface. */
  interfaceName: string | null;
  /** 'auto' = detected from the machine (chassis, battery, wireless). */
  deviceClass: DeviceClass | 'auto';
  /** Election weight 0..65535 (0 = never serve); null = the device class default. */
  weight: number | null;
  /** HTTP boot server port (every agent of a site must use the same: peers point clients at it); null = no HTTP. */
  httpPort: number | null;
  tftpPort: number;
  electionPort: number;
  /** UDP port of the package have messages (the same on every agent of a LAN). */
  havePort: number;
  /** TCP port of the chunk server neighbours fetch from (the same on every agent of a LAN). */
  chunkPort: number;
  /** Fetch packages from LAN peers first, so each package crosses a site's WAN once; false = server only. */
  peerPackages: boolean;
  /**
   * proxyDHCP reply delay (dnsmasq --dhcp-reply-delay) for fussy ROMs (docs/protocol-notes.md,
   * "What a PXE client sends and how long it waits").
   */
  replyDelayMs: number;
  logLevel: LogLevel;
  labels: Record<string, string>;
  statusIntervalMs: number;
  policyPollIntervalMs: number;
  /** Point iPXE clients at the least-loaded ready peer, so the elected responder does not serve every boot alone. */
  loadSpreading: boolean;
  /** Watch the LAN for other PXE responders: with a second one, firmware may boot from the wrong server. */
  rogueDetection: boolean;
}

/** Defaults; `dataDir` depends on whether we run as root (a systemd service) or as a user. */
export function defaultAgentConfig(isRoot: boolean, homeDir: string): AgentConfig {
  return {
    serverUrl: null,
    enrollmentToken: null,
    name: null,
    dataDir: isRoot ? '/var/lib/peerboot-agent' : `${homeDir}/.local/share/peerboot-agent`,
    interfaceName: null,
    deviceClass: 'auto',
    weight: null,
    httpPort: 8469,
    tftpPort: 69,
    electionPort: 4015,
    havePort: 4016,
    chunkPort: 4017,
    peerPackages: true,
    replyDelayMs: 0,
    logLevel: 'info',
    labels: {},
    statusIntervalMs: 60_000,
    policyPollIntervalMs: 60_000,
    loadSpreading: true,
    rogueDetection: true,
  };
}

export class AgentConfigError extends Error {
  readonly code = 'PEERBOOT_ERR_AGENT_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

/** One setting: its file key, env var and flag. */
interface Setting {
  key: keyof AgentConfig;
  file: string;
  env: string;
  flag: string;
  parse: (text: string, where: string) => AgentConfig[keyof AgentConfig];
}

const DEVICE_CLASSES = ['auto', 'unknown', 'server', 'desktop', 'laptop', 'wireless'] as const;

function int(min: number, max: number) {
  return (text: string, where: string) => {
    if (!/^\d+$/.test(text.trim())) throw new AgentConfigError(`${where}: expected an integer ${min}..${max}, got ${JSON.stringify(text)}`);
    const n = Number(text);
    if (n < min || n > max) throw new AgentConfigError(`${where}: ${n} is outside ${min}..${max}`);
    return n;
  };
}

function port(text: string, where: string) {
  return int(1, 65535)(text, where);
}

function portOrOff(text: string, where: string) {
  return /^(off|none|0)$/i.test(text.trim()) ? null : port(text, where);
}

function seconds(text: string, where: string) {
  return int(1, 86_400)(text, where) * 1000;
}

function bool(text: string, where: string) {
  if (/^(1|true|yes|on)$/i.test(text.trim())) return true;
  if (/^(0|false|no|off)$/i.test(text.trim())) return false;
  throw new AgentConfigError(`${where}: expected true or false, got ${JSON.stringify(text)}`);
}

function url(text: string, where: string) {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new AgentConfigError(`${where}: ${JSON.stringify(text)} is not a URL; use http(s)://HOST:PORT of the peerboot server`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AgentConfigError(`${where}: use an http:// or https:// URL, not ${u.protocol}`);
  return text.replace(/\/+$/, '');
}

/** A reported name: what the server stores as the agent's hostname (1..253 printable characters). */
function agentName(text: string, where: string) {
  const name = text.trim();
  if (name.length === 0 || name.length > 253) throw new AgentConfigError(`${where}: expected a name of 1 to 253 characters, got ${JSON.stringify(text)}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new AgentConfigError(`${where}: the name holds a control character`);
  return name;
}

function nonEmpty(text: string, where: string) {
  if (text.trim().length === 0) throw new AgentConfigError(`${where} is empty`);
  return text.trim();
}

/** `k=v,k2=v2` → record. */
function labels(text: string, where: string) {
  const out: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new AgentConfigError(`${where}: expected key=value[,key=value…], got ${JSON.stringify(part)}`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

export const AGENT_SETTINGS: readonly Setting[] = [
  { key: 'serverUrl', file: 'server', env: 'PEERBOOT_SERVER', flag: 'server', parse: url },
  { key: 'enrollmentToken', file: 'token', env: 'PEERBOOT_TOKEN', flag: 'token', parse: nonEmpty },
  { key: 'name', file: 'name', env: 'PEERBOOT_NAME', flag: 'name', parse: agentName },
  { key: 'dataDir', file: 'dataDir', env: 'PEERBOOT_DATA_DIR', flag: 'data-dir', parse: nonEmpty },
  { key: 'interfaceName', file: 'interface', env: 'PEERBOOT_INTERFACE', flag: 'interface', parse: nonEmpty },
  {
    key: 'deviceClass', file: 'deviceClass', env: 'PEERBOOT_DEVICE_CLASS', flag: 'device-class',
    parse: (t, w) => {
      if (!(DEVICE_CLASSES as readonly string[]).includes(t)) throw new AgentConfigError(`${w}: expected one of ${DEVICE_CLASSES.join(', ')}, got ${JSON.stringify(t)}`);
      return t as AgentConfig['deviceClass'];
    },
  },
  { key: 'weight', file: 'weight', env: 'PEERBOOT_WEIGHT', flag: 'weight', parse: int(0, 65535) },
  { key: 'httpPort', file: 'httpPort', env: 'PEERBOOT_HTTP_PORT', flag: 'http-port', parse: portOrOff },
  { key: 'tftpPort', file: 'tftpPort', env: 'PEERBOOT_TFTP_PORT', flag: 'tftp-port', parse: port },
  { key: 'electionPort', file: 'electionPort', env: 'PEERBOOT_ELECTION_PORT', flag: 'election-port', parse: port },
  { key: 'havePort', file: 'havePort', env: 'PEERBOOT_HAVE_PORT', flag: 'have-port', parse: port },
  { key: 'chunkPort', file: 'chunkPort', env: 'PEERBOOT_CHUNK_PORT', flag: 'chunk-port', parse: port },
  { key: 'peerPackages', file: 'peerPackages', env: 'PEERBOOT_PEER_PACKAGES', flag: 'peer-packages', parse: bool },
  { key: 'replyDelayMs', file: 'replyDelayMs', env: 'PEERBOOT_REPLY_DELAY_MS', flag: 'reply-delay-ms', parse: int(0, 10_000) },
  {
    key: 'logLevel', file: 'logLevel', env: 'PEERBOOT_LOG_LEVEL', flag: 'log-level',
    parse: (t, w) => {
      if (!['debug', 'info', 'warn', 'error'].includes(t)) throw new AgentConfigError(`${w}: expected debug, info, warn or error, got ${JSON.stringify(t)}`);
      return t as LogLevel;
    },
  },
  { key: 'labels', file: 'labels', env: 'PEERBOOT_LABELS', flag: 'labels', parse: labels },
  { key: 'statusIntervalMs', file: 'statusIntervalSeconds', env: 'PEERBOOT_STATUS_INTERVAL_S', flag: 'status-interval', parse: seconds },
  { key: 'policyPollIntervalMs', file: 'policyPollIntervalSeconds', env: 'PEERBOOT_POLICY_POLL_S', flag: 'policy-poll-interval', parse: seconds },
  { key: 'loadSpreading', file: 'loadSpreading', env: 'PEERBOOT_LOAD_SPREADING', flag: 'load-spreading', parse: bool },
  { key: 'rogueDetection', file: 'rogueDetection', env: 'PEERBOOT_ROGUE_DETECTION', flag: 'rogue-detection', parse: bool },
];

/** File values may be JSON numbers, booleans or (for labels) objects: turn them into the text form. */
function fileText(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'off';
  if (typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      if (typeof v !== 'string') throw new AgentConfigError(`${where}.${k}: label values are strings`);
      return `${k}=${v}`;
    }).join(',');
  }
  throw new AgentConfigError(`${where}: unsupported value ${JSON.stringify(value)}`);
}

export interface AgentConfigSources {
  defaults: AgentConfig;
  /** Parsed JSON of the config file, and its path for messages. */
  file?: { path: string; content: unknown };
  env: Record<string, string | undefined>;
  /** Flag name (without --) → value as typed. */
  flags: Record<string, string | undefined>;
}

/** Merges defaults < file < env < flags; throws AgentConfigError naming the offending source. */
export function resolveAgentConfig(sources: AgentConfigSources): AgentConfig {
  const config: AgentConfig = { ...sources.defaults, labels: { ...sources.defaults.labels } };
  const assign = (s: Setting, text: string, where: string) => {
    (config as unknown as Record<string, unknown>)[s.key] = s.parse(text, where);
  };
  if (sources.file) {
    const content = sources.file.content;
    if (content === null || typeof content !== 'object' || Array.isArray(content)) {
      throw new AgentConfigError(`${sources.file.path}: the config file must hold one JSON object`);
    }
    const known = new Set(AGENT_SETTINGS.map((s) => s.file));
    for (const key of Object.keys(content)) {
      if (!known.has(key)) throw new AgentConfigError(`${sources.file.path}: unknown setting "${key}" (known: ${[...known].join(', ')})`);
    }
    for (const s of AGENT_SETTINGS) {
      const v = (content as Record<string, unknown>)[s.file];
      if (v !== undefined) assign(s, fileText(v, `${sources.file.path}: ${s.file}`), `${sources.file.path}: ${s.file}`);
    }
  }
  for (const s of AGENT_SETTINGS) {
    const v = sources.env[s.env];
    if (v !== undefined && v !== '') assign(s, v, `environment ${s.env}`);
  }
  for (const s of AGENT_SETTINGS) {
    const v = sources.flags[s.flag];
    if (v !== undefined) assign(s, v, `--${s.flag}`);
  }
  return config;
}
