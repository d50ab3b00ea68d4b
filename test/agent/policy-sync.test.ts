// Goal: the agent's policy sync (src/agent/policy/policy-sync.ts) against the real control plane:
// it fetches and caches a signed policy, receives a change by push (SSE) within a second, starts
// from a broken cache by saying why, moving it aside and fetching a fresh one, refuses a tampered
// document, and keeps its policy when the server goes away.
// Method: an in-process `startServer` on 127.0.0.1 (SQLite in a temp dir), an enrolled agent
// identity, PolicySync with the system clock and short intervals; the cache file is corrupted or
// tampered with between runs; memoryLogger captures what the agent says.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiClient } from '../../src/contract/client.js';
import type { SignedPolicy } from '../../src/contract/policy.js';
import { verifyPolicy } from '../../src/platform/crypto/signed-documents.js';
import { PolicySync, type HeldPolicy } from '../../src/agent/policy/policy-sync.js';
import { systemClock } from '../../src/platform/clock.js';
import { Counters } from '../../src/platform/counters.js';
import { memoryLogger, silentLogger } from '../../src/platform/logger.js';
import { defaultServerConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { adminClient, enableSubnet, enrollmentToken } from '../../src/lab/control-plane-setup.js';

let dir: string;
let server: RunningServer;
let admin: ApiClient;
let agent: { id: string; token: string; publicKey: string };

async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startSync(cachePath: string, url = server.url) {
  const logger = memoryLogger();
  const counters = new Counters();
  const seen: HeldPolicy[] = [];
  const sync = new PolicySync({
    client: new ApiClient({ baseUrl: url, token: agent.token }), publicKey: agent.publicKey, cachePath, clock: systemClock,
    logger, counters, onPolicy: (h) => seen.push(h), pollIntervalMs: 60_000, pollIntervalStreamDownMs: 200, streamRetryMs: [100, 400],
  });
  sync.start();
  return { sync, logger, counters, seen };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peerboot-policy-sync-'));
  server = await startServer({ ...defaultServerConfig(), dataDir: join(dir, 'server'), host: '127.0.0.1', port: 0 }, silentLogger);
  admin = await adminClient(server.url, server.initialAdmin!);
  const token = await enrollmentToken(admin);
  const enrolled = await new ApiClient({ baseUrl: server.url }).call('enroll', {
    body: { token, hostname: 'agent-1', version: '0.1.0', interfaces: [{ name: 'eth0', mac: '52:54:00:12:34:56', addresses: ['10.9.0.11/24'] }] },
  });
  agent = { id: enrolled.agentId, token: enrolled.agentToken, publicKey: enrolled.policyPublicKey };
});

after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('fetches, caches (verifiable on disk) and receives a pushed change within a second', async () => {
  const cachePath = join(dir, 'a', 'policy.json');
  const { sync, seen } = startSync(cachePath);
  try {
    const first = await waitFor('the first policy', () => seen[0]);
    assert.equal(first.policy.role, 'idle');
    assert.equal(first.policy.settings.enabled, false);
    const onDisk = JSON.parse(readFileSync(cachePath, 'utf8')) as SignedPolicy;
    assert.equal(verifyPolicy(onDisk, agent.publicKey).ok, true, 'the cache holds the signed document');
    await waitFor('the stream', () => sync.streamUp);
    const t0 = Date.now();
    await enableSubnet(admin, '10.9.0.0/24');
    const pushed = await waitFor('the pushed policy', () => seen.find((h) => h.policy.role === 'responder'), 3000);
    assert.equal(pushed.source, 'stream', 'the change came by push, not by the (60 s) poll');
    assert.ok(Date.now() - t0 < 1000, `push took ${Date.now() - t0} ms`);
    assert.equal(sync.held?.policy.settings.enabled, true);
  } finally {
    sync.stop();
  }
});

test('a broken cache: the agent starts, says why, moves it aside and re-fetches', async () => {
  const cachePath = join(dir, 'b', 'policy.json');
  const { sync: s0, seen: seen0 } = startSync(cachePath);
  await waitFor('a policy', () => seen0[0]);
  s0.stop();
  writeFileSync(cachePath, '{"policy": {"schemaVersion": 1, "serial": 3'); // torn write
  const { sync, logger, counters, seen } = startSync(cachePath);
  try {
    const warn = logger.lines.find((l) => l.level === 'warn' && /cached policy unusable/.test(l.msg));
    assert.ok(warn, 'the agent says the cache is unusable');
    assert.match(warn.msg, /not JSON/);
    assert.equal(counters.get('policy_cache_broken_total'), 1);
    assert.ok(existsSync(`${cachePath}.broken`), 'the broken file is kept for diagnosis');
    const fresh = await waitFor('a fresh policy', () => seen[0]);
    assert.notEqual(fresh.source, 'cache');
    assert.equal(verifyPolicy(JSON.parse(readFileSync(cachePath, 'utf8')), agent.publicKey).ok, true, 'the cache is good again');
  } finally {
    sync.stop();
  }
});

test('a cache whose signature does not verify is refused the same way (tampered role)', async () => {
  const cachePath = join(dir, 'c', 'policy.json');
  const { sync: s0, seen: seen0 } = startSync(cachePath);
  await waitFor('a policy', () => seen0[0]);
  s0.stop();
  const doc = JSON.parse(readFileSync(cachePath, 'utf8')) as SignedPolicy;
  doc.policy.machines.push({ id: 'evil', name: 'evil', mac: '52:54:00:66:66:66', smbiosUuid: null, profileId: null, deploymentId: null, intent: null });
  writeFileSync(cachePath, JSON.stringify(doc));
  const { sync, logger, seen } = startSync(cachePath);
  try {
    assert.ok(logger.lines.some((l) => l.level === 'warn' && /cached policy unusable \(badSignature\)/.test(l.msg)), JSON.stringify(logger.lines.slice(0, 3)));
    const fresh = await waitFor('a fresh policy', () => seen[0]);
    assert.equal(fresh.policy.machines.some((m) => m.id === 'evil'), false);
  } finally {
    sync.stop();
  }
});

test('server unreachable: the cached policy is used, the outage is logged once, not per retry', async () => {
  const cachePath = join(dir, 'd', 'policy.json');
  const { sync: s0, seen: seen0 } = startSync(cachePath);
  await waitFor('a policy', () => seen0[0]);
  s0.stop();
  // A port nothing listens on (the server's own port + 1 is not guaranteed free; use a closed one).
  const { sync, logger, seen } = startSync(cachePath, 'http://127.0.0.1:9');
  try {
    assert.equal(seen[0]?.source, 'cache');
    await new Promise((r) => setTimeout(r, 1200)); // several poll and stream retries
    const warns = logger.lines.filter((l) => l.level === 'warn' && /server unreachable/.test(l.msg));
    assert.ok(warns.length >= 1 && warns.length <= 2, `${warns.length} warnings (one per failing path: poll, stream)`);
    assert.equal(sync.held?.source, 'cache');
  } finally {
    sync.stop();
  }
});
