// Goal: no input makes the DHCP codec fail in any way other than MalformedDhcpPacketError, and every
// valid packet survives encode -> decode unchanged (including RFC 3396 splitting of long options).
// Method: a seeded PRNG (mulberry32; the seed is in the test name, FUZZ_SEED=n replays one) builds
// random packets and random, truncated and bit-flipped byte strings, thousands per run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeDhcpPacket } from '../../testkit/describe-dhcp.js';
import { decodeDhcpPacket, encodeDhcpPacket, MalformedDhcpPacketError, MAGIC_COOKIE, type DhcpPacket } from './packet.js';
import { decodeIpxeOptions, decodePxeVendorOptions, decodeUserClass } from './pxe.js';
import { seededRandom as mulberry32 } from '../../testkit/seeded-random.js';


const seeds = process.env.FUZZ_SEED ? [Number(process.env.FUZZ_SEED)] : [1, 2, 3, 0xdecaf];

function randomPacket(rand: () => number): DhcpPacket {
  const int = (n: number) => Math.floor(rand() * n);
  const ip = () => `${int(256)}.${int(256)}.${int(256)}.${int(256)}`;
  const str = (max: number) => Array.from({ length: int(max + 1) }, () => String.fromCharCode(1 + int(255))).join('');
  const options = new Map<number, Uint8Array>();
  const count = int(12);
  for (let i = 0; i < count; i++) {
    let code = 1 + int(254);
    if (code === 52) code = 53;
    const len = rand() < 0.1 ? 256 + int(400) : int(40);
    options.set(code, Uint8Array.from({ length: len }, () => int(256)));
  }
  return {
    op: int(256), htype: int(256), hlen: int(17), hops: int(256), xid: int(2 ** 32), secs: int(65536), flags: int(65536),
    clientAddr: ip(), yourAddr: ip(), serverAddr: ip(), gatewayAddr: ip(),
    clientHardwareAddr: Uint8Array.from({ length: 16 }, () => int(256)),
    serverName: str(64), bootFile: str(128), options,
  };
}

/** Runs `fn`; anything thrown must be a MalformedDhcpPacketError. Returns true when it decoded. */
function decodesOrRejects(bytes: Uint8Array, fn: (b: Uint8Array) => unknown): boolean {
  try {
    fn(bytes);
    return true;
  } catch (err) {
    if (err instanceof MalformedDhcpPacketError) return false;
    assert.fail(`unexpected ${String(err)} for ${Buffer.from(bytes).toString('hex')}`);
  }
}

for (const seed of seeds) {
  test(`random valid packets round-trip exactly (seed ${seed})`, () => {
    const rand = mulberry32(seed);
    for (let i = 0; i < 500; i++) {
      const p = randomPacket(rand);
      const wire = encodeDhcpPacket(p);
      assert.ok(wire.length >= 300);
      assert.deepEqual(decodeDhcpPacket(wire), p);
    }
  });

  test(`random, truncated and mutated bytes decode or throw MalformedDhcpPacketError only (seed ${seed})`, () => {
    const rand = mulberry32(seed);
    const int = (n: number) => Math.floor(rand() * n);
    let decoded = 0;
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      let bytes: Uint8Array;
      const kind = i % 3;
      if (kind === 0) {
        // Pure noise, half of it with a valid cookie so the options walker gets exercised.
        bytes = Uint8Array.from({ length: int(700) }, () => int(256));
        if (bytes.length >= 240 && rand() < 0.5) new DataView(bytes.buffer).setUint32(236, MAGIC_COOKIE);
      } else {
        // A valid packet, sometimes with an overload option injected, then truncated and bit-flipped.
        const p = randomPacket(rand);
        if (rand() < 0.3) p.options = new Map([[53, Uint8Array.of(1)], ...p.options]);
        bytes = encodeDhcpPacket(p);
        if (rand() < 0.3) { bytes[240] = 52; bytes[241] = 1; bytes[242] = 1 + int(3); }
        if (kind === 1) bytes = bytes.subarray(0, int(bytes.length + 1));
        const flips = int(6);
        for (let f = 0; f < flips && bytes.length > 0; f++) bytes[int(bytes.length)] = int(256);
      }
      const ok = decodesOrRejects(bytes, (b) => {
        const p = decodeDhcpPacket(b);
        // A decoded packet must re-encode (never-overload) and describe without throwing.
        const again = decodeDhcpPacket(encodeDhcpPacket(p));
        assert.deepEqual(again, p);
        describeDhcpPacket(p);
        return p;
      });
      if (ok) decoded++; else rejected++;
    }
    // The generator must exercise both outcomes, or the property says nothing.
    assert.ok(decoded > 100, `only ${decoded} decoded`);
    assert.ok(rejected > 100, `only ${rejected} rejected`);
  });

  test(`option-value decoders (43, 77, 175) never throw anything but MalformedDhcpPacketError (seed ${seed})`, () => {
    const rand = mulberry32(seed ^ 0x5a5a);
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
      decodesOrRejects(bytes, decodePxeVendorOptions);
      decodesOrRejects(bytes, decodeIpxeOptions);
      decodesOrRejects(bytes, decodeUserClass);
    }
  });
}
