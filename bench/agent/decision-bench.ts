/**
 * Benchmark of the per-request boot decision (decided from the cached policy in ≤ 5 ms: a small part
 * of the second a proxy has to answer in before iPXE stops waiting for proxy offers). Builds a large site policy (10,000 known machines, half by MAC, half by SMBIOS UUID,
 * 50 profiles), compiles it once, then decides 200,000 requests of every kind (known by MAC, by
 * UUID, unknown, no deployment) and reports the compile time and per-decision percentiles.
 * Exits 1 when the 99.9th percentile exceeds 5 ms. The maximum is printed too, with the load
 * average: on a shared, loaded machine single samples include the OS descheduling the process
 * (and GC pauses), which are not the decision's cost but are reported honestly.
 *
 *   node --import tsx bench/agent/decision-bench.ts
 */
import { cpus, loadavg } from 'node:os';
import { compileDecisionTable, decideBoot, type BootClient } from '../../src/agent/decision/boot-decision.js';
import { responderPolicy, LINUX_PROFILE } from '../../src/agent/decision/policy-fixture.js';
import type { PolicyMachine, PolicyProfile } from '../../src/contract/policy.js';

const MACHINES = 10_000;
const PROFILES = 50;
const DECISIONS = 200_000;
const LIMIT_MS = 5;

const hex2 = (n: number) => (n & 0xff).toString(16).padStart(2, '0');
const macOf = (i: number) => `52:54:00:${hex2(i >> 16)}:${hex2(i >> 8)}:${hex2(i)}`;
const uuidOf = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

const profiles: PolicyProfile[] = Array.from({ length: PROFILES }, (_, i) => ({ ...LINUX_PROFILE, id: `prof-${i}`, name: `p${i}`, packageId: `pkg-${i}` }));
const machines: PolicyMachine[] = Array.from({ length: MACHINES }, (_, i) => ({
  id: `m-${i}`, name: `pc-${i}`,
  mac: i % 2 === 0 ? macOf(i) : null,
  smbiosUuid: i % 2 === 1 ? uuidOf(i) : null,
  profileId: i % 10 === 9 ? null : `prof-${i % PROFILES}`,
  deploymentId: i % 10 === 9 ? null : `d-${i % PROFILES}`,
  intent: i % 10 === 9 ? null : 'required',
}));
const policy = responderPolicy({ profiles, machines }, { unknownComputers: { enabled: true, profileId: 'prof-0' } });

const compileStart = performance.now();
const table = compileDecisionTable(policy, 'bench', () => true);
const compileMs = performance.now() - compileStart;

const clients: BootClient[] = Array.from({ length: 1000 }, (_, k) => {
  const i = (k * 7919) % (MACHINES + 2000); // some beyond MACHINES: unknown computers
  return i % 2 === 0
    ? { mac: macOf(i), archClass: k % 3 === 0 ? 'uefi-x64' : 'bios', isIpxe: k % 4 === 0 }
    : { mac: macOf(i + 1_000_000), uuid: uuidOf(i), archClass: 'uefi-x64', isIpxe: false };
});

// Warm-up: let the JIT compile the decision path before measuring (a cold first call is not a request's cost).
for (let n = 0; n < 20_000; n++) decideBoot(table, clients[n % clients.length]!);

const samples = new Float64Array(DECISIONS);
let booted = 0;
for (let n = 0; n < DECISIONS; n++) {
  const t0 = performance.now();
  const d = decideBoot(table, clients[n % clients.length]!);
  samples[n] = performance.now() - t0;
  if (d.kind === 'boot') booted++;
}
const sorted = Array.from(samples).sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const maxMs = sorted[sorted.length - 1]!;
console.log(`boot decision: ${MACHINES} machines, ${PROFILES} profiles; compile ${compileMs.toFixed(1)} ms`);
console.log(`${DECISIONS} decisions (${booted} boot): p50 ${(pct(0.5) * 1000).toFixed(2)} µs, p99 ${(pct(0.99) * 1000).toFixed(2)} µs, p99.99 ${(pct(0.9999) * 1000).toFixed(2)} µs, max ${maxMs.toFixed(3)} ms (goal ≤ ${LIMIT_MS} ms)`);
const over = sorted.filter((ms) => ms > LIMIT_MS).length;
console.log(`decisions over ${LIMIT_MS} ms: ${over} of ${DECISIONS}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} CPUs`);
if (pct(0.999) > LIMIT_MS) {
  console.log(`FAIL: p99.9 ${pct(0.999).toFixed(3)} ms > ${LIMIT_MS} ms`);
  process.exit(1);
}
console.log('PASS');
