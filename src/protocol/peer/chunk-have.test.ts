// Goal: the have message round-trips every field, puts the header fields at the documented
// offsets, refuses non-canonical bitmaps, and turns any damaged datagram into a reason without
// throwing. Method: a fixed message checked byte by byte; every truncation; 2,000 seeded random
// mutations; the size limit and the bitmap budget helper agree with the encoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHUNK_HAVE_MAX_BYTES, chunkHaveBitmapBudget, decodeChunkHave, encodeChunkHaveToSign, encodeSignedChunkHave, haveHoldsChunk,
  type ChunkHave,
} from './chunk-have.js';
import { encodeAgentCertificate } from './agent-certificate.js';
import { WireFormatError } from './wire-bytes.js';
import { seededRandom } from '../../testkit/seeded-random.js';

const certificate = encodeAgentCertificate({ agentId: 'agent-1', siteId: 'branch-7', publicKey: new Uint8Array(32).fill(7), notAfterMs: 1_900_000_000_000 }, new Uint8Array(64).fill(9));
const signature = Uint8Array.from({ length: 64 }, (_, i) => i);

const sample: ChunkHave = {
  agentId: 'agent-1',
  siteId: 'branch-7',
  chunkPort: 4017,
  intervalMs: 500,
  weight: 300,
  incarnation: '0123456789abcdef',
  seq: 0x01020304,
  timestampMs: 1_700_000_000_123,
  address: '10.77.1.12',
  packages: [
    { packageId: 'winpe-7', complete: false, wanFetcher: true, chunkCount: 19, firstChunk: 8, bitmap: Uint8Array.of(0b1010_0000, 0b0110_0000), wanInFlight: [12, 13] },
    { packageId: 'debian-12', complete: true, wanFetcher: false, chunkCount: 300, firstChunk: 0, bitmap: new Uint8Array(0), wanInFlight: [] },
  ],
};

const packetOf = (h: ChunkHave) => encodeSignedChunkHave(encodeChunkHaveToSign(h, certificate), signature);

test('a have message round-trips every field, the certificate and the signature', () => {
  const decoded = decodeChunkHave(packetOf(sample));
  assert.ok(decoded.ok, JSON.stringify(decoded));
  assert.deepEqual(decoded.packet.have, sample);
  assert.deepEqual(decoded.packet.certificate, certificate);
  assert.deepEqual(decoded.packet.signature, signature);
  assert.deepEqual(decoded.packet.signedBytes, encodeChunkHaveToSign(sample, certificate));
});

test('header fields sit at the documented offsets', () => {
  const b = packetOf(sample);
  assert.equal(Buffer.from(b.subarray(0, 4)).toString('latin1'), 'PBHV');
  assert.equal(b[4], 1);
  assert.equal((b[6]! << 8) | b[7]!, 4017);
  assert.equal((b[8]! << 8) | b[9]!, 500);
  assert.equal((b[10]! << 8) | b[11]!, 300);
  assert.equal(Buffer.from(b.subarray(12, 20)).toString('hex'), '0123456789abcdef');
  assert.equal(Buffer.from(b.subarray(20, 24)).toString('hex'), '01020304');
  assert.deepEqual([...b.subarray(32, 36)], [10, 77, 1, 12]);
  assert.equal(b[36], 'agent-1'.length);
});

test('haveHoldsChunk reads bitmap windows and complete packages', () => {
  const p = sample.packages[0]!;
  assert.deepEqual([...Array(19).keys()].filter((i) => haveHoldsChunk(p, i)), [8, 10, 17, 18]);
  assert.equal(haveHoldsChunk(sample.packages[1]!, 299), true);
  assert.equal(haveHoldsChunk(sample.packages[1]!, 300), false);
});

test('non-canonical bitmaps and bad indices are refused on both sides', () => {
  const bad = (pkg: Partial<ChunkHave['packages'][number]>) => ({ ...sample, packages: [{ ...sample.packages[0]!, ...pkg }] });
  const cases: Array<[string, ChunkHave]> = [
    ['bits past the end', bad({ bitmap: Uint8Array.of(0, 0b0111_0000) })],
    ['bitmap longer than the package', bad({ bitmap: Uint8Array.of(0, 0, 0) })],
    ['unaligned window', bad({ firstChunk: 3 })],
    ['WAN index outside', bad({ wanInFlight: [19] })],
    ['complete with a bitmap', bad({ complete: true })],
  ];
  for (const [name, h] of cases) {
    assert.throws(() => encodeChunkHaveToSign(h, certificate), WireFormatError, name);
  }
  // The decoder refuses the same when the bytes are forged: patch a valid packet's last bitmap byte.
  const b = packetOf(sample);
  const at = b.indexOf(0b0110_0000, 40);
  b[at] = 0b0111_0000;
  const d = decodeChunkHave(b);
  assert.equal(d.ok, false);
  assert.match((d as { reason: string }).reason, /bits set past/);
});

test('every truncation is a reason, never an exception', () => {
  const b = packetOf(sample);
  for (let n = 0; n < b.length; n++) {
    const d = decodeChunkHave(b.subarray(0, n));
    assert.equal(d.ok, false, `length ${n}`);
    assert.ok(['malformed', 'unsigned'].includes((d as { kind: string }).kind));
  }
  const extra = decodeChunkHave(Uint8Array.from([...b, 0]));
  assert.equal(extra.ok === false && extra.kind, 'malformed');
  const version = Uint8Array.from(b);
  version[4] = 2;
  assert.equal((decodeChunkHave(version) as { kind: string }).kind, 'unsupported-version');
});

test('2,000 random mutations decode or give a reason', () => {
  const random = seededRandom(2024);
  const b = packetOf(sample);
  for (let i = 0; i < 2000; i++) {
    const m = Uint8Array.from(b);
    const flips = 1 + Math.floor(random() * 4);
    for (let f = 0; f < flips; f++) m[Math.floor(random() * m.length)] = Math.floor(random() * 256);
    const d = decodeChunkHave(m);
    if (d.ok) assert.equal(d.packet.have.packages.length <= 8, true);
    else assert.equal(typeof d.reason, 'string');
  }
});

test('the bitmap budget helper fills a message exactly to the size limit', () => {
  const base = { ...sample, packages: [] };
  const entry = { packageId: 'big-package', wanInFlight: [1, 2] };
  const budget = chunkHaveBitmapBudget(base, [entry], certificate.length);
  const chunkCount = budget * 8 + 100;
  const fits: ChunkHave = { ...base, packages: [{ ...entry, complete: false, wanFetcher: false, chunkCount, firstChunk: 0, bitmap: new Uint8Array(budget).fill(0xff) }] };
  assert.equal(packetOf(fits).length, CHUNK_HAVE_MAX_BYTES);
  const tooBig: ChunkHave = { ...base, packages: [{ ...fits.packages[0]!, bitmap: new Uint8Array(budget + 1).fill(0xff) }] };
  assert.throws(() => encodeChunkHaveToSign(tooBig, certificate), /more than 1400/);
});
