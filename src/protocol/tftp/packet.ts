/**
 * TFTP wire format: RFC 1350 §5 packets, RFC 2347 option extension (OACK, error 8), with the
 * options of RFC 2348 (blksize), 2349 (timeout, tsize), 7440 (windowsize) carried as name/value
 * strings. Pure: no sockets, no clocks, no node: imports (the console reuses it).
 *
 * ```
 *  RRQ/WRQ  | 01/02 | filename | 0 | mode | 0 | opt1 | 0 | value1 | 0 | ...
 *  DATA     | 03 | block (2) | payload (0..blksize)
 *  ACK      | 04 | block (2) [| next window (1), Microsoft msftwindow only]
 *  ERROR    | 05 | code (2) | message | 0
 *  OACK     | 06 | opt1 | 0 | value1 | 0 | ...
 * ```
 * All numbers are big-endian (network byte order).
 */

/** Opcodes (RFC 1350 §5, RFC 2347 for OACK). */
export const TftpOpcode = {
  readRequest: 1,
  writeRequest: 2,
  data: 3,
  ack: 4,
  error: 5,
  optionAck: 6,
} as const;

/** Error codes: 0–7 from RFC 1350 appendix, 8 from RFC 2347. */
export const TftpErrorCode = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTransferId: 5,
  fileAlreadyExists: 6,
  noSuchUser: 7,
  optionNegotiationRefused: 8,
} as const;
export type TftpErrorCode = (typeof TftpErrorCode)[keyof typeof TftpErrorCode];

/**
 * Options in request order. Names are lowercased on decode (RFC 2347: case-insensitive);
 * values are kept as sent. A repeated name keeps its first value.
 */
export type TftpOptions = ReadonlyMap<string, string>;

export type TftpPacket =
  | { op: 'readRequest'; filename: string; /** lowercased */ mode: string; options: TftpOptions }
  | { op: 'writeRequest'; filename: string; /** lowercased */ mode: string; options: TftpOptions }
  | { op: 'data'; block: number; payload: Uint8Array }
  | { op: 'ack'; block: number; /** msftwindow: size of the next window (one extra byte) */ nextWindow?: number }
  | { op: 'optionAck'; options: TftpOptions }
  | { op: 'error'; code: number; message: string };

/** Thrown by decodeTftpPacket for bytes that are not a well-formed TFTP packet. */
export class MalformedTftpPacketError extends Error {
  readonly code = 'PEERBOOT_ERR_MALFORMED_PACKET';
  constructor(readonly reason: string) {
    super(`malformed TFTP packet: ${reason}`);
    this.name = 'MalformedTftpPacketError';
  }
}

/** Size of the DATA header (opcode + block number). */
export const TFTP_DATA_HEADER_BYTES = 4;

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Splits NUL-terminated strings from `start`; the last byte must be a NUL. Trailing all-NUL padding is dropped. */
function readStrings(bytes: Uint8Array, start: number, what: string): string[] {
  if (bytes.length === start) return [];
  if (bytes[bytes.length - 1] !== 0) throw new MalformedTftpPacketError(`${what}: last string is not NUL-terminated`);
  const strings: string[] = [];
  let from = start;
  for (let i = start; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      strings.push(utf8Decoder.decode(bytes.subarray(from, i)));
      from = i + 1;
    }
  }
  return strings;
}

function toOptions(strings: string[], firstIndex: number, what: string): Map<string, string> {
  // Some ROMs pad requests with NUL bytes: empty strings at the very end are padding, not options.
  let end = strings.length;
  while (end > firstIndex && strings[end - 1] === '') end--;
  if ((end - firstIndex) % 2 !== 0) throw new MalformedTftpPacketError(`${what}: option '${strings[end - 1]}' has no value`);
  const options = new Map<string, string>();
  for (let i = firstIndex; i < end; i += 2) {
    const name = (strings[i] as string).toLowerCase();
    if (name === '') throw new MalformedTftpPacketError(`${what}: empty option name`);
    if (!options.has(name)) options.set(name, strings[i + 1] as string);
  }
  return options;
}

function readUint16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
}

/**
 * Decodes one UDP payload. Throws MalformedTftpPacketError (with a reason) for anything that is not a
 * well-formed TFTP packet; never anything else. DATA payloads are views into `bytes` (no copy).
 */
export function decodeTftpPacket(bytes: Uint8Array): TftpPacket {
  if (bytes.length < 2) throw new MalformedTftpPacketError(`too short (${bytes.length} bytes)`);
  const opcode = readUint16(bytes, 0);
  switch (opcode) {
    case TftpOpcode.readRequest:
    case TftpOpcode.writeRequest: {
      const what = opcode === TftpOpcode.readRequest ? 'RRQ' : 'WRQ';
      const strings = readStrings(bytes, 2, what);
      if (strings.length < 2) throw new MalformedTftpPacketError(`${what}: missing filename or mode`);
      const filename = strings[0] as string;
      const mode = (strings[1] as string).toLowerCase();
      const options = toOptions(strings, 2, what);
      return { op: opcode === TftpOpcode.readRequest ? 'readRequest' : 'writeRequest', filename, mode, options };
    }
    case TftpOpcode.data:
      if (bytes.length < 4) throw new MalformedTftpPacketError(`DATA: too short (${bytes.length} bytes)`);
      return { op: 'data', block: readUint16(bytes, 2), payload: bytes.subarray(4) };
    case TftpOpcode.ack:
      if (bytes.length === 4) return { op: 'ack', block: readUint16(bytes, 2) };
      if (bytes.length === 5) return { op: 'ack', block: readUint16(bytes, 2), nextWindow: bytes[4] as number };
      throw new MalformedTftpPacketError(`ACK: ${bytes.length} bytes, expected 4 (or 5 with msftwindow)`);
    case TftpOpcode.error: {
      if (bytes.length < 4) throw new MalformedTftpPacketError(`ERROR: too short (${bytes.length} bytes)`);
      // Lenient on the message: some clients omit the final NUL; the code is what matters.
      const end = bytes.indexOf(0, 4);
      const message = utf8Decoder.decode(bytes.subarray(4, end === -1 ? bytes.length : end));
      return { op: 'error', code: readUint16(bytes, 2), message };
    }
    case TftpOpcode.optionAck: {
      const strings = readStrings(bytes, 2, 'OACK');
      return { op: 'optionAck', options: toOptions(strings, 0, 'OACK') };
    }
    default:
      throw new MalformedTftpPacketError(`unknown opcode ${opcode}`);
  }
}

function encodeString(value: string, what: string): Uint8Array {
  const bytes = utf8Encoder.encode(value);
  if (bytes.includes(0)) throw new RangeError(`TFTP ${what} must not contain NUL: ${JSON.stringify(value)}`);
  return bytes;
}

function encodeStrings(opcode: number, strings: string[], what: string): Uint8Array {
  const encoded = strings.map((s) => encodeString(s, what));
  const out = new Uint8Array(2 + encoded.reduce((n, s) => n + s.length + 1, 0));
  out[1] = opcode;
  let at = 2;
  for (const s of encoded) {
    out.set(s, at);
    at += s.length + 1; // the NUL is already 0
  }
  return out;
}

function optionStrings(options: TftpOptions): string[] {
  const strings: string[] = [];
  for (const [name, value] of options) strings.push(name, value);
  return strings;
}

function checkUint16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`TFTP ${what} out of range: ${value}`);
}

/** Encodes a packet. Throws RangeError only for values that cannot be put on the wire (NUL in a string, block > 65535). */
export function encodeTftpPacket(packet: TftpPacket): Uint8Array {
  switch (packet.op) {
    case 'readRequest':
    case 'writeRequest':
      return encodeStrings(
        packet.op === 'readRequest' ? TftpOpcode.readRequest : TftpOpcode.writeRequest,
        [packet.filename, packet.mode, ...optionStrings(packet.options)],
        'request string',
      );
    case 'data': {
      const out = new Uint8Array(TFTP_DATA_HEADER_BYTES + packet.payload.length);
      out.set(packet.payload, TFTP_DATA_HEADER_BYTES);
      encodeTftpDataHeader(out, packet.block);
      return out;
    }
    case 'ack': {
      checkUint16(packet.block, 'ACK block');
      const withWindow = packet.nextWindow !== undefined;
      const out = new Uint8Array(withWindow ? 5 : 4);
      out[1] = TftpOpcode.ack;
      out[2] = packet.block >> 8;
      out[3] = packet.block & 0xff;
      if (withWindow) {
        if (!Number.isInteger(packet.nextWindow) || packet.nextWindow! < 0 || packet.nextWindow! > 0xff) {
          throw new RangeError(`TFTP ACK next window out of range: ${packet.nextWindow}`);
        }
        out[4] = packet.nextWindow!;
      }
      return out;
    }
    case 'error': {
      checkUint16(packet.code, 'error code');
      const message = encodeString(packet.message, 'error message');
      const out = new Uint8Array(5 + message.length);
      out[1] = TftpOpcode.error;
      out[2] = packet.code >> 8;
      out[3] = packet.code & 0xff;
      out.set(message, 4);
      return out;
    }
    case 'optionAck':
      return encodeStrings(TftpOpcode.optionAck, optionStrings(packet.options), 'option');
  }
}

/**
 * Writes the 4-byte DATA header (opcode 3, `wireBlock`) at the start of `target`, for servers that
 * keep preallocated send buffers with the payload already at offset 4. Returns the header length.
 */
export function encodeTftpDataHeader(target: Uint8Array, wireBlock: number): number {
  checkUint16(wireBlock, 'DATA block');
  target[0] = 0;
  target[1] = TftpOpcode.data;
  target[2] = wireBlock >> 8;
  target[3] = wireBlock & 0xff;
  return TFTP_DATA_HEADER_BYTES;
}

/**
 * Hot-path helper: the block number of a 4-byte ACK (or 5-byte msftwindow ACK), or -1 when
 * `bytes` is not an ACK. Lets a transfer read ACKs without allocating a packet object.
 */
export function tftpAckBlockOf(bytes: Uint8Array): number {
  if ((bytes.length !== 4 && bytes.length !== 5) || bytes[0] !== 0 || bytes[1] !== TftpOpcode.ack) return -1;
  return readUint16(bytes, 2);
}
