// Goal: SimulatedLan is a faithful, reproducible stand-in for a LAN: the same seed gives the same
// deliveries; broadcasts reach the domain (sender included) and never another domain; loss,
// duplication and delay follow their settings; partitions, heal and crash act at delivery time;
// adversary injections take no random draws, so they cannot change what honest traffic does.
// Method: sockets exchanging numbered packets under a FakeClock; delivery logs compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedLan } from './simulated-lan.js';

const PORT = 9;
const BCAST = { address: '255.255.255.255', port: PORT };

function run(seed: number, inject: boolean) {
  const lan = new SimulatedLan({ seed, lossRatio: 0.2, duplicateRatio: 0.1, reorderRatio: 0.2, minDelayMs: 1, maxDelayMs: 20 });
  const log: string[] = [];
  const sockets = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((a) => lan.socket('d', a, PORT));
  for (const s of sockets) s.onMessage((bytes, from) => log.push(`${lan.clock.nowMs().toFixed(3)} ${from.address}->${s.address} #${bytes[0]}`));
  for (let i = 0; i < 200; i++) {
    sockets[i % 3]!.send(Uint8Array.of(i % 256), BCAST);
    if (inject) lan.inject('d', { address: '10.0.0.66', port: PORT }, BCAST, Uint8Array.of(255));
    lan.runForMs(7);
  }
  lan.runForMs(500);
  return { lan, log: log.filter((l) => !l.includes('10.0.0.66')) };
}

test('same seed, same run; another seed, another run', () => {
  assert.deepEqual(run(7, false).log, run(7, false).log);
  assert.notDeepEqual(run(7, false).log, run(8, false).log);
});

test('adversary injections do not change honest deliveries', () => {
  assert.deepEqual(run(11, true).log, run(11, false).log);
});

test('loss, duplication and delay follow the settings; the sender hears its own broadcast at once', () => {
  const { lan, log } = run(3, false);
  const toOthers = 200 * 2;
  assert.ok(lan.stats.lost > toOthers * 0.12 && lan.stats.lost < toOthers * 0.28, `lost ${lan.stats.lost}`);
  assert.ok(lan.stats.duplicated > 0);
  const selfEchoes = log.filter((l) => { const m = / (\S+)->(\S+) /.exec(l)!; return m[1] === m[2]; });
  assert.equal(selfEchoes.length, 200);
});

test('domains are separate; partitions and crashes drop at delivery; heal restores', () => {
  const lan = new SimulatedLan({ seed: 1 });
  const got: string[] = [];
  const a = lan.socket('x', '10.0.0.1', PORT);
  const b = lan.socket('x', '10.0.0.2', PORT);
  const other = lan.socket('y', '10.0.0.3', PORT);
  for (const s of [a, b, other]) s.onMessage((bytes) => got.push(`${s.address}:${bytes[0]}`));
  a.send(Uint8Array.of(1), BCAST);
  lan.runForMs(10);
  assert.deepEqual(got.sort(), ['10.0.0.1:1', '10.0.0.2:1']);
  got.length = 0;
  a.send(Uint8Array.of(2), BCAST);
  lan.partition(['10.0.0.1'], ['10.0.0.2']); // in flight: lost
  lan.runForMs(10);
  assert.deepEqual(got, ['10.0.0.1:2']);
  lan.heal();
  got.length = 0;
  a.send(Uint8Array.of(3), { address: '10.0.0.2', port: PORT });
  lan.runForMs(10);
  assert.deepEqual(got, ['10.0.0.2:3'], 'unicast reaches only its target');
  lan.crash('10.0.0.2');
  got.length = 0;
  a.send(Uint8Array.of(4), BCAST);
  b.send(Uint8Array.of(5), BCAST);
  lan.runForMs(10);
  assert.deepEqual(got, ['10.0.0.1:4']);
  assert.equal(lan.lastSentAtMs('10.0.0.1'), lan.clock.nowMs() - 10);
  assert.throws(() => lan.socket('x', '10.0.0.1', PORT), /already bound/);
});
