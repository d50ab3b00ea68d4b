/**
 * DHCP option codes (RFC 2132, RFC 4578, RFC 3004, iPXE) and typed accessors over
 * DhcpPacket.options. Accessors return undefined when an option is absent and throw
 * MalformedDhcpPacketError when it is present with the wrong length: EDK2 rejects a whole offer on one
 * bad length (Dhcp4Option.c DhcpValidateOptions), so we hold our input to the same rule.
 */
import { ipv4TextFromBytes, ipv4TextToBytes } from '../ipv4.js';
import { bytesToLatin1, latin1ToBytes, MalformedDhcpPacketError, type DhcpPacket } from './packet.js';

/** Option codes used by the responder. Names follow RFC 2132 / RFC 4578 titles. */
export const DhcpOptionCode = {
  subnetMask: 1,
  router: 3,
  domainNameServer: 6,
  hostName: 12,
  /** 43: vendor-specific information; PXE sub-options when option 60 is PXEClient (pxe.ts). */
  vendorSpecific: 43,
  requestedIpAddress: 50,
  leaseTime: 51,
  /** 52: RFC 2132 §9.3; read by the decoder, never written. */
  overload: 52,
  messageType: 53,
  serverIdentifier: 54,
  parameterRequestList: 55,
  message: 56,
  maxMessageSize: 57,
  vendorClassIdentifier: 60,
  clientIdentifier: 61,
  /** 66: TFTP server name (a dotted quad from us). */
  tftpServerName: 66,
  /** 67: boot file name. */
  bootFileName: 67,
  /** 77: user class (iPXE sends the bare string "iPXE"; RFC 3004 defines length-prefixed items). */
  userClass: 77,
  /** 93: client system architecture(s), 16-bit each (RFC 4578 §2.1). */
  clientArchitecture: 93,
  /** 94: client network device interface: type, major, minor (RFC 4578 §2.2). */
  clientNetworkInterface: 94,
  /** 97: client machine identifier: type 0 + 16-byte GUID (RFC 4578 §2.3). */
  clientMachineId: 97,
  /** 175: iPXE encapsulated options (features such as 19 = HTTP). */
  ipxeEncapsulated: 175,
} as const;

/** RFC 2132 §9.6 message types (option 53). */
export const DhcpMessageType = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
  inform: 8,
} as const;

const messageTypeNames = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];

/** "DISCOVER", "ACK", … or "TYPE-n" for codes outside RFC 2132. */
export function messageTypeName(type: number): string {
  return messageTypeNames[type] || `TYPE-${type}`;
}

function fixedLength(packet: DhcpPacket, code: number, length: number): Uint8Array | undefined {
  const data = packet.options.get(code);
  if (data === undefined) return undefined;
  if (data.length !== length) throw new MalformedDhcpPacketError(`option ${code} must be ${length} byte(s), got ${data.length}`);
  return data;
}

/** Option 53, or undefined (BOOTP). */
export function getMessageType(packet: DhcpPacket): number | undefined {
  return fixedLength(packet, DhcpOptionCode.messageType, 1)?.[0];
}

/** Option 54 as a dotted quad. */
export function getServerIdentifier(packet: DhcpPacket): string | undefined {
  const data = fixedLength(packet, DhcpOptionCode.serverIdentifier, 4);
  return data && ipv4TextFromBytes(data);
}

/** Option 55: the option codes the client asked for, in its order. */
export function getParameterRequestList(packet: DhcpPacket): number[] | undefined {
  const data = packet.options.get(DhcpOptionCode.parameterRequestList);
  return data && [...data];
}

/** True when the client listed `code` in option 55. */
export function isOptionRequested(packet: DhcpPacket, code: number): boolean {
  return packet.options.get(DhcpOptionCode.parameterRequestList)?.includes(code) ?? false;
}

/** Option 57 (RFC 2132 §9.10). */
export function getMaxMessageSize(packet: DhcpPacket): number | undefined {
  const data = fixedLength(packet, DhcpOptionCode.maxMessageSize, 2);
  return data && (data[0]! << 8) | data[1]!;
}

/**
 * An NVT-ASCII option as a string (one char per byte). RFC 2132 §2: a receiver MUST cope with a
 * trailing NUL, so trailing NULs are dropped.
 */
export function getStringOption(packet: DhcpPacket, code: number): string | undefined {
  const data = packet.options.get(code);
  if (data === undefined) return undefined;
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return bytesToLatin1(data.subarray(0, end));
}

/** Option 61 (client identifier) as raw bytes. */
export function getClientIdentifier(packet: DhcpPacket): Uint8Array | undefined {
  return packet.options.get(DhcpOptionCode.clientIdentifier);
}

/** Encodes a string option; `nulTerminated` follows dnsmasq for 66/67 ("some PXE ROMs … need zero-terminated names"). */
export function stringOption(text: string, nulTerminated = false): Uint8Array {
  const bytes = latin1ToBytes(text);
  if (!nulTerminated) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Encodes an IPv4 address option (54, …). */
export function ipv4Option(dotted: string): Uint8Array {
  return ipv4TextToBytes(dotted);
}

/** Encodes a one-byte option (53, …). */
export function uint8Option(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff);
}

/** Encodes a 16-bit big-endian option (57, …). */
export function uint16Option(value: number): Uint8Array {
  return Uint8Array.of((value >> 8) & 0xff, value & 0xff);
}
