// Goal: the TFTP codec reads and writes exactly the RFC 1350/2347 byte layouts, reads option names
// case-insensitively, and answers any byte string with either a packet or MalformedTftpPacketError.
// Method: hex tables checked in both directions, a table of malformed inputs with their reasons,
// and seeded random byte strings (plus random mutations of valid packets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MalformedTftpPacketError,
  TftpErrorCode,
  decodeTftpPacket,
  encodeTftpDataHeader,
  encodeTftpPacket,
  tftpAckBlockOf,
  type TftpPacket,
} from './packet.js';
import { seededRandom as mulberry32 } from '../../testkit/seeded-random.js';

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ');

const bothWays: Array<{ name: string; bytes: Uint8Array; packet: TftpPacket }> = [
  {
    name: 'RRQ without options',
    bytes: hex(`00 01 ${ascii('pxelinux.0')} 00 ${ascii('octet')} 00`),
    packet: { op: 'readRequest', filename: 'pxelinux.0', mode: 'octet', options: new Map() },
  },
  {
    name: 'RRQ of the EDK2 size probe (tsize, blksize, windowsize)',
    bytes: hex(`00 01 ${ascii('ipxe.efi')} 00 ${ascii('octet')} 00 ${ascii('tsize')} 00 30 00 ${ascii('blksize')} 00 ${ascii('1468')} 00 ${ascii('windowsize')} 00 34 00`),
    packet: {
      op: 'readRequest', filename: 'ipxe.efi', mode: 'octet',
      options: new Map([['tsize', '0'], ['blksize', '1468'], ['windowsize', '4']]),
    },
  },
  {
    name: 'WRQ',
    bytes: hex(`00 02 ${ascii('x')} 00 ${ascii('octet')} 00`),
    packet: { op: 'writeRequest', filename: 'x', mode: 'octet', options: new Map() },
  },
  {
    name: 'DATA block 1 with 3 bytes',
    bytes: hex('00 03 00 01 de ad be'),
    packet: { op: 'data', block: 1, payload: hex('de ad be') },
  },
  {
    name: 'DATA block 65535, zero-length final block',
    bytes: hex('00 03 ff ff'),
    packet: { op: 'data', block: 65535, payload: new Uint8Array(0) },
  },
  { name: 'ACK 0', bytes: hex('00 04 00 00'), packet: { op: 'ack', block: 0 } },
  { name: 'ACK 258', bytes: hex('00 04 01 02'), packet: { op: 'ack', block: 258 } },
  {
    name: 'ACK with the msftwindow next-window byte',
    bytes: hex('00 04 00 08 10'),
    packet: { op: 'ack', block: 8, nextWindow: 16 },
  },
  {
    name: 'ERROR 1 File not found',
    bytes: hex(`00 05 00 01 ${ascii('File not found')} 00`),
    packet: { op: 'error', code: TftpErrorCode.fileNotFound, message: 'File not found' },
  },
  {
    name: 'ERROR 8 from the EDK2 probe',
    bytes: hex(`00 05 00 08 ${ascii('User aborted the transfer')} 00`),
    packet: { op: 'error', code: TftpErrorCode.optionNegotiationRefused, message: 'User aborted the transfer' },
  },
  {
    name: 'OACK tsize + blksize',
    bytes: hex(`00 06 ${ascii('tsize')} 00 ${ascii('1234')} 00 ${ascii('blksize')} 00 ${ascii('1468')} 00`),
    packet: { op: 'optionAck', options: new Map([['tsize', '1234'], ['blksize', '1468']]) },
  },
];

for (const row of bothWays) {
  test(`decode: ${row.name}`, () => {
    assert.deepEqual(decodeTftpPacket(row.bytes), row.packet);
  });
  test(`encode: ${row.name}`, () => {
    assert.deepEqual(encodeTftpPacket(row.packet), row.bytes);
  });
}

test('option names and mode are case-insensitive; first of a repeated option wins; NUL padding is ignored', () => {
  const bytes = hex(`00 01 ${ascii('\\Boot\\x64\\PXEBOOT.N12')} 00 ${ascii('OCTET')} 00 ${ascii('BlkSize')} 00 ${ascii('1456')} 00 ${ascii('blksize')} 00 ${ascii('512')} 00 ${ascii('MsftWindow')} 00 ${ascii('31416')} 00 00 00`);
  assert.deepEqual(decodeTftpPacket(bytes), {
    op: 'readRequest', filename: '\\Boot\\x64\\PXEBOOT.N12', mode: 'octet',
    options: new Map([['blksize', '1456'], ['msftwindow', '31416']]),
  });
});

test('ERROR without its final NUL still decodes (lenient on the message)', () => {
  assert.deepEqual(decodeTftpPacket(hex(`00 05 00 08 ${ascii('abort')}`)), { op: 'error', code: 8, message: 'abort' });
  assert.deepEqual(decodeTftpPacket(hex('00 05 00 00')), { op: 'error', code: 0, message: '' });
});

const malformed: Array<{ name: string; bytes: Uint8Array; reason: RegExp }> = [
  { name: 'empty', bytes: hex(''), reason: /too short/ },
  { name: 'one byte', bytes: hex('00'), reason: /too short/ },
  { name: 'unknown opcode 7', bytes: hex('00 07 00 00'), reason: /unknown opcode 7/ },
  { name: 'opcode 0x0103', bytes: hex('01 03 00 00'), reason: /unknown opcode 259/ },
  { name: 'RRQ without any string', bytes: hex('00 01'), reason: /missing filename or mode/ },
  { name: 'RRQ with unterminated mode', bytes: hex(`00 01 ${ascii('f')} 00 ${ascii('octet')}`), reason: /not NUL-terminated/ },
  { name: 'RRQ without mode', bytes: hex(`00 01 ${ascii('f')} 00`), reason: /missing filename or mode/ },
  { name: 'RRQ with truncated option', bytes: hex(`00 01 ${ascii('f')} 00 ${ascii('octet')} 00 ${ascii('blksize')} 00`), reason: /has no value/ },
  { name: 'RRQ with empty option name', bytes: hex(`00 01 ${ascii('f')} 00 ${ascii('octet')} 00 00 ${ascii('1')} 00`), reason: /empty option name/ },
  { name: 'DATA with 3 bytes', bytes: hex('00 03 00'), reason: /DATA: too short/ },
  { name: 'ACK with 3 bytes', bytes: hex('00 04 00'), reason: /ACK: 3 bytes/ },
  { name: 'ACK with 6 bytes', bytes: hex('00 04 00 01 02 03'), reason: /ACK: 6 bytes/ },
  { name: 'ERROR with 3 bytes', bytes: hex('00 05 00'), reason: /ERROR: too short/ },
  { name: 'OACK with odd strings', bytes: hex(`00 06 ${ascii('tsize')} 00`), reason: /has no value/ },
];

for (const row of malformed) {
  test(`malformed: ${row.name}`, () => {
    assert.throws(() => decodeTftpPacket(row.bytes), (err: unknown) => {
      assert.ok(err instanceof MalformedTftpPacketError, `not a MalformedTftpPacketError: ${String(err)}`);
      assert.match(err.reason, row.reason);
      return true;
    });
  });
}

test('encode refuses what cannot go on the wire', () => {
  assert.throws(() => encodeTftpPacket({ op: 'ack', block: 65536 }), RangeError);
  assert.throws(() => encodeTftpPacket({ op: 'error', code: 1, message: 'a\0b' }), RangeError);
  assert.throws(() => encodeTftpPacket({ op: 'optionAck', options: new Map([['blksize', '1\x00']]) }), RangeError);
  assert.throws(() => encodeTftpPacket({ op: 'ack', block: 1, nextWindow: 256 }), RangeError);
});

test('encodeTftpDataHeader writes into a preallocated buffer without touching the payload', () => {
  const buf = new Uint8Array([9, 9, 9, 9, 1, 2, 3]);
  assert.equal(encodeTftpDataHeader(buf, 0x1234), 4);
  assert.deepEqual(buf, hex('00 03 12 34 01 02 03'));
  assert.deepEqual(decodeTftpPacket(buf), { op: 'data', block: 0x1234, payload: hex('01 02 03') });
});

test('tftpAckBlockOf reads ACKs and rejects everything else', () => {
  assert.equal(tftpAckBlockOf(hex('00 04 ff fe')), 0xfffe);
  assert.equal(tftpAckBlockOf(hex('00 04 00 07 08')), 7);
  assert.equal(tftpAckBlockOf(hex('00 03 00 01')), -1);
  assert.equal(tftpAckBlockOf(hex('00 04 00')), -1);
  assert.equal(tftpAckBlockOf(hex('01 04 00 01')), -1);
});


test('random bytes either decode (and re-encode to a decodable packet) or throw MalformedTftpPacketError', () => {
  const seed = 20260807;
  const random = mulberry32(seed);
  const valid = bothWays.map((r) => r.bytes);
  let decoded = 0;
  for (let i = 0; i < 20000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      // Pure noise, biased towards small opcodes so every decoder branch is reached.
      bytes = Uint8Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256));
      if (bytes.length >= 2) { bytes[0] = 0; bytes[1] = Math.floor(random() * 8); }
    } else {
      // Mutations of valid packets: truncate, flip bytes, append.
      const base = valid[Math.floor(random() * valid.length)] as Uint8Array;
      bytes = base.slice(0, Math.floor(random() * (base.length + 3)));
      for (let f = 0; f < 2; f++) if (bytes.length > 0 && random() < 0.5) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    }
    let packet: TftpPacket;
    try {
      packet = decodeTftpPacket(bytes);
    } catch (err) {
      assert.ok(err instanceof MalformedTftpPacketError, `seed ${seed} iteration ${i}: ${String(err)}`);
      continue;
    }
    decoded++;
    // Whatever decodes must survive a round trip through the encoder unchanged in meaning.
    assert.deepEqual(decodeTftpPacket(encodeTftpPacket(packet)), packet, `seed ${seed} iteration ${i}`);
  }
  assert.ok(decoded > 1000, `too few random inputs decoded (${decoded}); the generator lost coverage`);
});
