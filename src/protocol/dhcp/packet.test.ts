// Goal: the BOOTP/DHCP codec reads and writes exactly the bytes RFC 2131/2132/3396 specify, and
// rejects every malformed input with MalformedDhcpPacketError naming the reason.
// Method: hex tables checked in both directions (decode(bytes) == packet, encode(packet) == bytes),
// decode-only tables for input-only features (overload, PAD, trailing NUL), and error tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BROADCAST_FLAG,
  decodeDhcpPacket,
  encodeDhcpPacket,
  isBroadcast,
  MalformedDhcpPacketError,
  type DhcpPacket,
} from './packet.js';
import { getMaxMessageSize, getMessageType, getServerIdentifier, getStringOption, isOptionRequested } from './options.js';

/** "01 02 | 03" -> bytes; `z(n)` in templates adds n zero bytes. */
function hexBytes(text: string): Uint8Array {
  const clean = text.replace(/[|\s]/g, '');
  assert.equal(clean.length % 2, 0, 'odd hex length in test table');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}
const z = (n: number) => '00'.repeat(n);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
const chaddr = (mac: string) => mac.replace(/:/g, '') + z(10);
const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

function packet(fields: Partial<DhcpPacket>): DhcpPacket {
  return {
    op: 1, htype: 1, hlen: 6, hops: 0, xid: 0, secs: 0, flags: 0,
    clientAddr: '0.0.0.0', yourAddr: '0.0.0.0', serverAddr: '0.0.0.0', gatewayAddr: '0.0.0.0',
    clientHardwareAddr: hexBytes(chaddr('52:54:00:77:00:01')),
    serverName: '', bootFile: '', options: new Map(),
    ...fields,
  };
}

const COOKIE = '63 82 53 63';
const vendor = 'PXEClient:Arch:00000:UNDI:002001';

const bothWays: Array<{ name: string; hex: string; packet: DhcpPacket }> = [
  {
    name: 'iPXE ROM DISCOVER (lab facts: 60/93/94/97/77, secs 4, broadcast), 316 bytes so no padding',
    hex: `01 01 06 00 | a1 b2 c3 d4 | 00 04 80 00 | ${z(16)} | ${chaddr('52:54:00:77:00:01')} | ${z(64)} | ${z(128)} | ${COOKIE}
          35 01 01 | 39 02 05 c0 | 5d 02 00 00 | 5e 03 01 02 01 | 3c 20 ${ascii(vendor)}
          61 11 00 07b0117a 0100 0d4c 8e5f 525400770001 | 4d 04 ${ascii('iPXE')} | ff`,
    packet: packet({
      xid: 0xa1b2c3d4, secs: 4, flags: BROADCAST_FLAG,
      options: new Map([
        [53, bytes(1)], [57, bytes(0x05, 0xc0)], [93, bytes(0, 0)], [94, bytes(1, 2, 1)], [60, text(vendor)],
        [97, hexBytes('00 07b0117a 0100 0d4c 8e5f 525400770001')], [77, text('iPXE')],
      ]),
    }),
  },
  {
    name: 'proxy OFFER (BIOS style) is padded with zeros to 300 bytes after END',
    hex: `02 01 06 00 | 00 00 00 2a | 00 00 80 00 | ${z(8)} | 0a 4d 00 0b | ${z(4)} | ${chaddr('52:54:00:77:00:01')}
          ${ascii('10.77.0.11')}${z(54)} | ${ascii('undionly.kpxe')}${z(115)} | ${COOKIE}
          35 01 02 | 36 04 0a 4d 00 0b | 3c 09 ${ascii('PXEClient')} | 2b 0a 06 01 08 0a 04 00 50 58 45 ff | ff | ${z(300 - 240 - 33)}`,
    packet: packet({
      op: 2, xid: 42, flags: BROADCAST_FLAG, serverAddr: '10.77.0.11', serverName: '10.77.0.11', bootFile: 'undionly.kpxe',
      options: new Map([
        [53, bytes(2)], [54, bytes(10, 77, 0, 11)], [60, text('PXEClient')],
        [43, hexBytes('06 01 08 0a 04 00 50 58 45 ff')],
      ]),
    }),
  },
  {
    name: 'a 300-byte option is split into 255 + 45 (RFC 3396) and joined again',
    hex: `01 01 06 00 | ${z(4)} | ${z(4)} | ${z(16)} | ${chaddr('52:54:00:77:00:01')} | ${z(64)} | ${z(128)} | ${COOKIE}
          4d ff ${'ab'.repeat(255)} | 4d 2d ${'ab'.repeat(45)} | ff`,
    packet: packet({ options: new Map([[77, new Uint8Array(300).fill(0xab)]]) }),
  },
  {
    name: 'zero-length option and all 16 chaddr bytes (EDK2 SendGUID: hlen 16) survive',
    hex: `01 01 10 00 | ${z(4)} | ${z(4)} | ${z(16)} | 00112233445566778899aabbccddeeff | ${z(64)} | ${z(128)} | ${COOKIE}
          50 00 | ff | ${z(300 - 240 - 3)}`,
    packet: packet({ hlen: 16, clientHardwareAddr: hexBytes('00112233445566778899aabbccddeeff'), options: new Map([[80, new Uint8Array(0)]]) }),
  },
];

for (const row of bothWays) {
  test(`both ways: ${row.name}`, () => {
    const wire = hexBytes(row.hex);
    assert.deepEqual(decodeDhcpPacket(wire), row.packet);
    assert.deepEqual(encodeDhcpPacket(row.packet), wire);
  });
}

test('decode accepts a Node Buffer and returns plain, independent copies', () => {
  const wire = Buffer.from(hexBytes(bothWays[0]!.hex));
  const decoded = decodeDhcpPacket(wire);
  wire.fill(0xee);
  assert.deepEqual(decoded, bothWays[0]!.packet);
  assert.equal(Object.getPrototypeOf(decoded.clientHardwareAddr), Uint8Array.prototype);
});

const header = (sname: string, file: string) =>
  `01 01 06 00 | ${z(4)} | ${z(4)} | ${z(16)} | ${chaddr('52:54:00:77:00:01')} | ${sname} | ${file} | ${COOKIE}`;

const decodeOnly: Array<{ name: string; hex: string; check: (p: DhcpPacket) => void }> = [
  {
    name: 'overload 1: options in `file` are read, file itself is empty',
    hex: `${header(z(64), `43 05 ${ascii('a.efi')} ff ${z(128 - 8)}`)} 34 01 01 35 01 01 ff`,
    check: (p) => {
      assert.equal(p.bootFile, '');
      assert.equal(getStringOption(p, 67), 'a.efi');
      assert.equal(p.options.has(52), false, 'overload is consumed, never re-emitted');
    },
  },
  {
    name: 'overload 3: a split option is joined in the order options, file, sname (RFC 3396 §5)',
    hex: `${header(`3c 02 ${ascii('nt')} ff ${z(64 - 5)}`, `3c 05 ${ascii('Clie')}00 ff ${z(128 - 8)}`)} 34 01 03 3c 03 ${ascii('PXE')} ff`,
    check: (p) => {
      assert.equal(getStringOption(p, 60), 'PXEClie\u0000nt');
      assert.equal(p.serverName, '');
      assert.equal(p.bootFile, '');
    },
  },
  {
    name: 'PAD bytes between options are skipped; a trailing NUL in a string option is dropped (RFC 2132 §2)',
    hex: `${header(z(64), z(128))} 00 00 35 01 03 00 43 06 ${ascii('x.efi')}00 ff`,
    check: (p) => {
      assert.equal(getMessageType(p), 3);
      assert.equal(getStringOption(p, 67), 'x.efi');
    },
  },
  {
    name: 'an options area that ends cleanly without END is accepted',
    hex: `${header(z(64), z(128))} 35 01 01 36 04 0a 00 00 01`,
    check: (p) => assert.equal(getServerIdentifier(p), '10.0.0.1'),
  },
  {
    name: 'options after END are ignored',
    hex: `${header(z(64), z(128))} 35 01 01 ff 36 04 0a 00 00 01`,
    check: (p) => assert.equal(p.options.has(54), false),
  },
  {
    name: 'sname/file with no NUL use the whole field; typed accessors read 55 and 57',
    hex: `${header('61'.repeat(64), '62'.repeat(128))} 37 03 01 42 43 39 02 05 c0 ff`,
    check: (p) => {
      assert.equal(p.serverName, 'a'.repeat(64));
      assert.equal(p.bootFile, 'b'.repeat(128));
      assert.equal(isOptionRequested(p, 66), true);
      assert.equal(isOptionRequested(p, 67), true);
      assert.equal(isOptionRequested(p, 43), false);
      assert.equal(getMaxMessageSize(p), 1472);
      assert.equal(isBroadcast(p), false);
    },
  },
];

for (const row of decodeOnly) {
  test(`decode: ${row.name}`, () => row.check(decodeDhcpPacket(hexBytes(row.hex))));
}

const malformed: Array<{ name: string; hex: string; reason: RegExp }> = [
  { name: 'empty', hex: '', reason: /too short/ },
  { name: '239 bytes', hex: z(239), reason: /too short/ },
  { name: 'bad cookie', hex: `${header(z(64), z(128)).replace(COOKIE, '63 82 53 64')} ff`, reason: /magic cookie/ },
  { name: 'hlen 17', hex: `01 01 11 00 ${z(232)} ${COOKIE} ff`, reason: /hlen 17/ },
  { name: 'option without a length byte', hex: `${header(z(64), z(128))} 35`, reason: /no length byte/ },
  { name: 'option data running past the end', hex: `${header(z(64), z(128))} 3c 09 50 58 45`, reason: /truncated/ },
  { name: 'overload with a bad length', hex: `${header(z(64), z(128))} 34 02 01 01 ff`, reason: /option 52/ },
  { name: 'overload value 4', hex: `${header(z(64), z(128))} 34 01 04 ff`, reason: /option 52/ },
  { name: 'truncated option inside an overloaded file', hex: `${header(z(64), `${z(126)} 43 05`)} 34 01 01 ff`, reason: /file \(overloaded\)/ },
];

for (const row of malformed) {
  test(`malformed: ${row.name}`, () => {
    assert.throws(() => decodeDhcpPacket(hexBytes(row.hex)), (err: unknown) => {
      assert.ok(err instanceof MalformedDhcpPacketError, `expected MalformedDhcpPacketError, got ${String(err)}`);
      assert.match(err.reason, row.reason);
      return true;
    });
  });
}

test('typed accessors reject wrong lengths as malformed (EDK2 rejects such offers outright)', () => {
  const p = packet({ options: new Map([[53, bytes(1, 1)], [54, bytes(10, 0, 0)], [57, bytes(5)]]) });
  assert.throws(() => getMessageType(p), MalformedDhcpPacketError);
  assert.throws(() => getServerIdentifier(p), MalformedDhcpPacketError);
  assert.throws(() => getMaxMessageSize(p), MalformedDhcpPacketError);
  assert.equal(getMessageType(packet({})), undefined);
});

test('encode refuses what it must never write or cannot fit', () => {
  assert.throws(() => encodeDhcpPacket(packet({ options: new Map([[52, bytes(1)]]) })), /option code 52/);
  assert.throws(() => encodeDhcpPacket(packet({ options: new Map([[255, bytes()]]) })), /option code 255/);
  assert.throws(() => encodeDhcpPacket(packet({ options: new Map([[0, bytes()]]) })), /option code 0/);
  assert.throws(() => encodeDhcpPacket(packet({ serverName: 'x'.repeat(65) })), /sname/);
  assert.throws(() => encodeDhcpPacket(packet({ bootFile: 'x'.repeat(129) })), /file holds 128/);
  assert.throws(() => encodeDhcpPacket(packet({ serverAddr: '10.0.0.256' })), /IPv4/);
  assert.throws(() => encodeDhcpPacket(packet({ bootFile: 'caf\u00e9\u2603' })), /U\+2603/);
  assert.throws(() => encodeDhcpPacket(packet({ clientHardwareAddr: bytes(1, 2, 3, 4, 5, 6) })), /16 bytes/);
});

test('every encoded message ends its options with END and is at least 300 bytes', () => {
  const wire = encodeDhcpPacket(packet({ options: new Map([[53, bytes(2)]]) }));
  assert.equal(wire.length, 300);
  assert.deepEqual([...wire.subarray(240, 244)], [53, 1, 2, 255]);
  assert.ok(wire.subarray(244).every((b) => b === 0));
});
