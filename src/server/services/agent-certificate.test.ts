// Goal: a certificate the server issues is one the agents' election accepts (right agent, site,
// key and expiry, signed by the policy key), and a malformed agent key is refused naming the field.
// Method: issue with a fresh signing key; decode with the protocol codec and verify the signature
// with node:crypto against the policy public key, as peers do.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { test } from 'node:test';
import { ServerError } from '../../contract/errors.js';
import { generateSigningKey } from '../../platform/crypto/document-signature.js';
import { decodeAgentCertificate } from '../../protocol/peer/agent-certificate.js';
import { agentCertificateLifetimeMs, issueAgentCertificate } from './agent-certificate.js';

test('issued certificate names the agent, site and key, and verifies with the policy key', () => {
  const server = generateSigningKey();
  const agentKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x as string;
  const b64 = issueAgentCertificate(server, 'agent-1', 'site-9', agentKey, 1_000_000, 'body.agentPublicKey');
  const decoded = decodeAgentCertificate(new Uint8Array(Buffer.from(b64, 'base64url')));
  assert.equal(decoded.ok, true);
  if (!decoded.ok) return;
  const c = decoded.certificate;
  assert.equal(c.agentId, 'agent-1');
  assert.equal(c.siteId, 'site-9');
  assert.equal(Buffer.from(c.publicKey).toString('base64url'), agentKey);
  assert.equal(c.notAfterMs, 1_000_000 + agentCertificateLifetimeMs);
  const policyKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: server.publicKey }, format: 'jwk' });
  assert.equal(verify(null, c.signedBytes, policyKey, c.serverSignature), true);
  const other = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: generateSigningKey().publicKey }, format: 'jwk' });
  assert.equal(verify(null, c.signedBytes, other, c.serverSignature), false);
});

test('a key that is not 32 raw bytes in base64url is refused with the field named', () => {
  const server = generateSigningKey();
  for (const bad of ['', 'abc', 'A'.repeat(44), '!'.repeat(43)]) {
    assert.throws(() => issueAgentCertificate(server, 'a', 's', bad, 0, 'body.agentPublicKey'),
      (e: unknown) => e instanceof ServerError && e.code === 'SERVER_ERR_VALIDATION' && e.field === 'body.agentPublicKey');
  }
});

// Goal: the API hands the certificate out where agents get it (enrollment, every status report),
// refuses a malformed key naming the field, and raises an alert for a rogue-responder event.
// Method: the app over in-memory SQLite through inject().
test('enrollment and status reports carry a certificate for the presented key; rogue events raise an alert', async () => {
  const { startTestApp } = await import('../../testkit/test-app.js');
  const { openStore } = await import('../store/store.js');
  const t = await startTestApp(await openStore({ databaseUrl: 'sqlite::memory:' }));
  try {
    const agentKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x as string;
    const tok = (await t.call('POST', '/api/v1/enrollment-tokens', { name: 'lab' })).json.token as string;
    const iface = { name: 'eth0', mac: '52:54:00:00:00:21', addresses: ['10.21.0.5/24'] };
    const enrolled = await t.call('POST', '/api/v1/agent/enroll', { token: tok, hostname: 'pc', version: '0.1.0', interfaces: [iface], agentPublicKey: agentKey }, null);
    assert.equal(enrolled.status, 201, enrolled.body);
    const cert = decodeAgentCertificate(new Uint8Array(Buffer.from(enrolled.json.agentCertificate, 'base64url')));
    assert.equal(cert.ok && cert.certificate.agentId, enrolled.json.agentId);
    assert.equal(cert.ok && cert.certificate.siteId, enrolled.json.siteId);

    const status = await t.call('POST', '/api/v1/agent/status', { hostname: 'pc', version: '0.1.0', interfaces: [iface], agentPublicKey: agentKey }, enrolled.json.agentToken);
    assert.equal(status.status, 200, status.body);
    assert.equal(typeof status.json.agentCertificate, 'string');
    const without = await t.call('POST', '/api/v1/agent/status', { hostname: 'pc', version: '0.1.0', interfaces: [iface] }, enrolled.json.agentToken);
    assert.equal(without.json.agentCertificate, undefined, 'no key, no certificate');
    const bad = await t.call('POST', '/api/v1/agent/status', { hostname: 'pc', version: '0.1.0', interfaces: [iface], agentPublicKey: 'x' }, enrolled.json.agentToken);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.field, 'body.agentPublicKey');

    const ev = await t.call('POST', '/api/v1/agent/events', { events: [
      { at: new Date().toISOString(), kind: 'rogueResponder', reason: 'proxyDHCP 10.21.0.9 offers PXEClient' },
      { at: new Date().toISOString(), kind: 'dhcpOffer', mac: '52:54:00:00:00:99' },
    ] }, enrolled.json.agentToken);
    assert.equal(ev.status, 200, ev.body);
    assert.equal(t.ctx.counters.get('alerts_raised_total', { kind: 'rogueResponder' }), 1);
    assert.equal(t.ctx.counters.get('alerts_raised_total', { kind: 'dhcpOffer' }), 0);
    assert.ok(t.logger.lines.some((l) => l.level === 'warn' && /ALERT/.test(l.msg) && /10\.21\.0\.9/.test(String(l.reason))));
    const listed = await t.call('GET', '/api/v1/events?kind=rogueResponder');
    assert.equal(listed.json.length, 1, 'the alert is in the event timeline');
  } finally {
    await t.close();
  }
});
