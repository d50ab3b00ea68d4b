/**
 * PXE and iPXE option values as typed data: option 43 PXE sub-options (PXE 2.1 spec; IBM AIX
 * "PXE vendor container suboptions"), 60 vendor class, 77 user class (RFC 3004 and iPXE's bare
 * string), 93/94/97 (RFC 4578), 175 iPXE encapsulated options (iPXE features.h), and the IANA
 * "Processor Architecture Types" table behind option 93. Pure; see docs/protocol-notes.md,
 * "Option 43 PXE sub-options", "Architecture codes" and "iPXE clients and the chain-load loop".
 */
import { DhcpOptionCode } from './options.js';
import { ipv4TextFromBytes, ipv4TextToBytes } from '../ipv4.js';
import { bytesToLatin1, latin1ToBytes, MalformedDhcpPacketError, type DhcpPacket } from './packet.js';

// ---------------------------------------------------------------------------------------------
// Option 43: PXE sub-options
// ---------------------------------------------------------------------------------------------

/** PXE sub-option codes inside option 43. 1–5 (MTFTP) are never sent: EDK2 discards "WFM11a" offers. */
export const PxeSubOption = {
  discoveryControl: 6,
  discoveryMulticastAddr: 7,
  bootServers: 8,
  bootMenu: 9,
  menuPrompt: 10,
  bootItem: 71,
  end: 255,
} as const;

/** PXE_DISCOVERY_CONTROL bits (sub-option 6). */
export const PxeDiscoveryControl = {
  disableBroadcast: 0x01,
  disableMulticast: 0x02,
  onlyListedServers: 0x04,
  /** Bit 3: a boot file name in the offer is downloaded directly (no prompt, menu or discovery). */
  useBootFile: 0x08,
} as const;

/** Sub-option 8 entry: boot server type and its addresses. */
export interface PxeBootServer { type: number; addresses: string[] }
/** Sub-option 9 entry: boot server type and its menu text. */
export interface PxeMenuItem { type: number; description: string }

/** Option 43 for a PXEClient, decoded. Absent sub-options are absent fields. */
export interface PxeVendorOptions {
  /** 6: PXE_DISCOVERY_CONTROL (1 byte). */
  discoveryControl?: number;
  /** 8: PXE_BOOT_SERVERS: type(2) count(1) count×IPv4, repeated. */
  bootServers?: PxeBootServer[];
  /** 9: PXE_BOOT_MENU: type(2) length(1) text, repeated. */
  bootMenu?: PxeMenuItem[];
  /** 10: PXE_MENU_PROMPT: timeout in seconds (1 byte) + prompt text. */
  menuPrompt?: { timeoutSeconds: number; prompt: string };
  /** 71: PXE_BOOT_ITEM: type(2) layer(2), sent by a client in a boot-server request and echoed. */
  bootItem?: { type: number; layer: number };
  /** Any other sub-option, raw. Present only when there is at least one. */
  other?: Map<number, Uint8Array>;
}

function readU16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

/**
 * Decodes option 43 as PXE sub-options, bounded by the option's own length (docs/protocol-notes.md,
 * "Parser hardening"). PAD (0) is skipped, 255 ends the list. Throws MalformedDhcpPacketError on
 * truncation or bad sub-option lengths.
 */
export function decodePxeVendorOptions(data: Uint8Array): PxeVendorOptions {
  const result: PxeVendorOptions = {};
  let i = 0;
  while (i < data.length) {
    const code = data[i]!;
    if (code === 0) { i += 1; continue; }
    if (code === PxeSubOption.end) break;
    if (i + 1 >= data.length) throw new MalformedDhcpPacketError(`option 43 sub-option ${code} has no length byte`);
    const len = data[i + 1]!;
    if (i + 2 + len > data.length) throw new MalformedDhcpPacketError(`option 43 sub-option ${code} is truncated`);
    const v = data.subarray(i + 2, i + 2 + len);
    i += 2 + len;
    switch (code) {
      case PxeSubOption.discoveryControl:
        if (len !== 1) throw new MalformedDhcpPacketError(`option 43.6 must be 1 byte, got ${len}`);
        result.discoveryControl = v[0]!;
        break;
      case PxeSubOption.bootServers: {
        const servers: PxeBootServer[] = [];
        for (let j = 0; j < v.length;) {
          if (j + 3 > v.length) throw new MalformedDhcpPacketError('option 43.8 entry is truncated');
          const count = v[j + 2]!;
          if (j + 3 + count * 4 > v.length) throw new MalformedDhcpPacketError('option 43.8 address list is truncated');
          const addresses: string[] = [];
          for (let k = 0; k < count; k++) addresses.push(ipv4TextFromBytes(v, j + 3 + k * 4));
          servers.push({ type: readU16(v, j), addresses });
          j += 3 + count * 4;
        }
        result.bootServers = servers;
        break;
      }
      case PxeSubOption.bootMenu: {
        const items: PxeMenuItem[] = [];
        for (let j = 0; j < v.length;) {
          if (j + 3 > v.length) throw new MalformedDhcpPacketError('option 43.9 entry is truncated');
          const textLen = v[j + 2]!;
          if (j + 3 + textLen > v.length) throw new MalformedDhcpPacketError('option 43.9 text is truncated');
          items.push({ type: readU16(v, j), description: bytesToLatin1(v.subarray(j + 3, j + 3 + textLen)) });
          j += 3 + textLen;
        }
        result.bootMenu = items;
        break;
      }
      case PxeSubOption.menuPrompt:
        if (len < 1) throw new MalformedDhcpPacketError('option 43.10 is empty');
        result.menuPrompt = { timeoutSeconds: v[0]!, prompt: bytesToLatin1(v.subarray(1)) };
        break;
      case PxeSubOption.bootItem:
        if (len !== 4) throw new MalformedDhcpPacketError(`option 43.71 must be 4 bytes, got ${len}`);
        result.bootItem = { type: readU16(v, 0), layer: readU16(v, 2) };
        break;
      default: {
        result.other ??= new Map();
        const previous = result.other.get(code);
        result.other.set(code, previous ? Uint8Array.from([...previous, ...v]) : new Uint8Array(v));
      }
    }
  }
  return result;
}

function subOption(code: number, value: Uint8Array): number[] {
  if (value.length > 255) throw new RangeError(`option 43 sub-option ${code} is ${value.length} bytes (max 255)`);
  return [code, value.length, ...value];
}

/**
 * Encodes PXE sub-options in the order 6, 8, 9, 10, 71, others (as in dnsmasq's replies), ending
 * with 255. Keep the result within 255 bytes (dnsmasq cuts its menu at 253; docs/protocol-notes.md,
 * "Option encoding and message size").
 */
export function encodePxeVendorOptions(options: PxeVendorOptions): Uint8Array {
  const out: number[] = [];
  if (options.discoveryControl !== undefined) out.push(...subOption(6, Uint8Array.of(options.discoveryControl)));
  if (options.bootServers) {
    const v: number[] = [];
    for (const s of options.bootServers) {
      v.push(s.type >> 8, s.type & 0xff, s.addresses.length);
      for (const a of s.addresses) v.push(...ipv4TextToBytes(a));
    }
    out.push(...subOption(8, Uint8Array.from(v)));
  }
  if (options.bootMenu) {
    const v: number[] = [];
    for (const m of options.bootMenu) {
      const text = latin1ToBytes(m.description);
      if (text.length > 255) throw new RangeError('option 43.9 menu text over 255 bytes');
      v.push(m.type >> 8, m.type & 0xff, text.length, ...text);
    }
    out.push(...subOption(9, Uint8Array.from(v)));
  }
  if (options.menuPrompt) {
    out.push(...subOption(10, Uint8Array.from([options.menuPrompt.timeoutSeconds, ...latin1ToBytes(options.menuPrompt.prompt)])));
  }
  if (options.bootItem) {
    const { type, layer } = options.bootItem;
    out.push(...subOption(71, Uint8Array.of(type >> 8, type & 0xff, layer >> 8, layer & 0xff)));
  }
  for (const [code, value] of [...(options.other ?? new Map<number, Uint8Array>())].sort(([a], [b]) => a - b)) {
    out.push(...subOption(code, value));
  }
  out.push(PxeSubOption.end);
  return Uint8Array.from(out);
}

/** Option 43 of `packet` as PXE sub-options (meaningful only when option 60 is PXEClient). */
export function getPxeVendorOptions(packet: DhcpPacket): PxeVendorOptions | undefined {
  const data = packet.options.get(DhcpOptionCode.vendorSpecific);
  return data && decodePxeVendorOptions(data);
}

// ---------------------------------------------------------------------------------------------
// Option 60: vendor class identifier
// ---------------------------------------------------------------------------------------------

/** Option 60 split into its PXE fields: `PXEClient:Arch:xxxxx:UNDI:yyyzzz` (PXE 2.1; EDK2 PxeBcDhcp4.h). */
export interface VendorClass {
  /** The whole string as sent (trailing NULs dropped). */
  text: string;
  /** The part before the first ':' ("PXEClient", "HTTPClient", "AAPLBSDPC", …). */
  prefix: string;
  /** The 5-digit Arch field, when present. */
  archCode?: number;
  /** The UNDI field (3 + 3 digits), when present. */
  undi?: { major: number; minor: number };
}

/** Splits an option-60 string into its PXE fields; unknown shapes keep only text and prefix. */
export function parseVendorClass(text: string): VendorClass {
  const parts = text.split(':');
  const result: VendorClass = { text, prefix: parts[0] ?? '' };
  if (parts[1] === 'Arch' && /^\d{5}$/.test(parts[2] ?? '')) result.archCode = Number(parts[2]);
  if (parts[3] === 'UNDI' && /^\d{6}$/.test(parts[4] ?? '')) {
    result.undi = { major: Number(parts[4]!.slice(0, 3)), minor: Number(parts[4]!.slice(3)) };
  }
  return result;
}

/** Formats `PXEClient:Arch:00007:UNDI:003000` style strings (what EDK2/iPXE clients send). */
export function formatVendorClass(prefix: string, archCode: number, undi: { major: number; minor: number }): string {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return `${prefix}:Arch:${pad(archCode, 5)}:UNDI:${pad(undi.major, 3)}${pad(undi.minor, 3)}`;
}

// ---------------------------------------------------------------------------------------------
// Option 77: user class
// ---------------------------------------------------------------------------------------------

/**
 * Option 77 as a list of classes. RFC 3004 defines length-prefixed items; iPXE sends the bare
 * string `iPXE` (ipxe.org cfg/user-class). Data that parses exactly as RFC 3004 items is read that
 * way; anything else is one raw string.
 */
export function decodeUserClass(data: Uint8Array): string[] {
  const items: string[] = [];
  let i = 0;
  while (i < data.length) {
    const len = data[i]!;
    if (len === 0 || i + 1 + len > data.length) return [bytesToLatin1(data)];
    items.push(bytesToLatin1(data.subarray(i + 1, i + 1 + len)));
    i += 1 + len;
  }
  return items.length > 0 ? items : [''];
}

/** Encodes option 77 as iPXE does (`raw`, single string) or as RFC 3004 items. */
export function encodeUserClass(classes: string[], form: 'raw' | 'rfc3004'): Uint8Array {
  if (form === 'raw') return latin1ToBytes(classes.join(''));
  const out: number[] = [];
  for (const c of classes) {
    const bytes = latin1ToBytes(c);
    if (bytes.length < 1 || bytes.length > 255) throw new RangeError('RFC 3004 user class items are 1..255 bytes');
    out.push(bytes.length, ...bytes);
  }
  return Uint8Array.from(out);
}

/** Option 77 of `packet`, or undefined. */
export function getUserClasses(packet: DhcpPacket): string[] | undefined {
  const data = packet.options.get(DhcpOptionCode.userClass);
  return data && decodeUserClass(data);
}

// ---------------------------------------------------------------------------------------------
// Options 93, 94, 97 (RFC 4578)
// ---------------------------------------------------------------------------------------------

/** Decodes option 93: one or more 16-bit big-endian architecture types (length 2n, n ≥ 1). */
export function decodeClientArchitectures(data: Uint8Array): number[] {
  if (data.length === 0 || data.length % 2 !== 0) {
    throw new MalformedDhcpPacketError(`option 93 length must be a positive multiple of 2, got ${data.length}`);
  }
  const out: number[] = [];
  for (let i = 0; i < data.length; i += 2) out.push(readU16(data, i));
  return out;
}

/** Encodes option 93. */
export function encodeClientArchitectures(codes: number[]): Uint8Array {
  return Uint8Array.from(codes.flatMap((c) => [(c >> 8) & 0xff, c & 0xff]));
}

/** Option 93 of `packet`, or undefined. */
export function getClientArchitectures(packet: DhcpPacket): number[] | undefined {
  const data = packet.options.get(DhcpOptionCode.clientArchitecture);
  return data && decodeClientArchitectures(data);
}

/** Option 94: network interface type (1 = UNDI) and its version. */
export interface ClientNetworkInterface { type: number; major: number; minor: number }

/** Decodes option 94 (exactly 3 bytes). */
export function decodeClientNetworkInterface(data: Uint8Array): ClientNetworkInterface {
  if (data.length !== 3) throw new MalformedDhcpPacketError(`option 94 must be 3 bytes, got ${data.length}`);
  return { type: data[0]!, major: data[1]!, minor: data[2]! };
}

/** Encodes option 94. */
export function encodeClientNetworkInterface(ndi: ClientNetworkInterface): Uint8Array {
  return Uint8Array.of(ndi.type, ndi.major, ndi.minor);
}

/** Option 94 of `packet`, or undefined. */
export function getClientNetworkInterface(packet: DhcpPacket): ClientNetworkInterface | undefined {
  const data = packet.options.get(DhcpOptionCode.clientNetworkInterface);
  return data && decodeClientNetworkInterface(data);
}

/** Option 97: type 0 + the 16-byte machine GUID, and that GUID as a canonical UUID string. */
export interface ClientMachineId {
  type: 0;
  guid: Uint8Array;
  /**
   * Canonical lowercase UUID. The first three fields are little-endian on the wire (SMBIOS byte
   * order): QEMU `-uuid 7a11b007-0001-4c0d-…` arrives as `07b0117a 0100 0d4c …` (lab captures).
   */
  uuid: string;
  /** True when the GUID is all zeros (firmware sends that when SMBIOS has none; RFC 4578 §2.3). */
  isZero: boolean;
}

function hex(bytes: Iterable<number>): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** SMBIOS-ordered 16 bytes -> canonical UUID string. */
export function smbiosGuidToUuid(guid: Uint8Array): string {
  const g = [...guid];
  return [
    hex([g[3]!, g[2]!, g[1]!, g[0]!]),
    hex([g[5]!, g[4]!]),
    hex([g[7]!, g[6]!]),
    hex(g.slice(8, 10)),
    hex(g.slice(10, 16)),
  ].join('-');
}

/** Canonical UUID string -> SMBIOS-ordered 16 bytes (the inverse of smbiosGuidToUuid). */
export function uuidToSmbiosGuid(uuid: string): Uint8Array {
  const h = uuid.toLowerCase().replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(h)) throw new RangeError(`not a UUID: ${JSON.stringify(uuid)}`);
  const b = (i: number) => parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return Uint8Array.from([b(3), b(2), b(1), b(0), b(5), b(4), b(7), b(6), ...Array.from({ length: 8 }, (_, k) => b(8 + k))]);
}

/** Decodes option 97: exactly 17 bytes with a leading type 0 (pixiecore validateDHCP). */
export function decodeClientMachineId(data: Uint8Array): ClientMachineId {
  if (data.length !== 17) throw new MalformedDhcpPacketError(`option 97 must be 17 bytes, got ${data.length}`);
  if (data[0] !== 0) throw new MalformedDhcpPacketError(`option 97 type must be 0 (GUID), got ${data[0]}`);
  const guid = new Uint8Array(data.subarray(1));
  return { type: 0, guid, uuid: smbiosGuidToUuid(guid), isZero: guid.every((b) => b === 0) };
}

/** Encodes option 97 from a canonical UUID string. */
export function encodeClientMachineId(uuid: string): Uint8Array {
  return Uint8Array.from([0, ...uuidToSmbiosGuid(uuid)]);
}

/** Option 97 of `packet`, or undefined. */
export function getClientMachineId(packet: DhcpPacket): ClientMachineId | undefined {
  const data = packet.options.get(DhcpOptionCode.clientMachineId);
  return data && decodeClientMachineId(data);
}

// ---------------------------------------------------------------------------------------------
// Option 175: iPXE encapsulated options
// ---------------------------------------------------------------------------------------------

/** Codes inside option 175 (iPXE include/ipxe/dhcp.h, features.h). Feature flags carry a 1-byte value. */
export const IpxeOption = {
  priority: 1,
  featureHttp: 19,
  featureHttps: 20,
  featureTftp: 21,
  noPxeDhcp: 176,
  busId: 177,
  version: 235,
} as const;

/** Decodes option 175 as encapsulated TLVs (PAD skipped, END stops); repeated codes are joined. */
export function decodeIpxeOptions(data: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  let i = 0;
  while (i < data.length) {
    const code = data[i]!;
    if (code === 0) { i += 1; continue; }
    if (code === 255) break;
    if (i + 1 >= data.length) throw new MalformedDhcpPacketError(`option 175 sub-option ${code} has no length byte`);
    const len = data[i + 1]!;
    if (i + 2 + len > data.length) throw new MalformedDhcpPacketError(`option 175 sub-option ${code} is truncated`);
    const v = data.subarray(i + 2, i + 2 + len);
    const previous = out.get(code);
    out.set(code, previous ? Uint8Array.from([...previous, ...v]) : new Uint8Array(v));
    i += 2 + len;
  }
  return out;
}

/** Encodes option 175 (no END: iPXE reads to the option's end). */
export function encodeIpxeOptions(options: Map<number, Uint8Array>): Uint8Array {
  const out: number[] = [];
  for (const [code, v] of options) {
    if (v.length > 255) throw new RangeError(`option 175 sub-option ${code} over 255 bytes`);
    out.push(code, v.length, ...v);
  }
  return Uint8Array.from(out);
}

/** Option 175 of `packet`, or undefined. */
export function getIpxeOptions(packet: DhcpPacket): Map<number, Uint8Array> | undefined {
  const data = packet.options.get(DhcpOptionCode.ipxeEncapsulated);
  return data && decodeIpxeOptions(data);
}

/** True when iPXE advertised feature `code` (a sub-option with a non-zero first byte). */
export function hasIpxeFeature(options: Map<number, Uint8Array>, code: number): boolean {
  const v = options.get(code);
  return v !== undefined && v.length > 0 && v[0] !== 0;
}

// ---------------------------------------------------------------------------------------------
// Architectures (option 93; IANA "Processor Architecture Types", RFC 4578 §2.1 + 2016 erratum)
// ---------------------------------------------------------------------------------------------

/** What the responder does with an architecture: which boot-file family it needs. */
export type ArchClass =
  | 'bios'
  | 'uefi-ia32'
  | 'uefi-x64'
  | 'uefi-arm32'
  | 'uefi-arm64'
  | 'uefi-riscv64'
  | 'uefi-loongarch64'
  | 'http-ia32'
  | 'http-x64'
  | 'http-arm32'
  | 'http-arm64'
  | 'http-bios'
  | 'http-riscv64'
  | 'http-loongarch64'
  | 'unsupported';

export const ARCH_CLASSES: readonly ArchClass[] = [
  'bios', 'uefi-ia32', 'uefi-x64', 'uefi-arm32', 'uefi-arm64', 'uefi-riscv64', 'uefi-loongarch64',
  'http-ia32', 'http-x64', 'http-arm32', 'http-arm64', 'http-bios', 'http-riscv64', 'http-loongarch64', 'unsupported',
];

/** One row of the IANA table with our class. */
export interface ArchitectureInfo { code: number; name: string; archClass: ArchClass }

/**
 * The IANA registry (0x00–0x29). Classes: 7 **and 9** are x64 UEFI (IANA has 9 = EBC, but RFC
 * 4578 had 7/9 swapped until the 2016 erratum and some x64 firmware still sends 9; pixiecore does
 * the same). 17 (EBC over HTTP) is likewise treated as x64 HTTP (inference, by analogy with 9).
 * Deprecated and non-PC architectures are 'unsupported': we have no boot file for them.
 */
export const ARCHITECTURES: readonly ArchitectureInfo[] = [
  { code: 0x00, name: 'x86 BIOS', archClass: 'bios' },
  { code: 0x01, name: 'NEC/PC98 (deprecated)', archClass: 'unsupported' },
  { code: 0x02, name: 'Itanium', archClass: 'unsupported' },
  { code: 0x03, name: 'DEC Alpha (deprecated)', archClass: 'unsupported' },
  { code: 0x04, name: 'Arc x86 (deprecated)', archClass: 'unsupported' },
  { code: 0x05, name: 'Intel Lean Client (deprecated)', archClass: 'unsupported' },
  { code: 0x06, name: 'x86 UEFI', archClass: 'uefi-ia32' },
  { code: 0x07, name: 'x64 UEFI', archClass: 'uefi-x64' },
  { code: 0x08, name: 'EFI Xscale (deprecated)', archClass: 'unsupported' },
  { code: 0x09, name: 'EBC (x64 UEFI on some firmware)', archClass: 'uefi-x64' },
  { code: 0x0a, name: 'ARM 32-bit UEFI', archClass: 'uefi-arm32' },
  { code: 0x0b, name: 'ARM 64-bit UEFI', archClass: 'uefi-arm64' },
  { code: 0x0c, name: 'PowerPC Open Firmware', archClass: 'unsupported' },
  { code: 0x0d, name: 'PowerPC ePAPR', archClass: 'unsupported' },
  { code: 0x0e, name: 'POWER OPAL v3', archClass: 'unsupported' },
  { code: 0x0f, name: 'x86 UEFI HTTP', archClass: 'http-ia32' },
  { code: 0x10, name: 'x64 UEFI HTTP', archClass: 'http-x64' },
  { code: 0x11, name: 'EBC UEFI HTTP', archClass: 'http-x64' },
  { code: 0x12, name: 'ARM 32-bit UEFI HTTP', archClass: 'http-arm32' },
  { code: 0x13, name: 'ARM 64-bit UEFI HTTP', archClass: 'http-arm64' },
  { code: 0x14, name: 'PC/AT BIOS HTTP', archClass: 'http-bios' },
  { code: 0x15, name: 'ARM 32-bit U-Boot', archClass: 'unsupported' },
  { code: 0x16, name: 'ARM 64-bit U-Boot', archClass: 'unsupported' },
  { code: 0x17, name: 'ARM 32-bit U-Boot HTTP', archClass: 'unsupported' },
  { code: 0x18, name: 'ARM 64-bit U-Boot HTTP', archClass: 'unsupported' },
  { code: 0x19, name: 'RISC-V 32-bit UEFI', archClass: 'unsupported' },
  { code: 0x1a, name: 'RISC-V 32-bit UEFI HTTP', archClass: 'unsupported' },
  { code: 0x1b, name: 'RISC-V 64-bit UEFI', archClass: 'uefi-riscv64' },
  { code: 0x1c, name: 'RISC-V 64-bit UEFI HTTP', archClass: 'http-riscv64' },
  { code: 0x1d, name: 'RISC-V 128-bit UEFI', archClass: 'unsupported' },
  { code: 0x1e, name: 'RISC-V 128-bit UEFI HTTP', archClass: 'unsupported' },
  { code: 0x1f, name: 's390 Basic', archClass: 'unsupported' },
  { code: 0x20, name: 's390 Extended', archClass: 'unsupported' },
  { code: 0x21, name: 'MIPS 32-bit UEFI', archClass: 'unsupported' },
  { code: 0x22, name: 'MIPS 64-bit UEFI', archClass: 'unsupported' },
  { code: 0x23, name: 'Sunway 32-bit UEFI', archClass: 'unsupported' },
  { code: 0x24, name: 'Sunway 64-bit UEFI', archClass: 'unsupported' },
  { code: 0x25, name: 'LoongArch 32-bit UEFI', archClass: 'unsupported' },
  { code: 0x26, name: 'LoongArch 32-bit UEFI HTTP', archClass: 'unsupported' },
  { code: 0x27, name: 'LoongArch 64-bit UEFI', archClass: 'uefi-loongarch64' },
  { code: 0x28, name: 'LoongArch 64-bit UEFI HTTP', archClass: 'http-loongarch64' },
  { code: 0x29, name: 'ARM rpiboot', archClass: 'unsupported' },
];

const archByCode = new Map(ARCHITECTURES.map((a) => [a.code, a]));

/** Overrides of the table, code -> class (e.g. a firmware that sends 0 for UEFI). */
export type ArchOverrides = ReadonlyMap<number, ArchClass> | Readonly<Record<number, ArchClass>>;

function overrideFor(code: number, overrides: ArchOverrides | undefined): ArchClass | undefined {
  if (!overrides) return undefined;
  if (overrides instanceof Map) return overrides.get(code);
  return (overrides as Readonly<Record<number, ArchClass>>)[code];
}

/** The class of one architecture code, after overrides; unknown codes are 'unsupported'. */
export function classifyArchitecture(code: number, overrides?: ArchOverrides): ArchitectureInfo {
  const row = archByCode.get(code);
  const name = row?.name ?? `unknown (${code})`;
  return { code, name, archClass: overrideFor(code, overrides) ?? row?.archClass ?? 'unsupported' };
}

/**
 * Picks the client's architecture from its option-93 list: the first one we support, else the
 * first one (RFC 4578 §2.1 allows several; smee scans for the first known).
 */
export function pickArchitecture(codes: readonly number[], overrides?: ArchOverrides): ArchitectureInfo {
  const infos = codes.map((c) => classifyArchitecture(c, overrides));
  return infos.find((i) => i.archClass !== 'unsupported') ?? infos[0] ?? classifyArchitecture(-1, overrides);
}

/** True for the UEFI HTTP Boot classes (URL boot files, `HTTPClient`). */
export function isHttpBootClass(archClass: ArchClass): boolean {
  return archClass.startsWith('http-');
}
