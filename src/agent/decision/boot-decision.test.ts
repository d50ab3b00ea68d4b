// Goal: the per-request decision follows the table in boot-decision.ts exactly — a known machine (by
// MAC, or by SMBIOS UUID from option 97) with a deployment gets its profile's file for its
// architecture; an unknown one only when unknown-computer support is on; everything else (no
// policy, disabled, not targeted, no deployment, no file for the arch, package not ready) gets
// silence with a reason. Method: hand-built policies (policy-fixture.ts) compiled into tables;
// decisions through BootDecider on a FakeClock, so decision times and timestamps are exact.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../testkit/fake-clock.js';
import { Counters } from '../../platform/counters.js';
import { memoryLogger } from '../../platform/logger.js';
import type { Clock } from '../../platform/clock.js';
import { compileDecisionTable, decideBoot, type BootClient } from './boot-decision.js';
import { BootDecider } from './boot-decider.js';
import { MACHINE_BY_MAC, MACHINE_BY_UUID, responderPolicy } from './policy-fixture.js';

const allReady = () => true;
const bios = (mac: string, extra: Partial<BootClient> = {}): BootClient => ({ mac, archClass: 'bios', isIpxe: false, ...extra });

function deciderFor(policy = responderPolicy(), ready: (id: string) => boolean = allReady, clock: Clock = new FakeClock(1000)) {
  const decider = new BootDecider({ clock, counters: new Counters() });
  decider.setTable(compileDecisionTable(policy, 'etag-1', ready));
  return decider;
}

describe('boot decision table', () => {
  test('known MAC with a deployment gets its profile, the NBP for its architecture', () => {
    const clock = new FakeClock(5000);
    const d = deciderFor(responderPolicy(), allReady, clock).decide(bios('52:54:00:77:00:01'));
    assert.equal(d.kind, 'boot');
    if (d.kind !== 'boot') return;
    assert.equal(d.bootFile, 'p/pkg-linux/undionly.kpxe');
    assert.equal(d.ipxeScript, undefined, 'a firmware (non-iPXE) client gets no script');
    assert.equal(d.machineId, MACHINE_BY_MAC.id);
    assert.equal(d.matchedBy, 'mac');
    assert.equal(d.profileName, 'debian');
    assert.equal(d.decidedAtMs, 5000);
    assert.equal(d.decisionMs, 0, 'the fake clock does not move during a decision');
    assert.equal(d.policySerial, 7);
  });

  test('x64 UEFI and UEFI HTTP Boot get the UEFI file; iPXE also gets the generated script', () => {
    const decider = deciderFor();
    const uefi = decider.decide(bios('52:54:00:77:00:01', { archClass: 'uefi-x64' }));
    assert.equal(uefi.kind === 'boot' && uefi.bootFile, 'p/pkg-linux/ipxe.efi');
    const http = decider.decide(bios('52:54:00:77:00:01', { archClass: 'http-x64' }));
    assert.equal(http.kind === 'boot' && http.bootFile, 'p/pkg-linux/ipxe.efi');
    const ipxe = decider.decide(bios('52:54:00:77:00:01', { isIpxe: true }));
    assert.equal(ipxe.kind === 'boot' && ipxe.ipxeScript, 's/prof-linux.ipxe');
  });

  test('known by SMBIOS UUID (option 97) when the MAC is not known; the UUID is compared case-insensitively', () => {
    const d = deciderFor().decide(bios('52:54:00:99:99:99', { uuid: MACHINE_BY_UUID.smbiosUuid!.toUpperCase() }));
    assert.equal(d.kind, 'boot');
    assert.equal(d.kind === 'boot' && d.matchedBy, 'uuid');
    assert.equal(d.kind === 'boot' && d.machineId, MACHINE_BY_UUID.id);
  });

  test('the MAC wins over the UUID when both name known machines', () => {
    const d = deciderFor().decide(bios(MACHINE_BY_MAC.mac!, { uuid: MACHINE_BY_UUID.smbiosUuid! }));
    assert.equal(d.kind === 'boot' && d.machineId, MACHINE_BY_MAC.id);
  });

  test('a known machine without a deployment gets silence, even with unknown-computer support on', () => {
    const policy = responderPolicy({}, { unknownComputers: { enabled: true, profileId: 'prof-unknown' } });
    const d = deciderFor(policy).decide(bios('52:54:00:77:00:03'));
    assert.equal(d.kind, 'silence');
    assert.equal(d.kind === 'silence' && d.code, 'noDeployment');
    assert.match(d.kind === 'silence' ? d.reason : '', /bench-3.*no deployment/);
  });

  test('unknown computer: silence when support is off, the unknown profile when it is on', () => {
    const off = deciderFor().decide(bios('52:54:00:aa:bb:cc'));
    assert.equal(off.kind === 'silence' && off.code, 'unknownNotAllowed');
    assert.match(off.kind === 'silence' ? off.reason : '', /unknown computer .*52:54:00:aa:bb:cc.*support is off/);

    const on = deciderFor(responderPolicy({}, { unknownComputers: { enabled: true, profileId: 'prof-unknown' } })).decide(bios('52:54:00:aa:bb:cc'));
    assert.equal(on.kind, 'boot');
    if (on.kind !== 'boot') return;
    assert.equal(on.matchedBy, 'unknown');
    assert.equal(on.machineId, null);
    assert.equal(on.bootFile, 'p/pkg-toolkit/undionly.kpxe');
  });

  test('a disabled policy silences everyone, known machines included', () => {
    const d = deciderFor(responderPolicy({}, { enabled: false })).decide(bios(MACHINE_BY_MAC.mac!));
    assert.deepEqual(d.kind === 'silence' && d.code, 'disabled');
  });

  test('an agent the policy does not target (role idle) silences everyone and says why', () => {
    const d = deciderFor(responderPolicy({ role: 'idle', roleReason: 'notTargeted' })).decide(bios(MACHINE_BY_MAC.mac!));
    assert.equal(d.kind === 'silence' && d.code, 'notTargeted');
    assert.match(d.kind === 'silence' ? d.reason : '', /not a responder \(notTargeted\)/);
  });

  test('no policy at all: silence', () => {
    const decider = new BootDecider({ clock: new FakeClock() });
    const d = decider.decide(bios(MACHINE_BY_MAC.mac!));
    assert.equal(d.kind === 'silence' && d.code, 'noPolicy');
    assert.equal(d.policySerial, null);
  });

  test('no boot file for the architecture: ARM64 UEFI against a profile without one is silenced', () => {
    const d = deciderFor().decide(bios(MACHINE_BY_MAC.mac!, { archClass: 'uefi-arm64' }));
    assert.equal(d.kind === 'silence' && d.code, 'noFileForArch');
    assert.match(d.kind === 'silence' ? d.reason : '', /no boot file for uefi-arm64/);
    // …but an iPXE client of that architecture still gets the script.
    const ipxe = deciderFor().decide(bios(MACHINE_BY_MAC.mac!, { archClass: 'uefi-arm64', isIpxe: true }));
    assert.equal(ipxe.kind === 'boot' && ipxe.ipxeScript, 's/prof-linux.ipxe');
    assert.equal(ipxe.kind === 'boot' && ipxe.bootFile, undefined);
  });

  test('a profile whose package is not complete on this agent is never offered', () => {
    const d = deciderFor(responderPolicy(), (id) => id !== 'pkg-linux').decide(bios(MACHINE_BY_MAC.mac!));
    assert.equal(d.kind === 'silence' && d.code, 'packageNotReady');
  });

  test('a profile without a package, or missing from the policy, is silenced with the reason', () => {
    const policy = responderPolicy();
    const noPkg = responderPolicy({ profiles: policy.profiles.map((p) => ({ ...p, packageId: null })) });
    assert.equal(decideBoot(compileDecisionTable(noPkg, null, allReady), bios(MACHINE_BY_MAC.mac!)).kind === 'silence', true);
    const missing = responderPolicy({ profiles: [] });
    const d = decideBoot(compileDecisionTable(missing, null, allReady), bios(MACHINE_BY_MAC.mac!));
    assert.equal(d.kind === 'silence' && d.code, 'profileMissing');
  });

  test('outcomes are counted; a slow decision (on the injected clock) is logged', () => {
    const counters = new Counters();
    const logger = memoryLogger();
    // A clock that moves 7 ms between the two reads of one decision.
    let now = 0;
    const steppingClock: Clock = { nowMs: () => (now += 7), setTimer: () => ({ cancel() {} }) };
    const decider = new BootDecider({ clock: steppingClock, counters, logger, slowDecisionMs: 5 });
    decider.setTable(compileDecisionTable(responderPolicy(), null, allReady));
    const d = decider.decide(bios('52:54:00:aa:bb:cc'));
    assert.equal(d.decisionMs, 7);
    assert.equal(counters.get('decision_silence_total', { reason: 'unknownNotAllowed' }), 1);
    assert.equal(counters.get('decision_slow_total'), 1);
    assert.equal(logger.lines.filter((l) => l.msg === 'slow boot decision').length, 1);
    decider.decide(bios(MACHINE_BY_MAC.mac!));
    assert.equal(counters.get('decision_boot_total'), 1);
  });
});
