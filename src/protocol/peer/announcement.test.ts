// Goal: the announcement and agent-certificate codecs round-trip every field, put each field at the
// documented offset, and turn any damaged packet into a reason (malformed / unsigned / version) without throwing.
// Method: a fixed announcement is encoded and checked byte by byte at the header offsets; every
// truncation, bit flips and 2,000 seeded random mutations are decoded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANNOUNCEMENT_MAX_BYTES, MAX_READY_PACKAGES, decodeAnnouncement, encodeAnnouncementToSign, encodeSignedAnnouncement,
  type Announcement,
} from './announcement.js';
import { decodeAgentCertificate, encodeAgentCertificate, encodeAgentCertificateToSign } from './agent-certificate.js';
import { WireFormatError } from './wire-bytes.js';

const publicKey = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const serverSignature = Uint8Array.from({ length: 64 }, (_, i) => 200 - i);
const certificate = encodeAgentCertificate({ agentId: 'agent-1', siteId: 'branch-7', publicKey, notAfterMs: 1_900_000_000_000 }, serverSignature);
const signature = Uint8Array.from({ length: 64 }, (_, i) => i * 3);

const sample: Announcement = {
  agentId: 'agent-1',
  siteId: 'branch-7',
  subnet: '10.77.0.0/24',
  incarnation: '0123456789abcdef',
  seq: 0x01020304,
  timestampMs: 1_700_000_000_123,
  weight: 300,
  deviceClass: 'desktop',
  uptimeSeconds: 4242,
  role: 'active',
  term: 0x0a0b0c0d,
  activeForSeconds: 77,
  eligible: true,
  leaving: false,
  blind: false,
  following: false,
  listening: false,
  intervalMs: 500,
  readyPackages: ['win11-23h2', 'ubuntu-24.04'],
  heard: [{ agentId: 'agent-2', agoMs: 120 }],
};

function packetOf(a: Announcement): Uint8Array {
  return encodeSignedAnnouncement(encodeAnnouncementToSign(a, certificate), signature);
}

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

test('an announcement round-trips every field, the certificate and the signature', () => {
  const bytes = packetOf(sample);
  const decoded = decodeAnnouncement(bytes);
  assert.ok(decoded.ok, JSON.stringify(decoded));
  assert.deepEqual(decoded.packet.announcement, sample);
  assert.deepEqual(decoded.packet.certificate, certificate);
  assert.deepEqual(decoded.packet.signature, signature);
  assert.deepEqual(decoded.packet.signedBytes, bytes.slice(0, bytes.length - 64));
});

test('header fields sit at the offsets docs/election.md gives', () => {
  const b = packetOf({ ...sample, leaving: true, blind: true });
  assert.equal(String.fromCharCode(...b.slice(0, 4)), 'PBEA');
  assert.equal(b[4], 1, 'version');
  assert.equal(b[5], 0b111, 'flags: eligible + leaving + blind');
  assert.equal(b[6], 2, 'role active');
  assert.equal(b[7], 2, 'device class desktop');
  assert.deepEqual([...b.slice(8, 10)], [0x01, 0x2c], 'weight 300');
  assert.deepEqual([...b.slice(10, 12)], [0x01, 0xf4], 'intervalMs 500');
  assert.deepEqual([...b.slice(12, 16)], [1, 2, 3, 4], 'seq');
  assert.deepEqual([...b.slice(16, 24)], [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef], 'incarnation');
  const view = new DataView(b.buffer, b.byteOffset);
  assert.equal(Number(view.getBigUint64(24)), sample.timestampMs);
  assert.equal(view.getUint32(32), sample.term);
  assert.equal(view.getUint32(36), 77);
  assert.equal(packetOf({ ...sample, following: true })[5], 0b1001, 'flags: eligible + following');
  assert.equal(packetOf({ ...sample, listening: true, eligible: false })[5], 0b10000, 'flags: listening');
  assert.equal(view.getUint32(40), 4242);
  assert.deepEqual([...b.slice(44, 49)], [10, 77, 0, 0, 24], 'subnet');
  assert.equal(b[49], 'agent-1'.length);
});

test('every truncation is refused with a reason, never a throw; the envelope-less prefixes are "unsigned"', () => {
  const bytes = packetOf(sample);
  const kinds = new Set<string>();
  for (let length = 0; length < bytes.length; length++) {
    const decoded = decodeAnnouncement(bytes.slice(0, length));
    assert.equal(decoded.ok, false, `prefix of ${length} bytes accepted`);
    if (!decoded.ok) kinds.add(decoded.kind);
  }
  assert.deepEqual([...kinds].sort(), ['malformed', 'unsigned']);
  const bodyOnly = bytes.slice(0, bytes.length - 64 - 2 - certificate.length);
  const decoded = decodeAnnouncement(bodyOnly);
  assert.ok(!decoded.ok && decoded.kind === 'unsigned', JSON.stringify(decoded));
});

test('trailing bytes, other versions, bad magic, host bits and bad ids are refused', () => {
  const bytes = packetOf(sample);
  const trailing = decodeAnnouncement(Uint8Array.of(...bytes, 0));
  assert.ok(!trailing.ok && trailing.kind === 'malformed' && /trailing/.test(trailing.reason));
  const v2 = Uint8Array.from(bytes); v2[4] = 2;
  const version = decodeAnnouncement(v2);
  assert.ok(!version.ok && version.kind === 'unsupported-version');
  const magic = Uint8Array.from(bytes); magic[0] = 0;
  assert.ok(!decodeAnnouncement(magic).ok);
  const hostBits = Uint8Array.from(bytes); hostBits[47] = 5;
  const hb = decodeAnnouncement(hostBits);
  assert.ok(!hb.ok && /host bits/.test(hb.reason));
  const badId = Uint8Array.from(bytes); badId[50] = 0x20; // a space inside agentId
  const id = decodeAnnouncement(badId);
  assert.ok(!id.ok && /agentId/.test(id.reason), JSON.stringify(id));
  const role = Uint8Array.from(bytes); role[6] = 9;
  assert.ok(!decodeAnnouncement(role).ok);
  const noHeard = packetOf({ ...sample, heard: [] }); noHeard[5] = (noHeard[5] as number) | 0x08;
  const following = decodeAnnouncement(noHeard);
  assert.ok(!following.ok && /following/.test(following.reason));
});

test('seeded random mutations never throw and never yield out-of-range fields', () => {
  const bytes = packetOf(sample);
  const random = xorshift(0xfeed);
  let accepted = 0;
  for (let i = 0; i < 2000; i++) {
    const copy = Uint8Array.from(bytes);
    const flips = 1 + Math.floor(random() * 4);
    for (let f = 0; f < flips; f++) copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
    const length = random() < 0.2 ? Math.floor(random() * copy.length) : copy.length;
    const decoded = decodeAnnouncement(copy.slice(0, length));
    if (decoded.ok) {
      accepted++;
      const a = decoded.packet.announcement;
      assert.ok(a.readyPackages.length <= MAX_READY_PACKAGES && a.heard.length <= 4 && a.intervalMs > 0);
    }
  }
  // Most mutations land in fields any value of which is well-formed (they fail the signature later).
  assert.ok(accepted > 0 && accepted < 2000);
  for (let i = 0; i < 500; i++) {
    const junk = Uint8Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256));
    assert.equal(decodeAnnouncement(junk).ok, false);
  }
});

test('the encoder refuses out-of-range fields and packets over the size limit', () => {
  assert.throws(() => encodeAnnouncementToSign({ ...sample, weight: 70_000 }, certificate), WireFormatError);
  assert.throws(() => encodeAnnouncementToSign({ ...sample, subnet: '10.77.0.1/24' }, certificate), /host bits/);
  assert.throws(() => encodeAnnouncementToSign({ ...sample, agentId: 'has space' }, certificate), WireFormatError);
  assert.throws(() => encodeAnnouncementToSign({ ...sample, incarnation: 'xyz' }, certificate), WireFormatError);
  const many = Array.from({ length: MAX_READY_PACKAGES }, (_, i) => `p${i}-`.padEnd(64, 'x'));
  encodeAnnouncementToSign({ ...sample, readyPackages: many }, certificate); // 16 full-length ids fit
  const heard = Array.from({ length: 4 }, (_, i) => ({ agentId: `h${i}`.padEnd(64, 'y'), agoMs: 1 }));
  assert.throws(() => encodeAnnouncementToSign({ ...sample, readyPackages: many, heard }, certificate), new RegExp(`more than ${ANNOUNCEMENT_MAX_BYTES}`));
  assert.throws(() => encodeAnnouncementToSign({ ...sample, readyPackages: [...many, 'x'] }, certificate), /at most 16/);
});

test('an agent certificate round-trips; its signed bytes are the to-be-signed encoding; damage is refused', () => {
  const fields = { agentId: 'agent-1', siteId: 'branch-7', publicKey, notAfterMs: 1_900_000_000_000 };
  const decoded = decodeAgentCertificate(certificate);
  assert.ok(decoded.ok);
  assert.deepEqual(
    { agentId: decoded.certificate.agentId, siteId: decoded.certificate.siteId, publicKey: decoded.certificate.publicKey, notAfterMs: decoded.certificate.notAfterMs },
    fields,
  );
  assert.deepEqual(decoded.certificate.signedBytes, encodeAgentCertificateToSign(fields));
  assert.deepEqual(decoded.certificate.serverSignature, serverSignature);
  assert.equal(String.fromCharCode(...certificate.slice(0, 4)), 'PBAC');
  for (let length = 0; length < certificate.length; length++) assert.equal(decodeAgentCertificate(certificate.slice(0, length)).ok, false);
  assert.equal(decodeAgentCertificate(Uint8Array.of(...certificate, 1)).ok, false);
  assert.throws(() => encodeAgentCertificateToSign({ ...fields, publicKey: new Uint8Array(31) }), /32 bytes/);
});
