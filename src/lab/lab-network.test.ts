// Goal: the lab's plumbing stays inside its own namespaces and private ranges (docs/lab-notes.md,
// "Lab safety: own namespaces, private addresses, stop by PID"):
// every command targets a lab namespace, veth pairs are born inside them, nothing routes or forwards.
// Method: inspect the planned commands (no namespaces are created here).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labPrefix, planLabNetwork } from './lab-network.js';

test('names carry the unique prefix; addresses are private', () => {
  const plan = planLabNetwork(labPrefix(4242, '0'), 2);
  assert.equal(plan.prefix, 'pb4242x0');
  assert.deepEqual(plan.namespaces, ['pb4242x0-br', 'pb4242x0-dhcp', 'pb4242x0-peer1', 'pb4242x0-peer2']);
  assert.deepEqual(plan.peers.map((p) => p.ip), ['10.77.0.11', '10.77.0.12']);
  assert.equal(plan.dhcpServerIp, '10.77.0.2');
  assert.equal(plan.ipv6Prefix, 'fd77::');
});

test('every command acts inside a lab namespace; no routes, no forwarding', () => {
  const plan = planLabNetwork('pbtest', 1);
  for (const argv of plan.commands) {
    const text = argv.join(' ');
    if (argv[1] === 'netns') {
      assert.match(text, /^ip netns add pbtest-/);
    } else if (argv[1] === '-n') {
      assert.ok(plan.namespaces.includes(argv[2] ?? ''), text);
    } else {
      // veth creation: both ends placed in lab namespaces at birth
      assert.match(text, /^ip link add eth0 netns pbtest-\S+ type veth peer name \S+ netns pbtest-br$/);
    }
    assert.doesNotMatch(text, /route|forward(?!_delay)|sysctl/);
    for (const addr of text.match(/\d+\.\d+\.\d+\.\d+/g) ?? []) assert.match(addr, /^10\.77\.0\./);
  }
});

test('bad prefixes and peer counts are refused', () => {
  assert.throws(() => planLabNetwork('Bad-Prefix'));
  assert.throws(() => planLabNetwork('pbok', 0));
  assert.throws(() => planLabNetwork('pbok', 10));
});
