/**
 * The proxyDHCP decision: given one decoded request and where it arrived, answer with a proxy reply
 * (never an address: yiaddr 0, no NAK, no port-67 REQUEST) or ignore it with a reason. Pure.
 * Follows docs/protocol-notes.md, "Reply per kind of client" and "Firmware quirks"; the socket
 * shell is pxe-responder.ts.
 */
import {
  DhcpMessageType,
  DhcpOptionCode,
  getClientIdentifier,
  getMessageType,
  getStringOption,
  ipv4Option,
  isOptionRequested,
  messageTypeName,
  stringOption,
  uint8Option,
} from '../../protocol/dhcp/options.js';
import { BOOTREQUEST, BOOTREPLY, BROADCAST_FLAG, latin1ToBytes, MalformedDhcpPacketError, type DhcpPacket } from '../../protocol/dhcp/packet.js';
import {
  encodePxeVendorOptions,
  getClientArchitectures,
  getClientMachineId,
  getIpxeOptions,
  getPxeVendorOptions,
  getUserClasses,
  hasIpxeFeature,
  IpxeOption,
  parseVendorClass,
  pickArchitecture,
  PxeDiscoveryControl,
  type ArchClass,
  type ArchOverrides,
  type PxeVendorOptions,
} from '../../protocol/dhcp/pxe.js';

/** What we know about the client that sent a request; handed to the boot policy and logged. */
export interface ClientInfo {
  /** Lowercase `aa:bb:cc:dd:ee:ff` from chaddr (or option 61 when chaddr is not an Ethernet MAC). */
  mac: string;
  /** Canonical SMBIOS UUID from option 97; absent when not sent or all zeros. */
  uuid?: string;
  /** The architecture code we went by (option 93, or the Arch field of option 60 on port 4011). */
  archCode: number;
  archClass: ArchClass;
  /** Option 77 says `iPXE` or option 175 is present (docs/protocol-notes.md, "iPXE clients and the chain-load loop"). */
  isIpxe: boolean;
  /** iPXE advertised HTTP support (175.19). */
  ipxeHttp: boolean;
  /** Option 60 starts with an HTTP Boot prefix (`HTTPClient`). */
  isHttpBoot: boolean;
  /** Option 60 as sent. */
  vendorClass: string;
  /** Option 53 of the request. */
  messageType: number;
}

/** What the policy picked for a client. */
export interface BootSelection {
  /** NBP path relative to the boot root (or an absolute URL for HTTP Boot). */
  bootFile?: string;
  /** iPXE script path relative to the boot root; given to iPXE clients instead of bootFile. */
  ipxeScript?: string;
  /**
   * Windows boot manager: the BCD store's path (e.g. `\Boot\BCD` or a per-machine
   * `\Boot\pc42.bcd`), sent as DHCP option 252 to PXE clients that boot bootFile (never to
   * iPXE or HTTP Boot clients). bootmgr reads it from the cached proxy reply; without it, it
   * asks for `\Boot\BCD` (WDS/ConfigMgr convention;
   * docs/protocol-notes.md, "Windows boot manager paths and option 252").
   */
  bcdPath?: string;
}

/** The policy declines to boot this client; `refuse` is the logged reason. */
export interface BootRefusal {
  refuse: string;
}

export interface ProxyDhcpConfig {
  /** Who is served and with what. "No match" means silence (docs/protocol-notes.md, "Silence unless a machine is allowed"). */
  select(client: ClientInfo): BootSelection | BootRefusal;
  /** Port of our HTTP boot server: iPXE scripts go over HTTP when set (and 175.19), HTTP Boot needs it. */
  httpPort?: number;
  /** Option-60 prefixes of PXE clients (dnsmasq --dhcp-pxe-vendor). Default ['PXEClient']. */
  pxeVendorPrefixes?: readonly string[];
  /** Option-60 prefixes of UEFI HTTP Boot clients. Default ['HTTPClient']. */
  httpVendorPrefixes?: readonly string[];
  /** Architecture code -> class overrides of the IANA table. */
  archOverrides?: ArchOverrides;
  /**
   * How UEFI PXE (non-iPXE) clients are offered their NBP on port 67: 'binl' (default: no option
   * 43, siaddr + file, client confirms on 4011; pixiecore/dnsmasq) or 'direct' (43 = {6:08} +
   * file, smee style) for firmware that skips 4011.
   */
  uefiOfferStyle?: 'binl' | 'direct';
}

export interface ProxyDhcpContext {
  /** The port the request arrived on. */
  port: 67 | 4011;
  /** Our IPv4 address on the client's segment: siaddr, option 54 and sname. */
  serverIp: string;
  /** The request's source address and port (rinfo). */
  source: { address: string; port: number };
}

export type ProxyDhcpDecision =
  | {
    kind: 'reply';
    reply: DhcpPacket;
    destination: { address: string; port: number };
    client: ClientInfo;
    /** What was offered (the `file` field): NBP path, script name or URL. */
    offered: string;
  }
  | {
    kind: 'ignore';
    reason: string;
    client?: ClientInfo;
    /** Set when the request was rejected for a malformed option (counted apart by the shell). */
    malformed?: true;
  };

const LIMITED_BROADCAST = '255.255.255.255';
const ZERO_ADDR = '0.0.0.0';
/** `file` holds 128 bytes; keep a NUL (EDK2 appends one if missing; docs/protocol-notes.md, "Fields of a proxy offer"). */
const BOOT_FILE_MAX_BYTES = 127;
/**
 * Option 252 (site-specific range, RFC 2132 §2), read by the Windows boot manager as the BCD path
 * (docs/protocol-notes.md, "Windows boot manager paths and option 252").
 */
export const WINDOWS_BCD_PATH_OPTION = 252;
/** Keep option 252 as short as `file`, so a reply stays well inside 576 bytes. */
const BCD_PATH_MAX_BYTES = 127;

/** Short, printable rendering of client-sent text for log reasons. */
function shown(text: string): string {
  const clipped = text.length > 48 ? `${text.slice(0, 48)}…` : text;
  return JSON.stringify(clipped);
}

function macText(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The client's MAC: chaddr for Ethernet (htype 1, hlen 6); else option 61 type 1; else chaddr[0..hlen]. */
export function clientMacAddress(request: DhcpPacket): string {
  const hw = request.clientHardwareAddr;
  if (request.htype === 1 && request.hlen === 6) return macText(hw.subarray(0, 6));
  const id = getClientIdentifier(request);
  if (id && id.length === 7 && id[0] === 1) return macText(id.subarray(1));
  return macText(hw.subarray(0, request.hlen > 0 ? request.hlen : 6));
}

/**
 * True for boot files that are themselves iPXE (undionly.kpxe, *.kpxe, *.kkpxe, *.lkrn, ipxe.efi,
 * snponly.efi, snp.efi, ipxe.pxe, …). Offering one to an iPXE client loops forever
 * (docs/protocol-notes.md, "iPXE clients and the chain-load loop").
 */
export function isIpxeBinaryName(path: string): boolean {
  const base = (path.split(/[/\\]/).pop() ?? '').toLowerCase();
  if (/\.(kpxe|kkpxe|kkkpxe|lkrn)$/.test(base)) return true;
  if (base === 'snponly.efi' || base === 'snp.efi') return true;
  return base.includes('ipxe') && /\.(efi|pxe|0|usb|iso)$/.test(base);
}

function encodeUrlPath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/');
}

/** `http://IP:PORT/path` for a root-relative path; an absolute URL is kept as is. */
export function bootUrl(serverIp: string, httpPort: number, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  return `http://${serverIp}:${httpPort}/${encodeUrlPath(path)}`;
}

function matchPrefix(vendorClass: string, prefixes: readonly string[]): string | undefined {
  return prefixes.find((p) => p.length > 0 && vendorClass.startsWith(p));
}

function ignore(reason: string, client?: ClientInfo): ProxyDhcpDecision {
  return client ? { kind: 'ignore', reason, client } : { kind: 'ignore', reason };
}

/**
 * Decides whether and how to answer one request (docs/protocol-notes.md,
 * "Which requests a proxy answers", "Port 4011", "Reply per kind of client", "Firmware quirks").
 * Never throws on client input: a malformed option becomes `{ kind: 'ignore', malformed: true }`.
 */
export function decideProxyDhcp(request: DhcpPacket, context: ProxyDhcpContext, config: ProxyDhcpConfig): ProxyDhcpDecision {
  try {
    return decide(request, context, config);
  } catch (err) {
    if (err instanceof MalformedDhcpPacketError) return { kind: 'ignore', reason: `malformed: ${err.reason}`, malformed: true };
    throw err;
  }
}

type OfferStyle = 'pxe-direct' | 'binl' | 'ipxe' | 'http';

function decide(request: DhcpPacket, context: ProxyDhcpContext, config: ProxyDhcpConfig): ProxyDhcpDecision {
  const { port, serverIp } = context;
  if (request.op !== BOOTREQUEST) return ignore(`not a BOOTREQUEST (op ${request.op})`);

  // BOOTP (no 53) is ignored; on 67 only DISCOVER, on 4011 only REQUEST/INFORM (docs/protocol-notes.md,
  // "Which requests a proxy answers").
  const messageType = getMessageType(request);
  if (messageType === undefined) return ignore('BOOTP request without option 53');
  if (port === 67 && messageType !== DhcpMessageType.discover) {
    return ignore(messageType === DhcpMessageType.request
      ? 'DHCPREQUEST on port 67 belongs to the real DHCP server'
      : `DHCP${messageTypeName(messageType)} on port 67 is not for a proxy`);
  }
  if (port === 4011 && messageType !== DhcpMessageType.request && messageType !== DhcpMessageType.inform) {
    return ignore(`DHCP${messageTypeName(messageType)} on port 4011 (only REQUEST/INFORM are answered)`);
  }

  // Option 60 must start with PXEClient (or a configured variant) or HTTPClient (same section).
  const vendorClass = getStringOption(request, DhcpOptionCode.vendorClassIdentifier);
  if (vendorClass === undefined) return ignore('not a PXE client (no option 60)');
  const httpPrefix = matchPrefix(vendorClass, config.httpVendorPrefixes ?? ['HTTPClient']);
  const pxePrefix = httpPrefix ? undefined : matchPrefix(vendorClass, config.pxeVendorPrefixes ?? ['PXEClient']);
  const replyVendorClass = httpPrefix ?? pxePrefix;
  if (replyVendorClass === undefined) return ignore(`not a PXE client (option 60 ${shown(vendorClass)})`);

  // Option 93 is required on 67 (pixiecore, smee, dnsmasq; same section and "Architecture codes").
  // A 4011 request may lean on the Arch field of option 60 (EDK2 and iPXE send 93 there too, so this
  // is a fallback).
  let archCodes = getClientArchitectures(request);
  if (archCodes === undefined) {
    const fromVendor = parseVendorClass(vendorClass).archCode;
    if (port === 67 || fromVendor === undefined) return ignore('no client architecture (option 93 missing)');
    archCodes = [fromVendor];
  }
  const arch = pickArchitecture(archCodes, config.archOverrides);

  // iPXE is detected by user class `iPXE` (bare or RFC 3004) or by option 175 (docs/protocol-notes.md,
  // "iPXE clients and the chain-load loop").
  const ipxeOptions = getIpxeOptions(request);
  const isIpxe = (getUserClasses(request) ?? []).includes('iPXE') || ipxeOptions !== undefined;
  const machineId = getClientMachineId(request); // may be missing; if present, 17 bytes, type 0 ("Which requests a proxy answers").
  const client: ClientInfo = {
    mac: clientMacAddress(request),
    ...(machineId && !machineId.isZero ? { uuid: machineId.uuid } : {}),
    archCode: arch.code,
    archClass: arch.archClass,
    isIpxe,
    ipxeHttp: ipxeOptions !== undefined && hasIpxeFeature(ipxeOptions, IpxeOption.featureHttp),
    isHttpBoot: httpPrefix !== undefined,
    vendorClass,
    messageType,
  };

  if (arch.archClass === 'unsupported') return ignore(`unsupported architecture ${arch.code} (${arch.name})`, client);
  if (client.isHttpBoot && port === 4011) return ignore('UEFI HTTP Boot clients do not use port 4011', client);
  if (client.isHttpBoot && config.httpPort === undefined) {
    return ignore('UEFI HTTP Boot client, but no HTTP port is configured', client);
  }

  const selection = config.select(client);
  if ('refuse' in selection) return ignore(selection.refuse, client);

  let offered: string;
  let style: OfferStyle;
  if (client.isIpxe) {
    if (selection.ipxeScript) {
      // The iPXE row of docs/protocol-notes.md, "Reply per kind of client": the script over HTTP when we
      // serve HTTP and iPXE has it (175.19), else the plain relative name, which iPXE turns into
      // tftp://<siaddr>/<name> (autoboot.c pxe_uri).
      offered = config.httpPort !== undefined && client.ipxeHttp
        ? bootUrl(serverIp, config.httpPort, selection.ipxeScript)
        : selection.ipxeScript;
    } else if (!selection.bootFile) {
      return ignore(`no boot file or iPXE script for ${client.archClass}`, client);
    } else if (isIpxeBinaryName(selection.bootFile)) {
      // The chain-load loop (docs/protocol-notes.md, "iPXE clients and the chain-load loop"): iPXE would
      // load iPXE again, forever.
      return ignore(`chain-loop guard: iPXE client and no iPXE script configured; the ${client.archClass} boot file ${shown(selection.bootFile)} is iPXE itself`, client);
    } else {
      offered = selection.bootFile;
    }
    style = 'ipxe';
  } else if (client.isHttpBoot) {
    if (!selection.bootFile) return ignore(`no boot file for ${client.archClass}`, client);
    // EDK2 HTTP Boot accepts a proxy offer only with an IP-literal URI ("ProxyIpUri"; docs/protocol-notes.md,
    // "Reply per kind of client").
    offered = bootUrl(serverIp, config.httpPort!, selection.bootFile);
    style = 'http';
  } else {
    if (!selection.bootFile) return ignore(`no boot file for ${client.archClass}`, client);
    offered = selection.bootFile;
    // BIOS boots straight from the offer (43 = {6:08}); UEFI goes BINL unless configured
    // (docs/protocol-notes.md, "Direct boot, BINL and menu paths").
    const uefiStyle = config.uefiOfferStyle ?? 'binl';
    style = client.archClass === 'bios' || uefiStyle === 'direct' ? 'pxe-direct' : 'binl';
  }

  let offeredLength: number;
  try {
    offeredLength = latin1ToBytes(offered).length;
  } catch {
    return ignore(`boot file name ${shown(offered)} has characters that cannot be sent`, client);
  }
  if (offeredLength > BOOT_FILE_MAX_BYTES) {
    return ignore(`boot file name ${shown(offered)} is longer than ${BOOT_FILE_MAX_BYTES} bytes`, client);
  }

  // The BCD path goes only to a PXE client booting the NBP itself (pxeboot.n12 / bootmgfw.efi;
  // docs/protocol-notes.md, "Windows boot manager paths and option 252").
  let bcdPathBytes: Uint8Array | undefined;
  if (selection.bcdPath !== undefined && !client.isIpxe && !client.isHttpBoot && pxePrefix !== undefined) {
    let length: number;
    try {
      length = latin1ToBytes(selection.bcdPath).length;
    } catch {
      return ignore(`BCD path ${shown(selection.bcdPath)} has characters that cannot be sent`, client);
    }
    if (length === 0 || length > BCD_PATH_MAX_BYTES) {
      return ignore(`BCD path ${shown(selection.bcdPath)} must be 1 to ${BCD_PATH_MAX_BYTES} bytes`, client);
    }
    // NUL-terminated, as for 66/67: bootmgr treats it as a C string.
    bcdPathBytes = stringOption(selection.bcdPath, true);
  }

  let destination: { address: string; port: number };
  if (port === 67) {
    // Relayed -> giaddr:67; else a proxy (yiaddr 0) must broadcast to :68 (docs/protocol-notes.md,
    // "Where replies are sent").
    destination = request.gatewayAddr !== ZERO_ADDR ? { address: request.gatewayAddr, port: 67 } : { address: LIMITED_BROADCAST, port: 68 };
  } else {
    // Unicast to the request's own source ip:port (EDK2 uses 4011, iPXE 68; docs/protocol-notes.md,
    // "Port 4011").
    if (context.source.address === ZERO_ADDR) return ignore('port-4011 request from 0.0.0.0: no address to answer', client);
    destination = { address: context.source.address, port: context.source.port };
  }

  // Option 43 (docs/protocol-notes.md, "Option 43 PXE sub-options"), only for PXEClient replies.
  // Never 43.1–5 (WFM11a) and never 43.9 to iPXE.
  let vendorOptions: PxeVendorOptions | undefined;
  if (pxePrefix !== undefined) {
    if (port === 67 && style === 'pxe-direct') {
      // Bit 3 + `file`: boot it with no menu; 43.10 {0,'PXE'} as dnsmasq adds (edk2#8149 needed it).
      vendorOptions = { discoveryControl: PxeDiscoveryControl.useBootFile, menuPrompt: { timeoutSeconds: 0, prompt: 'PXE' } };
    }
    if (port === 4011) {
      // Menu path (docs/protocol-notes.md, "Direct boot, BINL and menu paths"): a boot-server request
      // carries 43.71; iPXE accepts the ACK only with it echoed.
      const bootItem = getPxeVendorOptions(request)?.bootItem;
      if (bootItem) vendorOptions = { bootItem };
    }
  }

  const options = new Map<number, Uint8Array>();
  options.set(DhcpOptionCode.messageType, uint8Option(port === 67 ? DhcpMessageType.offer : DhcpMessageType.ack));
  // Option 54 is mandatory (EDK2 drops offers without it) and equals siaddr (docs/protocol-notes.md,
  // "Fields of a proxy offer").
  options.set(DhcpOptionCode.serverIdentifier, ipv4Option(serverIp));
  // Exactly `PXEClient` (9 bytes) or `HTTPClient`; a configured variant is echoed as matched (same section).
  options.set(DhcpOptionCode.vendorClassIdentifier, stringOption(replyVendorClass));
  if (vendorOptions) options.set(DhcpOptionCode.vendorSpecific, encodePxeVendorOptions(vendorOptions));
  const machineIdBytes = request.options.get(DhcpOptionCode.clientMachineId);
  if (machineIdBytes) options.set(DhcpOptionCode.clientMachineId, new Uint8Array(machineIdBytes));
  // 66 (our dotted IP) and 67 only when listed in 55; NUL-terminated as dnsmasq does for ROM bugs
  // (docs/protocol-notes.md, "Firmware quirks").
  if (isOptionRequested(request, DhcpOptionCode.tftpServerName)) options.set(DhcpOptionCode.tftpServerName, stringOption(serverIp, true));
  if (isOptionRequested(request, DhcpOptionCode.bootFileName)) options.set(DhcpOptionCode.bootFileName, stringOption(offered, true));
  // Option 252 is sent whenever configured, not only when listed in 55 (docs/protocol-notes.md,
  // "Windows boot manager paths and option 252"): bootmgr reads it from the cached reply after the
  // firmware's DHCP is over (WDS/ConfigMgr practice).
  if (bcdPathBytes) options.set(WINDOWS_BCD_PATH_OPTION, bcdPathBytes);

  const reply: DhcpPacket = {
    op: BOOTREPLY,
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    flags: port === 67 ? BROADCAST_FLAG : 0,
    clientAddr: port === 4011 ? request.clientAddr : ZERO_ADDR,
    yourAddr: ZERO_ADDR,
    serverAddr: serverIp,
    gatewayAddr: request.gatewayAddr,
    clientHardwareAddr: new Uint8Array(request.clientHardwareAddr),
    serverName: serverIp,
    bootFile: offered,
    options,
  };
  return { kind: 'reply', reply, destination, client, offered };
}

const MAC_PATTERN = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** `AA-BB-CC-DD-EE-FF` / `aa:bb:…` -> `aa:bb:cc:dd:ee:ff`; throws RangeError naming the expected form. */
export function normalizeMac(text: string): string {
  const trimmed = text.trim();
  if (!MAC_PATTERN.test(trimmed)) throw new RangeError(`invalid MAC address ${JSON.stringify(text)} (expected aa:bb:cc:dd:ee:ff)`);
  return trimmed.toLowerCase().replace(/-/g, ':');
}

export interface StaticBootPolicyOptions {
  /** NBP for x86 BIOS clients (e.g. undionly.kpxe). */
  biosFile: string;
  /** NBP for x64 UEFI clients, also offered as a URL to x64 HTTP Boot (e.g. ipxe.efi). */
  uefiX64File: string;
  /** NBP for ARM64 UEFI clients (and ARM64 HTTP Boot). */
  uefiArm64File?: string;
  /** iPXE script for iPXE clients. */
  ipxeScript?: string;
  /** Who is answered. `nobody` is the safe default (docs/protocol-notes.md, "Silence unless a machine is allowed"). */
  allow: { kind: 'nobody' } | { kind: 'unknown' } | { kind: 'macs'; macs: string[] };
  /** Windows profile: the BCD path sent as option 252 with the NBP (see BootSelection.bcdPath). */
  bcdPath?: string;
  /**
   * UEFI clients get this BCD path instead of bcdPath: the loader differs by firmware (winload.efi
   * vs winload.exe), so a root serving both has one BCD per firmware (windows-boot-root.ts).
   */
  uefiBcdPath?: string;
  /**
   * BIOS machines that are not allowed (no deployment) get this NBP instead of silence, e.g.
   * `abortpxe.com`, which hands back to the firmware's next boot device at once (docs/protocol-notes.md,
   * "Windows boot manager paths and option 252"). BIOS only: abortpxe.com is a BIOS program, and a
   * UEFI client must never get a BIOS image ("Architecture codes").
   */
  biosNoDeploymentFile?: string;
}

/** A fixed policy for the standalone `peerboot responder` CLI: files by architecture, an allow rule. */
export function staticBootPolicy(options: StaticBootPolicyOptions): ProxyDhcpConfig['select'] {
  const allowed = options.allow.kind === 'macs' ? new Set(options.allow.macs.map(normalizeMac)) : undefined;
  const fileFor = (archClass: ArchClass): string | undefined => {
    switch (archClass) {
      case 'bios': return options.biosFile;
      case 'uefi-x64': case 'http-x64': return options.uefiX64File;
      case 'uefi-arm64': case 'http-arm64': return options.uefiArm64File;
      default: return undefined;
    }
  };
  const bcdPathFor = (archClass: ArchClass): string | undefined =>
    archClass === 'bios' ? options.bcdPath : options.uefiBcdPath ?? options.bcdPath;
  const noDeployment = (client: ClientInfo, reason: string): BootSelection | BootRefusal =>
    options.biosNoDeploymentFile !== undefined && client.archClass === 'bios' && !client.isIpxe
      ? { bootFile: options.biosNoDeploymentFile }
      : { refuse: reason };
  return (client) => {
    if (options.allow.kind === 'nobody') return noDeployment(client, 'no client is allowed (start with --allow-unknown or --allow-mac)');
    if (allowed && !allowed.has(client.mac)) return noDeployment(client, `MAC ${client.mac} is not in the allow list`);
    // Architecture-exact (docs/protocol-notes.md, "Architecture codes"). A UEFI client gets only the
    // image of its own architecture (a BIOS NBP, or an x64 one on ARM64, cannot execute there);
    // nothing configured means silence.
    const bootFile = fileFor(client.archClass);
    // An iPXE client runs the script whatever its architecture; others need an NBP for theirs.
    if (!bootFile && client.isIpxe && options.ipxeScript) return { ipxeScript: options.ipxeScript };
    if (!bootFile) return { refuse: `no boot file configured for ${client.archClass}` };
    return {
      bootFile,
      ...(options.ipxeScript ? { ipxeScript: options.ipxeScript } : {}),
      ...(bcdPathFor(client.archClass) !== undefined ? { bcdPath: bcdPathFor(client.archClass)! } : {}),
    };
  };
}
