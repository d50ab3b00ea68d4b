/**
 * A stable, human-readable rendering of a DhcpPacket (one field or option per line), used by the
 * golden tests over real firmware captures (after pixiecore's DebugString) and by debug logs.
 */
import { DhcpOptionCode, messageTypeName } from '../protocol/dhcp/options.js';
import { bytesToLatin1, isBroadcast, MalformedDhcpPacketError, type DhcpPacket } from '../protocol/dhcp/packet.js';
import { ipv4TextFromBytes } from '../protocol/ipv4.js';
import {
  classifyArchitecture,
  decodeClientArchitectures,
  decodeClientMachineId,
  decodeClientNetworkInterface,
  decodeIpxeOptions,
  decodePxeVendorOptions,
  decodeUserClass,
  IpxeOption,
} from '../protocol/dhcp/pxe.js';

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

function quoted(bytes: Uint8Array): string {
  return JSON.stringify(bytesToLatin1(bytes));
}

const ipxeNames = new Map<number, string>([
  [IpxeOption.priority, 'priority'],
  [IpxeOption.featureHttp, 'http'],
  [IpxeOption.featureHttps, 'https'],
  [IpxeOption.featureTftp, 'tftp'],
  [IpxeOption.noPxeDhcp, 'no-pxedhcp'],
  [IpxeOption.busId, 'bus-id'],
  [IpxeOption.version, 'version'],
]);

const optionNames = new Map<number, string>([
  [1, 'subnet-mask'], [3, 'router'], [6, 'dns'], [12, 'host-name'], [15, 'domain-name'], [28, 'broadcast-address'],
  [58, 'renewal-time'], [59, 'rebinding-time'],
  [43, 'vendor-specific'], [50, 'requested-ip'], [51, 'lease-time'], [53, 'message-type'],
  [54, 'server-id'], [55, 'parameter-request-list'], [57, 'max-message-size'], [60, 'vendor-class'],
  [61, 'client-id'], [66, 'tftp-server-name'], [67, 'bootfile-name'], [77, 'user-class'],
  [93, 'client-arch'], [94, 'client-ndi'], [97, 'client-machine-id'], [175, 'ipxe'],
]);

function ipv4List(data: Uint8Array): string {
  if (data.length === 0 || data.length % 4 !== 0) return `hex ${hex(data)}`;
  const out: string[] = [];
  for (let i = 0; i < data.length; i += 4) out.push(ipv4TextFromBytes(data, i));
  return out.join(', ');
}

function describeOptionValue(code: number, data: Uint8Array, vendorClass: string | undefined): string {
  switch (code) {
    case DhcpOptionCode.messageType:
      return data.length === 1 ? `${data[0]} (${messageTypeName(data[0]!)})` : `hex ${hex(data)}`;
    case 1: case 3: case 6: case 28: case DhcpOptionCode.serverIdentifier: case DhcpOptionCode.requestedIpAddress:
      return ipv4List(data);
    case DhcpOptionCode.parameterRequestList:
      return [...data].join(',');
    case DhcpOptionCode.maxMessageSize:
      return data.length === 2 ? String((data[0]! << 8) | data[1]!) : `hex ${hex(data)}`;
    case DhcpOptionCode.leaseTime: case 58: case 59:
      return data.length === 4 ? String(new DataView(data.buffer, data.byteOffset, 4).getUint32(0)) : `hex ${hex(data)}`;
    case 12: case 15: case DhcpOptionCode.vendorClassIdentifier: case DhcpOptionCode.tftpServerName: case DhcpOptionCode.bootFileName:
      return quoted(data);
    case DhcpOptionCode.userClass:
      return decodeUserClass(data).map((c) => JSON.stringify(c)).join(', ') + (data[0] === 4 ? ' (RFC 3004 form)' : '');
    case DhcpOptionCode.clientArchitecture:
      return decodeClientArchitectures(data).map((c) => `${c} (${classifyArchitecture(c).name})`).join(', ');
    case DhcpOptionCode.clientNetworkInterface: {
      const ndi = decodeClientNetworkInterface(data);
      return `type ${ndi.type} v${ndi.major}.${ndi.minor}`;
    }
    case DhcpOptionCode.clientMachineId: {
      const id = decodeClientMachineId(data);
      return `type 0 uuid ${id.uuid}${id.isZero ? ' (zero)' : ''}`;
    }
    case DhcpOptionCode.ipxeEncapsulated:
      return [...decodeIpxeOptions(data)]
        .map(([sub, v]) => `${sub}${ipxeNames.has(sub) ? `(${ipxeNames.get(sub)})` : ''}=${hex(v)}`)
        .join(' ');
    case DhcpOptionCode.vendorSpecific: {
      if (!vendorClass?.startsWith('PXEClient')) return `hex ${hex(data)}`;
      const pxe = decodePxeVendorOptions(data);
      const parts: string[] = [];
      if (pxe.discoveryControl !== undefined) parts.push(`6(discovery-control)=0x${pxe.discoveryControl.toString(16).padStart(2, '0')}`);
      for (const s of pxe.bootServers ?? []) parts.push(`8(boot-server)=0x${s.type.toString(16)}@${s.addresses.join('/')}`);
      for (const m of pxe.bootMenu ?? []) parts.push(`9(menu)=0x${m.type.toString(16)}:${JSON.stringify(m.description)}`);
      if (pxe.menuPrompt) parts.push(`10(prompt)=${pxe.menuPrompt.timeoutSeconds}:${JSON.stringify(pxe.menuPrompt.prompt)}`);
      if (pxe.bootItem) parts.push(`71(boot-item)=0x${pxe.bootItem.type.toString(16)}/layer ${pxe.bootItem.layer}`);
      for (const [sub, v] of pxe.other ?? []) parts.push(`${sub}=${hex(v)}`);
      return `pxe ${parts.join(' ') || '(empty)'}`;
    }
    default:
      return `hex ${hex(data)}`;
  }
}

/** One line per header field group and one per option (wire order); stable across runs. */
export function describeDhcpPacket(packet: DhcpPacket): string {
  const lines: string[] = [];
  const op = packet.op === 1 ? 'BOOTREQUEST' : packet.op === 2 ? 'BOOTREPLY' : `op-${packet.op}`;
  lines.push(
    `${op} htype=${packet.htype} hlen=${packet.hlen} hops=${packet.hops} xid=0x${packet.xid.toString(16).padStart(8, '0')}` +
      ` secs=${packet.secs} flags=0x${packet.flags.toString(16).padStart(4, '0')}${isBroadcast(packet) ? ' (broadcast)' : ''}`,
  );
  lines.push(`ciaddr=${packet.clientAddr} yiaddr=${packet.yourAddr} siaddr=${packet.serverAddr} giaddr=${packet.gatewayAddr}`);
  const hw = packet.clientHardwareAddr;
  const used = [...hw.subarray(0, Math.min(packet.hlen, 16))].map((b) => b.toString(16).padStart(2, '0')).join(':');
  const rest = hw.subarray(Math.min(packet.hlen, 16));
  lines.push(`chaddr=${used}${rest.some((b) => b !== 0) ? ` (+ ${hex(rest)})` : ''}`);
  lines.push(`sname=${JSON.stringify(packet.serverName)} file=${JSON.stringify(packet.bootFile)}`);
  const vendorData = packet.options.get(DhcpOptionCode.vendorClassIdentifier);
  const vendorClass = vendorData && bytesToLatin1(vendorData);
  for (const [code, data] of packet.options) {
    let value: string;
    try {
      value = describeOptionValue(code, data, vendorClass);
    } catch (err) {
      if (!(err instanceof MalformedDhcpPacketError)) throw err;
      value = `MALFORMED (${err.reason}) hex ${hex(data)}`;
    }
    lines.push(`option ${code} ${optionNames.get(code) ?? 'unknown'} [${data.length}]: ${value}`);
  }
  return lines.join('\n');
}
