// Goal: canonical JSON is stable (key order, no whitespace, RFC 8785 number forms) and refuses
// values without a JSON form. Method: table of values and their exact canonical text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, CanonicalJsonError } from './canonical-json.js';

test('canonical forms', () => {
  const cases: Array<[unknown, string]> = [
    [{ b: 1, a: [true, null, 'x'], c: { z: -0, y: 1.5 } }, '{"a":[true,null,"x"],"b":1,"c":{"y":1.5,"z":0}}'],
    [{ skip: undefined, keep: 'é\n"' }, '{"keep":"é\\n\\""}'],
    [[undefined, 1], '[null,1]'],
    [{ '\u00e9': 1, z: 2, A: 3 }, '{"A":3,"z":2,"é":1}'],
    [1e21, '1e+21'],
  ];
  for (const [value, text] of cases) assert.equal(canonicalJson(value), text);
  assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
});

test('values without a JSON form are refused with a code', () => {
  for (const bad of [NaN, Infinity, 10n, () => 1]) {
    assert.throws(() => canonicalJson({ v: bad }), (e: unknown) => e instanceof CanonicalJsonError && e.code === 'CONTRACT_ERR_NOT_CANONICALIZABLE');
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => canonicalJson(cyclic), /cyclic/);
});
