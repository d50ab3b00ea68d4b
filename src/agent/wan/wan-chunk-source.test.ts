// Goal: the WAN chunk source fetches through the contract's agentChunk route with the agent's
// credential, classifies answers (404, wrong size), paces the body to the cap, and in adaptive
// mode sends delay probes while fetching, and while idle only a pair of probes each interval that
// teaches LEDBAT the empty-queue delay without touching the rate. Method: a small HTTP origin on 127.0.0.1 serving
// the real route paths, the real ApiClient, the system clock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { ApiClient } from '../../contract/client.js';
import { api } from '../../contract/api.js';
import { systemClock } from '../../platform/clock.js';
import { createWanChunkSource } from './wan-chunk-source.js';
import { WanShaper } from './wan-shaper.js';

const chunk = new Uint8Array(512 * 1024).map((_, i) => (i * 31) & 0xff);
const sha = createHash('sha256').update(chunk).digest('hex');
const chunkPrefix = api.agentChunk.path.replace(':sha256', '');

describe('WAN chunk source (loopback origin)', () => {
  let server: Server;
  let client: ApiClient;
  let healthCalls = 0;
  const auths: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === api.health.path) { healthCalls++; res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"status":"ok","version":"t"}'); return; }
      auths.push(String(req.headers.authorization));
      const name = req.url?.startsWith(chunkPrefix) ? req.url.slice(chunkPrefix.length) : '';
      if (name === sha) { res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': chunk.byteLength }); res.end(chunk); return; }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"code":"SERVER_ERR_NOT_FOUND","message":"chunk not stored"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = new ApiClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'agent-credential' });
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('fetches with the agent credential; 404 and wrong sizes are classified', async () => {
    const source = createWanChunkSource({ client, shaper: new WanShaper({ capBytesPerSecond: null, adaptive: false }, systemClock), clock: systemClock });
    const ok = await source.fetchChunk(sha, chunk.byteLength);
    assert.equal(ok.outcome, 'ok');
    assert.equal(auths.at(-1), 'Bearer agent-credential');
    assert.equal((await source.fetchChunk('0'.repeat(64), 10)).outcome, 'notFound');
    assert.equal((await source.fetchChunk(sha, 100)).outcome, 'badBytes');
    assert.equal(source.bytesReceived, chunk.byteLength);
    assert.equal(healthCalls, 0, 'no probes without the adaptive mode');
    source.close();
  });

  it('a cap paces the body; the adaptive mode probes the path while fetching', async () => {
    const shaper = new WanShaper({ capBytesPerSecond: 1024 * 1024, adaptive: true, targetDelayMs: 50 }, systemClock, { initialRateBytesPerSecond: 1024 * 1024 });
    const source = createWanChunkSource({ client, shaper, clock: systemClock, probeIntervalMs: 20 });
    const t0 = performance.now();
    const r = await source.fetchChunk(sha, chunk.byteLength);
    const ms = performance.now() - t0;
    assert.equal(r.outcome, 'ok');
    // 512 KiB at no more than 1 MiB/s (20 ms burst) cannot take less than ~480 ms.
    assert.ok(ms >= 450, `${ms.toFixed(0)} ms`);
    assert.ok(healthCalls > 0, 'delay probes were sent');
    assert.ok((shaper.reading()?.samples ?? 0) > 0);
    const probesAfter = healthCalls;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(healthCalls - probesAfter <= 1, 'probing stops when idle');
    source.close();
  });

  it('idle: probe pairs every interval feed the base delay only, and only in adaptive mode', async () => {
    const before = healthCalls;
    const plain = createWanChunkSource({ client, shaper: new WanShaper({ capBytesPerSecond: null, adaptive: false }, systemClock), clock: systemClock, idleProbeIntervalMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 120));
    plain.close();
    assert.equal(healthCalls, before, 'no idle probes without the adaptive mode');

    const shaper = new WanShaper({ capBytesPerSecond: null, adaptive: true }, systemClock, { initialRateBytesPerSecond: 300_000 });
    const rate = shaper.rateBytesPerSecond();
    const source = createWanChunkSource({ client, shaper, clock: systemClock, idleProbeIntervalMs: 40 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    source.close();
    const calls = healthCalls - before;
    assert.ok(calls >= 4 && calls % 2 === 0, `probe pairs sent while idle (${calls} requests)`);
    const history = shaper.baseHistory();
    assert.equal(history.length, 1, 'one minute of base-delay history');
    assert.ok(history[0]!.minMs >= 0 && history[0]!.minMs < 50, `loopback round trip recorded (${history[0]!.minMs} ms)`);
    assert.equal(shaper.rateBytesPerSecond(), rate, 'the rate is untouched by idle samples');
    assert.equal(shaper.reading()?.samples, 0, 'idle samples are not transfer samples');
    const settled = healthCalls;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(healthCalls, settled, 'closed: no more probes');
  });
});
