// Goal: the active points a URL-fetching client (iPXE with HTTP, UEFI HTTP Boot) at the least-
// loaded peer that holds the profile's package, keeps it when it is itself least loaded (ties
// included), and never moves TFTP-only clients. LoadBook forgets assignments after its window.
// Method: literal candidates and decisions; LoadBook with explicit times.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BootDecision } from './boot-decision.js';
import { LoadBook, spreadBoot, type ServingCandidate, type SpreadClient } from './load-spreading.js';

const decision: Extract<BootDecision, { kind: 'boot' }> = {
  kind: 'boot', bootFile: 'p/pkg/ipxe.efi', ipxeScript: 's/prof.ipxe', profileId: 'prof', profileName: 'debian', packageId: 'pkg', machineId: null, matchedBy: 'unknown',
};
const ipxe: SpreadClient = { archClass: 'bios', isIpxe: true, ipxeHttp: true, isHttpBoot: false };
const cand = (agentId: string, load: number, isSelf = false, ready = ['pkg']): ServingCandidate => ({ agentId, address: `10.0.0.${agentId.length + load}`, isSelf, readyPackages: ready, load });

test('an iPXE client goes to the least-loaded ready peer by script URL', () => {
  const r = spreadBoot(decision, ipxe, [cand('self', 3, true), cand('b', 1), cand('c', 0, false, ['other'])], 8469);
  assert.equal(r.kind, 'peer');
  if (r.kind !== 'peer') return;
  assert.equal(r.agentId, 'b', 'c does not hold the package');
  assert.equal(r.ipxeScript, `http://${r.address}:8469/s/prof.ipxe`);
  assert.equal(r.bootFile, undefined);
});

test('UEFI HTTP Boot moves by NBP URL', () => {
  const r = spreadBoot(decision, { archClass: 'http-x64', isIpxe: false, ipxeHttp: false, isHttpBoot: true }, [cand('self', 2, true), cand('b', 0)], 8469);
  assert.equal(r.kind === 'peer' && r.bootFile, `http://${r.kind === 'peer' ? r.address : ''}:8469/p/pkg/ipxe.efi`);
});

test('stays with us when we are least loaded or tied; never moves TFTP-only clients or without HTTP', () => {
  assert.equal(spreadBoot(decision, ipxe, [cand('self', 1, true), cand('b', 1)], 8469).kind, 'self');
  assert.equal(spreadBoot(decision, ipxe, [cand('self', 0, true), cand('b', 2)], 8469).kind, 'self');
  assert.equal(spreadBoot(decision, { ...ipxe, ipxeHttp: false }, [cand('self', 9, true), cand('b', 0)], 8469).kind, 'self');
  assert.equal(spreadBoot(decision, { archClass: 'uefi-x64', isIpxe: false, ipxeHttp: false, isHttpBoot: false }, [cand('self', 9, true), cand('b', 0)], 8469).kind, 'self');
  assert.equal(spreadBoot(decision, ipxe, [cand('self', 9, true), cand('b', 0)], null).kind, 'self');
});

test('LoadBook counts assignments inside its window only', () => {
  const book = new LoadBook(1000);
  book.record('a', 0);
  book.record('a', 500);
  book.record('b', 600);
  assert.equal(book.count('a', 900), 2);
  assert.equal(book.count('a', 1200), 1);
  assert.equal(book.count('a', 2000), 0);
  assert.equal(book.count('b', 1500), 1);
});
