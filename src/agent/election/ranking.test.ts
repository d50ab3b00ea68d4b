// Goal: the ranking is the documented total order — eligibility (weight > 0, required packages),
// weight then agent id, incumbency before rank, competing claims by (informed, term, rank) — and
// gives every agent the same answer for the same view, whatever order the view lists agents in.
// Method: table cases plus all permutations of a mixed view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_WEIGHT_BY_DEVICE_CLASS, compareActiveClaims, judgeEligibility, pickRoles, resolveWeight, type RankedNode } from './ranking.js';

const node = (agentId: string, weight: number, extra: Partial<RankedNode> = {}): RankedNode => ({ agentId, weight, eligible: true, role: 'idle', term: 0, blind: false, ...extra });

test('device-class defaults: server > desktop > laptop > wireless; configured weights override; bad weights are refused', () => {
  const w = DEFAULT_WEIGHT_BY_DEVICE_CLASS;
  assert.ok(w.server > w.desktop && w.desktop > w.laptop && w.laptop > w.wireless && w.wireless > 0);
  assert.equal(resolveWeight('laptop'), w.laptop);
  assert.equal(resolveWeight('laptop', 0), 0);
  assert.equal(resolveWeight('wireless', 999), 999);
  assert.throws(() => resolveWeight('server', -1), /0\.\.65535/);
  assert.throws(() => resolveWeight('server', 1.5), /integer/);
});

test('eligibility: weight 0 never serves; missing required packages are named', () => {
  assert.deepEqual(judgeEligibility({ weight: 0, readyPackages: ['a'] }, ['a']), { eligible: false, reason: 'weight-zero' });
  assert.deepEqual(judgeEligibility({ weight: 5, readyPackages: ['a'] }, ['a', 'b', 'c']), { eligible: false, reason: 'missing-packages', missing: ['b', 'c'] });
  assert.deepEqual(judgeEligibility({ weight: 5, readyPackages: ['b', 'a'] }, ['a', 'b']), { eligible: true });
  assert.deepEqual(judgeEligibility({ weight: 5, readyPackages: [] }, []), { eligible: true });
});

test('without claims the best-ranked eligible agent is expected active, the next one standby', () => {
  const pick = pickRoles([node('c', 300), node('a', 300), node('z', 900, { eligible: false }), node('b', 100)]);
  assert.deepEqual(pick, { active: 'a', activeClaimed: false, standby: 'c', ranked: ['a', 'c', 'b'], reason: 'best-ranked' });
  assert.deepEqual(pickRoles([node('x', 0, { eligible: false })]), { active: null, activeClaimed: false, standby: null, ranked: [], reason: 'none-eligible' });
});

test('incumbency: a live claimant keeps the role against better-ranked agents', () => {
  const pick = pickRoles([node('server', 400), node('laptop', 200, { role: 'active', term: 3 }), node('desktop', 300)]);
  assert.equal(pick.active, 'laptop');
  assert.equal(pick.activeClaimed, true);
  assert.equal(pick.reason, 'incumbent');
  assert.equal(pick.standby, 'server');
});

test('competing claims: informed before blind, then lower term, then rank', () => {
  const informedLate = node('b', 100, { role: 'active', term: 7 });
  const informedEarly = node('c', 50, { role: 'active', term: 6 });
  const blindEarly = node('a', 900, { role: 'active', term: 1, blind: true });
  assert.equal(pickRoles([informedLate, informedEarly, blindEarly]).active, 'c');
  assert.equal(pickRoles([informedLate, blindEarly]).active, 'b');
  assert.equal(pickRoles([informedLate, node('d', 200, { role: 'active', term: 7 })]).active, 'd');
  assert.equal(pickRoles([informedLate, informedEarly]).reason, 'earliest-claim');
  assert.ok(compareActiveClaims(informedEarly, informedLate) < 0 && compareActiveClaims(informedLate, informedEarly) > 0);
  // An ineligible claimant is not followed (it is about to step down).
  assert.equal(pickRoles([node('x', 10, { role: 'active', term: 1, eligible: false }), node('y', 5)]).active, 'y');
});

test('every ordering of the same view gives the same pick', () => {
  const view = [
    node('a3', 300), node('a1', 300, { role: 'active', term: 4 }), node('a2', 400, { role: 'active', term: 4 }),
    node('a4', 0, { eligible: false }), node('a5', 250, { role: 'standby' }),
  ];
  const expected = pickRoles(view);
  assert.equal(expected.active, 'a2');
  assert.equal(expected.standby, 'a1');
  const permute = (items: RankedNode[]): RankedNode[][] => items.length <= 1 ? [items] : items.flatMap((x, i) => permute([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
  for (const order of permute(view)) assert.deepEqual(pickRoles(order), expected);
});
