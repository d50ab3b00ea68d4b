// Goal: the peer-to-peer package path end to end, at CI size: a real `peerboot server` in an HQ
// namespace enrolls agents and imports an 8 MiB package; 3 agent processes in a branch site behind
// a 20 Mbit/s, 40 ms WAN get it with one WAN fetcher, the package crossing the WAN once (≤ 1.02×
// in TCP payload), and every chunk and file verified; an agent killed with SIGKILL mid-download
// resumes from the chunks it had; a full disk is one clear error with the cache intact; a
// manifest with a bad signature is rejected and nothing is fetched for it.
// Method: bench/p2p's lab (namespaces we create and delete, tc tbf, our delay forwarder), agents
// as separate processes; WAN bytes from the site router's interface counters; a tiny tmpfs for
// the disk-full case. Needs root, ip, tc, gcc (scripts/install-deps.sh installs them).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupSync, compileDelayForwarder, removeStaleLabs, repoRoot } from '../../bench/p2p/p2p-lab.js';
import { setupLabWithServer, startAgents, type LabEnv } from '../../bench/p2p/p2p-scenario.js';
import { openFsChunkStore } from '../../src/agent/content/fs-chunk-store.js';
import type { WanPolicy } from '../../src/agent/wan/wan-shaper.js';

const PACKAGE_BYTES = 8 * 1024 * 1024 + 12_345;
const ADAPTIVE: WanPolicy = { capBytesPerSecond: null, adaptive: true };
const missing = ['ip', 'tc', 'gcc'].filter((cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0);
const skip = process.getuid?.() !== 0 ? 'needs root (network namespaces)' : missing.length > 0 ? `needs ${missing.join(', ')}` : false;

describe('P2P lab (CI size)', { skip }, () => {
  let env: LabEnv;
  const workDir = `/dev/shm/pbp2p-test-${process.pid}`;
  const chunkCount = Math.ceil(PACKAGE_BYTES / (1024 * 1024));
  const wan = () => {
    const c = env.lab.wanCounters(1);
    return { frames: c.rxBytes + c.txBytes, packets: c.rxPackets + c.txPackets };
  };
  const payloadSince = (before: { frames: number; packets: number }) => {
    const now = wan();
    return (now.frames - before.frames) - 66 * (now.packets - before.packets);
  };

  before(async () => {
    process.on('exit', cleanupSync);
    removeStaleLabs();
    const forwarder = compileDelayForwarder(join(repoRoot, '.cache', 'bench'));
    env = await setupLabWithServer({
      sites: 1, agentsPerSite: 5, wanMbit: 20, wanDelayMs: 20, wanQueueMs: 150, lanMbit: null, users: false,
      delayForwarderBin: forwarder, workDir, packageBytes: PACKAGE_BYTES,
    });
  });

  after(async () => {
    await env?.close();
    spawnSync('umount', [join(workDir, 'small-disk')]);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('3 agents: the package crosses the WAN once, one agent fetches it, every chunk and file verifies', async () => {
    const before = wan();
    const run = startAgents(env, env.lab.agents.slice(0, 3).map((agent) => ({ agent, wan: ADAPTIVE, fresh: true, assemble: true })));
    try {
      await run.allReady(90_000);
    } finally {
      await run.stop();
    }
    const payload = payloadSince(before);
    const frames = wan().frames - before.frames;
    assert.ok(payload <= 1.02 * PACKAGE_BYTES, `WAN payload ${payload} bytes for a ${PACKAGE_BYTES}-byte package (${(payload / PACKAGE_BYTES).toFixed(4)}×)`);
    assert.ok(payload >= PACKAGE_BYTES, 'the package did cross the WAN');
    assert.ok(frames <= 1.07 * PACKAGE_BYTES, `WAN frames ${(frames / PACKAGE_BYTES).toFixed(4)}× (framing at MTU 1500 is ~4.5 %)`);
    for (const r of run.records) {
      assert.deepEqual(r.verified && { ok: r.verified.chunksOk, bad: r.verified.chunksBad, files: r.verified.filesOk }, { ok: chunkCount, bad: 0, files: true }, r.key);
    }
    const fetchers = run.records.filter((r) => Number(r.stats?.bytesFromWan ?? 0) > 0);
    assert.equal(fetchers.length, 1, 'one WAN fetcher for the site');
    assert.equal(Number(fetchers[0]!.stats!.bytesFromWan), PACKAGE_BYTES, 'each chunk fetched over the WAN exactly once');
    for (const r of run.records.filter((x) => x !== fetchers[0])) assert.equal(Number(r.stats?.bytesFromPeers), PACKAGE_BYTES, `${r.key} copied everything from peers`);
  });

  it('an agent killed with SIGKILL mid-download resumes from the chunks it holds', async () => {
    const agent = env.lab.agents[3]!;
    const first = startAgents(env, [{ agent, wan: ADAPTIVE, fresh: true }], { progressEveryMs: 100 });
    const record = first.records[0]!;
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (Number(record.lastProgress?.held ?? 0) >= 3) { clearInterval(t); resolve(); }
        if (record.child.exitCode !== null || record.readyAtMs !== null) { clearInterval(t); reject(new Error(`agent finished or died before the kill: ${record.stderr()}`)); }
      }, 20);
    });
    record.child.kill('SIGKILL');
    await new Promise((r) => record.child.once('exit', r));
    const store = await openFsChunkStore(join(record.dataDir, 'chunk-cache'));
    const held = (await store.list()).length;
    assert.ok(held >= 3 && held < chunkCount, `${held} chunks survived the kill`);
    for (const c of await store.list()) assert.equal(await store.verify(c.sha256), 'ok', 'every surviving chunk is whole (atomic writes)');
    const again = startAgents(env, [{ agent, wan: ADAPTIVE, dataDir: record.dataDir }]);
    try {
      await again.allReady(60_000);
    } finally {
      await again.stop();
    }
    const r = again.records[0]!;
    assert.equal(Number(r.stats?.chunksFromWan), chunkCount - held, 'only the missing chunks were fetched after the restart');
    assert.deepEqual({ ok: r.verified?.chunksOk, bad: r.verified?.chunksBad }, { ok: chunkCount, bad: 0 });
  });

  it('a full disk is one clear error; the chunks already stored stay intact', async () => {
    const small = join(workDir, 'small-disk');
    mkdirSync(small, { recursive: true });
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', small], { encoding: 'utf8' });
    assert.equal(mount.status, 0, `mount tmpfs: ${mount.stderr}`);
    const agent = env.lab.agents[4]!;
    const run = startAgents(env, [{ agent, wan: ADAPTIVE, dataDir: join(small, 'agent') }], { progressEveryMs: 200 });
    const record = run.records[0]!;
    try {
      await new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const t = setInterval(() => {
          if (record.lastProgress?.diskFull === true) { clearInterval(t); resolve(); }
          if (Date.now() - started > 60_000 || record.child.exitCode !== null) { clearInterval(t); reject(new Error(`no disk-full report: ${record.stderr()}`)); }
        }, 50);
      });
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await run.stop();
    }
    assert.equal(record.readyAtMs, null, 'not ready: the package does not fit');
    const errors = record.stderr().split('\n').filter((l) => l.includes('PEERBOOT_ERR_CACHE_DISK_FULL'));
    assert.equal(errors.length, 1, 'reported once (rate-limited), not once per chunk');
    assert.match(errors[0]!, /out of disk space.*free space.*intact/);
    const store = await openFsChunkStore(join(small, 'agent', 'chunk-cache'));
    const held = await store.list();
    assert.ok(held.length >= 1, 'some chunks were stored before the disk filled');
    for (const c of held) assert.equal(await store.verify(c.sha256), 'ok');
    assert.deepEqual(readdirSync(join(small, 'agent', 'chunk-cache', 'tmp')), [], 'no partial files left');
  });

  it('a manifest with a bad signature is rejected and reported; nothing crosses the WAN for it', async () => {
    const tampered = JSON.parse(readFileSync(env.manifestPath, 'utf8'));
    tampered.manifest.id = 'not-signed-by-the-server';
    const path = join(workDir, 'tampered.json');
    writeFileSync(path, JSON.stringify(tampered));
    const before = wan();
    const agent = env.lab.agents[0]!;
    const run = startAgents(env, [{ agent, wan: ADAPTIVE, fresh: true }], { manifestPath: path });
    const record = run.records[0]!;
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const t = setInterval(() => {
        if (record.events.some((e) => e.event === 'rejected')) { clearInterval(t); resolve(); }
        if (Date.now() - started > 20_000) { clearInterval(t); reject(new Error(`no rejection: ${record.stderr()}`)); }
      }, 50);
    });
    await new Promise((r) => setTimeout(r, 3000));
    await run.stop();
    const rejected = record.events.find((e) => e.event === 'rejected')!.rejected as Array<{ packageId: string; reason: string }>;
    assert.deepEqual(rejected.map((x) => [x.packageId, x.reason]), [['not-signed-by-the-server', 'badSignature']]);
    assert.match(record.stderr(), /rejected: manifest signature refused/);
    assert.ok(payloadSince(before) < 64 * 1024, 'no package bytes crossed the WAN');
    assert.equal(Number(record.stats?.bytesFromWan), 0);
  });
});
