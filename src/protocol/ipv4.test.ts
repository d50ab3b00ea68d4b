// Goal: the one IPv4 module parses only well-formed dotted quads and prefixes, normalises networks,
// answers membership for addresses and prefixes, computes the directed broadcast (RFC 919/922, none
// on /31 and /32, RFC 3021), and moves addresses to and from network-order bytes.
// Method: table cases, including every malformed form the server's rules and the codecs must refuse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  directedBroadcast, formatIpv4, ipv4FromBytes, ipv4TextFromBytes, ipv4TextToBytes, ipv4ToBytes, maskOf,
  networkOf, parseCidr, parseIpv4, parsePrefix, prefixContains,
} from './ipv4.js';

test('dotted quads: parse and format round-trip; malformed text is null', () => {
  for (const [text, n] of [['0.0.0.0', 0], ['10.1.2.3', 0x0a010203], ['255.255.255.255', 0xffffffff], ['192.168.0.10', 0xc0a8000a]] as const) {
    assert.equal(parseIpv4(text), n, text);
    assert.equal(formatIpv4(n), text);
  }
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '010.1.2.3', '1.2.3.256', '1..2.3', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.-4', 'a.b.c.d', '1.2.3.4/8']) {
    assert.equal(parseIpv4(bad), null, bad);
  }
});

test('bytes: network order both ways; text helpers refuse what is not an address', () => {
  assert.deepEqual(ipv4ToBytes(0x0a4d0011), Uint8Array.of(10, 77, 0, 17));
  assert.equal(ipv4FromBytes(Uint8Array.of(0, 0, 192, 168, 1, 200), 2), 0xc0a801c8);
  assert.equal(ipv4TextFromBytes(Uint8Array.of(255, 255, 255, 255)), '255.255.255.255');
  assert.deepEqual(ipv4TextToBytes('10.77.0.2'), Uint8Array.of(10, 77, 0, 2));
  assert.throws(() => ipv4TextToBytes('10.77.0'), (e: unknown) => e instanceof RangeError && /not an IPv4 address: "10\.77\.0"/.test(e.message));
});

test('prefixes: parse (host bits kept or cleared), normalise the network, refuse malformed ones', () => {
  assert.equal(maskOf(0), 0);
  assert.equal(maskOf(24), 0xffffff00);
  assert.equal(maskOf(32), 0xffffffff);
  assert.deepEqual(parseCidr('10.1.2.17/24'), { address: 0x0a010211, length: 24 });
  assert.deepEqual(parsePrefix('10.1.2.17/24'), { network: 0x0a010200, length: 24 });
  assert.equal(networkOf('10.1.2.17/24'), '10.1.2.0/24');
  assert.equal(networkOf('10.1.2.17/0'), '0.0.0.0/0');
  assert.equal(networkOf('10.77.0.17/32'), '10.77.0.17/32');
  assert.equal(networkOf('172.20.5.9/12'), '172.16.0.0/12');
  assert.equal(networkOf('10.1.2/24'), null);
  for (const bad of ['010.1.2.3/24', '10.1.2.256/24', '10.1.2.3/33', '10.1.2.3', '10..2.3/8', '1.2.3.4.5/8', ' 1.2.3.4/8', '1.2.3.4/', '1.2.3.4/024']) {
    assert.equal(networkOf(bad), null, bad);
    assert.equal(parseCidr(bad), null, bad);
  }
});

test('membership: addresses and narrower prefixes inside, wider prefixes and malformed text not', () => {
  assert.ok(prefixContains('10.1.0.0/16', '10.1.2.0/24'), 'a narrower prefix inside');
  assert.ok(!prefixContains('10.1.2.0/24', '10.1.0.0/16'), 'a wider prefix is not inside');
  assert.ok(prefixContains('10.0.0.0/8', '10.200.1.1'));
  assert.ok(!prefixContains('10.0.0.0/16', '10.1.0.0'));
  assert.ok(prefixContains('10.77.0.0/24', '10.77.0.200'));
  assert.ok(!prefixContains('10.77.0.0/24', '10.77.1.2'));
  assert.ok(prefixContains('0.0.0.0/0', '1.2.3.4'));
  assert.ok(!prefixContains('10.0.0.0/8', 'not-an-address'));
  assert.ok(!prefixContains('10.0.0/8', '10.0.0.1'));
});

test('directed broadcast of a subnet; none on point-to-point links', () => {
  assert.equal(directedBroadcast('10.77.0.0/24'), '10.77.0.255');
  assert.equal(directedBroadcast('10.77.0.17/24'), '10.77.0.255');
  assert.equal(directedBroadcast('172.16.0.0/12'), '172.31.255.255');
  assert.equal(directedBroadcast('192.168.1.4/30'), '192.168.1.7');
  assert.equal(directedBroadcast('192.168.1.4/31'), '255.255.255.255', 'point-to-point: no broadcast address (RFC 3021)');
  assert.equal(directedBroadcast('10.0.0.1/32'), '255.255.255.255');
  assert.equal(directedBroadcast('0.0.0.0/0'), '255.255.255.255');
  assert.throws(() => directedBroadcast('10.77.0.0'), RangeError);
});
