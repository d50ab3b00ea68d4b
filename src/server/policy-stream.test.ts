// Goal: policy push works over real sockets: a connected agent receives its signed policy at once
// and a new one within moments of Enable or of a change to its site's WAN settings; a reconnect
// with Last-Event-ID skips the held document; with PostgreSQL, a change made through one server
// reaches an agent streaming from another.
// Method: the app listening on 127.0.0.1:0, the contract's readPolicyStream as the agent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiClient } from '../contract/client.js';
import { readPolicyStream } from '../testkit/policy-stream.js';
import type { AgentPolicy } from '../contract/policy.js';
import { verifyPolicy } from '../platform/crypto/signed-documents.js';
import { Counters } from '../platform/counters.js';
import { memoryLogger, silentLogger } from '../platform/logger.js';
import { buildApp } from './app.js';
import { bootstrapInitialAdmin } from './services/admin-service.js';
import { postgresChangeBus } from './services/change-bus.js';
import { memoryChunkStore } from './services/content-store.js';
import { createServiceContext } from './server.js';
import { startPostgresTestCluster, type PostgresTestCluster } from '../testkit/postgres-test-cluster.js';
import { openStore, type Store } from './store/store.js';
import { forEachDatabase } from '../testkit/test-databases.js';
import type pg from 'pg';

interface Node { url: string; client: ApiClient; streams(): number; close(): Promise<void> }

async function startNode(store: Store, options: { postgresUrl?: string } = {}): Promise<Node & { adminPassword: string | null }> {
  const bus = options.postgresUrl ? await postgresChangeBus(options.postgresUrl, (store.db as unknown as { pool: pg.Pool }).pool, silentLogger) : undefined;
  const ctx = await createServiceContext(store, { logger: memoryLogger(), chunks: memoryChunkStore(), debounceMs: 5, counters: new Counters(), bus });
  const creds = await bootstrapInitialAdmin(ctx);
  const app = await buildApp(ctx, { version: 'test', streamPingMs: 200 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${addr.port}`;
  return {
    url, client: new ApiClient({ baseUrl: url }), adminPassword: creds?.password ?? null, streams: () => ctx.hub.streamCount,
    async close() { ctx.hub.stop(); await app.close(); await ctx.bus.close(); await store.close(); },
  };
}

async function login(node: Node, password: string) {
  node.client.token = (await node.client.call('login', { body: { username: 'admin', password } })).token;
}

async function enrollAgent(node: Node) {
  const tok = await node.client.call('createEnrollmentToken', { body: { name: 't' } });
  const agentClient = new ApiClient({ baseUrl: node.url });
  const enrolled = await agentClient.call('enroll', { body: { token: tok.token, hostname: 'branch-1', version: '0.1.0', interfaces: [{ name: 'eth0', mac: '52:54:00:00:00:01', addresses: ['10.7.0.9/24'] }] } });
  return enrolled;
}

/** Opens a stream and collects verified policies; `next()` waits for the following one. */
function follow(url: string, token: string, publicKey: string, lastEventId: string | null = null) {
  const received: Array<{ policy: AgentPolicy; etag: string | null }> = [];
  const waiters: Array<() => void> = [];
  const abort = new AbortController();
  let opened!: () => void;
  const open = new Promise<void>((r) => { opened = r; });
  const done = readPolicyStream({
    baseUrl: url, token, lastEventId, signal: abort.signal, onOpen: () => opened(),
    onPolicy(doc, etag) {
      const v = verifyPolicy(doc, publicKey);
      assert.ok(v.ok, `pushed policy verifies: ${JSON.stringify(v)}`);
      assert.equal(etag, v.etag, 'the SSE id is the etag');
      received.push({ policy: v.policy, etag });
      waiters.splice(0).forEach((w) => w());
    },
  }).catch((err: Error) => { if (err.name !== 'AbortError') throw err; });
  return {
    received, open, ended: done,
    async waitFor(count: number, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for policy #${count} (have ${received.length})`);
        await new Promise<void>((r) => { waiters.push(r); setTimeout(r, left).unref(); });
      }
      return received[count - 1]!;
    },
    async close() { abort.abort(); await done; },
  };
}

forEachDatabase((fx) => {
  test('stream: initial policy at once, new policy after Enable, reconnect skips the held one', async () => {
    const node = await startNode(await fx.openStore());
    try {
      await login(node, node.adminPassword!);
      const a = await enrollAgent(node);
      const s1 = follow(node.url, a.agentToken, a.policyPublicKey);
      const first = await s1.waitFor(1);
      assert.equal(first.policy.role, 'idle');
      const coll = await node.client.call('createCollection', { body: { name: 'branches', memberKind: 'agent', rules: [{ kind: 'namePattern', pattern: 'branch-*' }] } });
      const t0 = Date.now();
      await node.client.call('putPxeSettings', { body: { enabled: true, targetCollectionIds: [coll.id], unknownComputers: { enabled: false, profileId: null } } });
      const second = await s1.waitFor(2);
      assert.equal(second.policy.role, 'responder');
      assert.ok(Date.now() - t0 < 2000, `pushed in ${Date.now() - t0} ms`);
      // An edit that does not change this agent's document pushes nothing.
      await node.client.call('createSite', { body: { name: 'elsewhere', subnets: ['192.168.77.0/24'] } });
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(s1.received.length, 2);
      // A WAN change of the agent's own site is pushed at once, with a higher serial.
      await node.client.call('patchSite', { params: { id: a.siteId! }, body: { wan: { capBytesPerSecond: 1_250_000 } } });
      const wan = await s1.waitFor(3);
      assert.deepEqual(wan.policy.site.wan, { capBytesPerSecond: 1_250_000, adaptive: true });
      assert.ok(wan.policy.serial > second.policy.serial);
      await s1.close();

      const s2 = follow(node.url, a.agentToken, a.policyPublicKey, wan.etag);
      await s2.open;
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(s2.received.length, 0, 'holding the current etag: nothing re-sent');
      await node.client.call('putPxeSettings', { body: { enabled: false, targetCollectionIds: [coll.id], unknownComputers: { enabled: false, profileId: null } } });
      const third = await s2.waitFor(1);
      assert.equal(third.policy.roleReason, 'disabled');
      assert.ok(third.policy.serial > wan.policy.serial);
      await s2.close();

      const bad = await fetch(`${node.url}/api/v1/agent/policy/stream`, { headers: { authorization: 'Bearer pba.x.' + 'a'.repeat(43) } });
      assert.equal(bad.status, 401);

      // One credential holds at most two streams: a third closes the oldest (security review M1).
      const many = [];
      for (let i = 0; i < 2; i++) {
        many.push(follow(node.url, a.agentToken, a.policyPublicKey));
        await many[i]!.waitFor(1); // one after the other, so the first is the oldest
      }
      const third3 = follow(node.url, a.agentToken, a.policyPublicKey);
      await third3.waitFor(1);
      await Promise.race([many[0]!.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the oldest stream stayed open past the per-agent limit')), 3000))]);
      assert.equal(node.streams(), 2);
      for (const s of [many[1]!, third3]) await s.close();

      // Deleting the agent ends its open stream (its credential is revoked).
      const s3 = follow(node.url, a.agentToken, a.policyPublicKey);
      await s3.waitFor(1);
      await node.client.call('deleteAgent', { params: { id: a.agentId } });
      await Promise.race([s3.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('stream of a deleted agent stayed open')), 3000))]);
    } finally {
      await node.close();
    }
  });
});

describe('two servers on one PostgreSQL', () => {
  let cluster: PostgresTestCluster;
  before(async () => { cluster = await startPostgresTestCluster(); });
  after(async () => { await cluster.close(); });

  // Goal: scale-out: a change through server A reaches an agent streaming from server B (< 2 s).
  // Method: two full servers with LISTEN/NOTIFY buses on one database.
  test('a change made through one server reaches agents connected to the other', async () => {
    const url = await cluster.createDatabase();
    const a = await startNode(await openStore({ databaseUrl: url }), { postgresUrl: url });
    const b = await startNode(await openStore({ databaseUrl: url }), { postgresUrl: url });
    try {
      assert.ok(a.adminPassword && !b.adminPassword, 'one initial admin per database');
      await login(a, a.adminPassword!);
      await login(b, a.adminPassword!);
      const agent = await enrollAgent(b);
      const keyB = agent.policyPublicKey;
      const stream = follow(b.url, agent.agentToken, keyB);
      assert.equal((await stream.waitFor(1)).policy.role, 'idle');
      const coll = await a.client.call('createCollection', { body: { name: 'all', memberKind: 'agent', rules: [{ kind: 'subnet', cidr: '10.0.0.0/8' }] } });
      const t0 = Date.now();
      await a.client.call('putPxeSettings', { body: { enabled: true, targetCollectionIds: [coll.id], unknownComputers: { enabled: false, profileId: null } } });
      const pushed = await stream.waitFor(2, 2000);
      assert.equal(pushed.policy.role, 'responder');
      assert.ok(Date.now() - t0 < 2000);
      // Both servers sign with the database's one key.
      const viaA = await a.client.call('getAgentPolicy', { params: { id: agent.agentId } });
      assert.ok(verifyPolicy(viaA, keyB).ok);
      await stream.close();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
