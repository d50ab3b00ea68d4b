// Goal: the firmware lab itself is safe and leaves nothing behind (docs/lab-notes.md, "Lab safety:
// own namespaces, private addresses, stop by PID"): machines on the lab switch reach each other,
// nothing routes outside 10.77.0.0/24, teardown stops every process it started and deletes every
// namespace — also when the process that built the lab was SIGKILLed.
// Method: build a real lab (no VM): start the DHCP-only server, ping it from the peer namespace,
// inspect routes and forwarding, tear down and look for leftovers; then build a lab in a child
// process, SIGKILL it, and check the next Lab.create removes the orphan.
// Needs root and the lab packages; without them it FAILS when CI is set and is skipped otherwise.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../../src/lab/boot-root.js';
import { labNamespaces } from '../../src/lab/lab-network.js';
import { Lab } from '../../src/lab/lab.js';
import { missingLabPrerequisites } from '../../src/lab/preflight.js';

const problems = missingLabPrerequisites({ needKernel: false });
const blocked = problems.length > 0 ? `firmware lab unavailable: ${problems.join('; ')}` : null;
const skip = blocked !== null && !process.env.CI ? blocked : false;

function inNs(ns: string, argv: string[]): { status: number | null; stdout: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout ?? '' };
}

/** Running (a zombie waiting for a reaper that is not us counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs = 3000): Promise<boolean> {
  const deadline = performance.now() + withinMs;
  while (alive(pid)) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe('firmware lab plumbing', { skip }, () => {
  test('machines on the switch talk to each other, nothing routes or forwards, teardown leaves nothing', async () => {
    if (blocked) throw new Error(blocked);
    const lab = await Lab.create({ workDir: mkdtempSync(join(tmpdir(), 'peerboot-labtest-')) });
    let dhcpPid = 0;
    try {
      const dhcp = await lab.startDhcpServer();
      dhcpPid = dhcp.pid;
      const peer = lab.peer(1);
      // Inside the lab: the peer reaches the DHCP server through the bridge.
      assert.equal(inNs(peer.netns, ['ping', '-c', '1', '-W', '2', lab.plan.dhcpServerIp]).status, 0, 'peer → DHCP server ping');
      // No default route anywhere, only the lab subnet; no forwarding.
      for (const ns of lab.plan.namespaces) {
        const routes = inNs(ns, ['ip', '-4', 'route', 'show']).stdout.trim();
        assert.doesNotMatch(routes, /default/, `${ns} has no default route`);
        for (const line of routes.split('\n').filter((l) => l.length > 0)) assert.match(line, /^10\.77\.0\.0\/24 /, `${ns}: ${line}`);
        assert.equal(inNs(ns, ['cat', '/proc/sys/net/ipv4/ip_forward']).stdout.trim(), '0', `${ns} does not forward`);
      }
      // A machine outside the lab's range is unreachable from inside.
      assert.notEqual(inNs(peer.netns, ['ping', '-c', '1', '-W', '1', '10.78.0.1']).status, 0);
      assert.deepEqual(labNamespaces(lab.plan.prefix).sort(), [...lab.plan.namespaces].sort());
    } finally {
      await lab.teardown();
    }
    assert.deepEqual(labNamespaces(lab.plan.prefix), [], 'namespaces deleted');
    assert.ok(await gone(dhcpPid), 'dnsmasq stopped');
  });

  test('a lab whose builder was SIGKILLed is removed by the next Lab.create', { timeout: 60_000 }, async () => {
    if (blocked) throw new Error(blocked);
    const script = `
      import { Lab } from ${JSON.stringify(join(repoRoot(), 'src', 'lab', 'lab.ts'))};
      const lab = await Lab.create({ workDir: ${JSON.stringify(mkdtempSync(join(tmpdir(), 'peerboot-orphan-')))} });
      await lab.startDhcpServer();
      console.log('READY ' + lab.plan.prefix);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'inherit'] });
    const prefix = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /READY (\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`child exited ${code} before its lab was ready`)));
    });
    const orphanPids = spawnSync('ip', ['netns', 'pids', `${prefix}-dhcp`], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean).map(Number);
    assert.ok(orphanPids.length > 0, 'the orphan lab runs dnsmasq');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(labNamespaces(prefix).length > 0, 'SIGKILL left the lab behind (no hook can run)');

    const lab = await Lab.create({ workDir: mkdtempSync(join(tmpdir(), 'peerboot-labtest-')) });
    await lab.teardown();
    assert.deepEqual(labNamespaces(prefix), [], 'the orphan namespaces were removed');
    for (const pid of orphanPids) assert.ok(await gone(pid), `orphan process ${pid} stopped`);
    assert.equal(existsSync(`/run/netns/${prefix}-br`), false);
  });
});
