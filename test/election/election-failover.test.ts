// Goal: on real UDP broadcast between real processes, killing the active agent (SIGKILL: no goodbye)
// makes the standby active within 3 s of the last announcement it heard from the dead one; the
// killed agent, restarted, does not take the role back; a graceful stop (SIGTERM) hands over at once.
// Method: three network namespaces (unique `pbel<pid>-…` names) plugged into a bridge that lives in a
// fourth namespace, 10.78.0.0/24 only, nothing in the root namespace; one election process per
// namespace (test/election/election-node-child.ts) with the default timers and the real clock.
// Four kill rounds; failover times (from the last message heard and from the kill) are printed
// with median and worst. Namespaces and processes are removed afterwards, also on failure.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { issueAgentCertificate } from '../../src/agent/peers/peer-crypto.js';
import { rawPublicKey } from '../../src/platform/crypto/ed25519-keys.js';

const PREFIX = `pbel${process.pid}`;
const BRIDGE_NS = `${PREFIX}-br`;
const AGENTS = [
  { agentId: 'node-1', weight: 400, deviceClass: 'server' as const },
  { agentId: 'node-2', weight: 300, deviceClass: 'desktop' as const },
  { agentId: 'node-3', weight: 200, deviceClass: 'laptop' as const },
];
const ROUNDS = 4;
const LIMIT_MS = 3000;

const isRoot = process.getuid?.() === 0;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const nsOf = (i: number) => `${PREFIX}-n${i + 1}`;

function createNetwork(): void {
  ip('netns', 'add', BRIDGE_NS);
  ip('-n', BRIDGE_NS, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', BRIDGE_NS, 'link', 'set', 'br0', 'up');
  AGENTS.forEach((_, i) => {
    const ns = nsOf(i);
    ip('netns', 'add', ns);
    // Both veth ends are created inside our namespaces: the root namespace is never touched.
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `port${i + 1}`, 'netns', BRIDGE_NS);
    ip('-n', BRIDGE_NS, 'link', 'set', `port${i + 1}`, 'master', 'br0');
    ip('-n', BRIDGE_NS, 'link', 'set', `port${i + 1}`, 'up');
    ip('-n', ns, 'addr', 'add', `10.78.0.${11 + i}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  });
}

function removeNetwork(): void {
  for (const ns of [BRIDGE_NS, ...AGENTS.map((_, i) => nsOf(i))]) {
    try { ip('netns', 'del', ns); } catch { /* not created */ }
  }
}

interface RoleEvent {
  event: string; agentId: string; wallMs: number; role?: string; peers?: Array<{ agentId: string; lastHeardAgoMs: number }>;
  listening?: boolean; active?: string | null; standby?: string | null; alivePeers?: number;
}

const children = new Map<string, ChildProcess>();
const events: RoleEvent[] = [];
const current = new Map<string, string>();
const latestView = new Map<string, RoleEvent>();
let dir = '';

function startAgent(i: number): void {
  const spec = AGENTS[i]!;
  const child = spawn('ip', ['netns', 'exec', nsOf(i), process.execPath, '--import', 'tsx', 'test/election/election-node-child.ts', join(dir, `${spec.agentId}.json`)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(spec.agentId, child);
  current.set(spec.agentId, 'idle');
  latestView.delete(spec.agentId);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as RoleEvent;
    if (e.event === 'view') {
      if (children.get(spec.agentId) === child) latestView.set(spec.agentId, e);
      return;
    }
    events.push(e);
    if (e.event === 'role' && children.get(spec.agentId) === child) current.set(spec.agentId, e.role!);
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${spec.agentId}] ${d.toString()}`));
}

async function stopAgent(agentId: string, signal: NodeJS.Signals): Promise<void> {
  const child = children.get(agentId);
  if (!child) return;
  children.delete(agentId);
  current.delete(agentId);
  latestView.delete(agentId);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; roles ${JSON.stringify([...current])}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const holders = (role: string) => [...current].filter(([, r]) => r === role).map(([id]) => id);
// A pair counts as stable only when every agent has finished listening, hears both others, and
// all three name the same active and standby in views reported within the last 400 ms; and that
// has held for 1 s. A slow starter still listening would otherwise take the standby role from the
// one the test is about to watch, and the "wrong" agent would take over.
let agreedSince = 0;
let agreedPair = '';
const stablePair = () => {
  const a = holders('active');
  const s = holders('standby');
  const now = Date.now();
  const views = [...latestView.values()];
  const agreed = a.length === 1 && s.length === 1 && current.size === AGENTS.length && views.length === AGENTS.length
    && views.every((v) => !v.listening && v.alivePeers === AGENTS.length - 1 && v.active === a[0] && v.standby === s[0] && now - v.wallMs < 400);
  const key = agreed ? `${a[0]}/${s[0]}` : '';
  if (key !== agreedPair) { agreedPair = key; agreedSince = now; }
  return agreed && now - agreedSince >= 1000 ? { active: a[0]!, standby: s[0]! } : null;
};

after(async () => {
  for (const id of [...children.keys()]) await stopAgent(id, 'SIGKILL');
  removeNetwork();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('real UDP broadcast, three processes: kill the active, the standby takes over within 3 s; no flap on return', { skip: isRoot ? false : 'needs root for network namespaces' }, async () => {
  removeNetwork();
  createNetwork();
  dir = mkdtempSync(join(tmpdir(), 'peerboot-election-'));
  const server = generateKeyPairSync('ed25519');
  const serverPublicKey = server.publicKey.export({ format: 'jwk' }).x as string;
  for (const spec of AGENTS) {
    const agent = generateKeyPairSync('ed25519');
    const certificate = issueAgentCertificate({ agentId: spec.agentId, siteId: 'lab-site', publicKey: rawPublicKey(agent.publicKey), notAfterMs: Date.now() + 3_600_000 }, server.privateKey);
    writeFileSync(join(dir, `${spec.agentId}.json`), JSON.stringify({
      ...spec, privateKeyPem: agent.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), certificateBase64: Buffer.from(certificate).toString('base64'),
      serverPublicKey, interfaceName: 'eth0', port: 4015,
    }));
  }
  AGENTS.forEach((_, i) => startAgent(i));
  const first = await waitFor('the first election', stablePair);
  assert.equal(first.active, 'node-1', 'the best-ranked agent wins the first election');

  const fromLastMessage: number[] = [];
  const fromKill: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const pair = await waitFor(`a stable pair before round ${round + 1}`, stablePair);
    const seen = events.length;
    const killedAt = Date.now();
    await stopAgent(pair.active, 'SIGKILL');
    const takeover = await waitFor(`${pair.standby} taking over`, () => events.slice(seen).find((e) => e.event === 'role' && e.role === 'active'), 10_000);
    assert.equal(takeover.agentId, pair.standby, 'the standby is the one that takes over');
    const silentMs = takeover.peers!.find((p) => p.agentId === pair.active)!.lastHeardAgoMs;
    fromLastMessage.push(silentMs);
    fromKill.push(takeover.wallMs - killedAt);
    assert.ok(silentMs <= LIMIT_MS, `round ${round + 1}: ${silentMs} ms from the last message to the takeover`);
    // The killed agent returns and must not take the role back.
    const returnSeen = events.length;
    startAgent(AGENTS.findIndex((s) => s.agentId === pair.active));
    await waitFor(`${pair.active} back in a role`, () => events.slice(returnSeen).find((e) => e.agentId === pair.active && e.event === 'role' && e.role !== 'idle'), 20_000).catch(() => null);
    await new Promise((r) => setTimeout(r, 1500));
    const grabs = events.slice(returnSeen).filter((e) => e.event === 'role' && e.role === 'active');
    assert.deepEqual(grabs, [], `round ${round + 1}: nobody took the role from ${pair.standby} after ${pair.active} returned`);
    assert.equal(current.get(pair.standby), 'active');
  }

  // Graceful stop: the leaving announcement hands over without waiting for the death timeout.
  const pair = await waitFor('a stable pair before the graceful stop', stablePair);
  const seen = events.length;
  const stoppedAt = Date.now();
  await stopAgent(pair.active, 'SIGTERM');
  const handover = await waitFor('graceful handover', () => events.slice(seen).find((e) => e.event === 'role' && e.role === 'active'), 5000);
  const gracefulMs = handover.wallMs - stoppedAt;

  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)];
  console.log(`election failover over real UDP (${ROUNDS} kills): from last message heard median ${median(fromLastMessage)} ms, worst ${Math.max(...fromLastMessage)} ms; `
    + `from SIGKILL median ${median(fromKill)} ms, worst ${Math.max(...fromKill)} ms; graceful stop → handover ${gracefulMs} ms`);
  assert.ok(Math.max(...fromKill) <= LIMIT_MS, `every takeover within ${LIMIT_MS} ms of the kill: ${fromKill}`);
  assert.ok(gracefulMs < 1000, `graceful handover took ${gracefulMs} ms`);
});
