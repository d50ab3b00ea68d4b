// Goal: every path form firmware sends maps to the intended components, and every escape or
// Windows-special form is refused with accessViolation before the file system is touched.
// Method: a table of request paths with the expected decision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseBootPath } from './boot-path.js';

const accepted: Array<[string, string[]]> = [
  ['pxelinux.0', ['pxelinux.0']],
  ['/pxelinux.0', ['pxelinux.0']],
  ['./pxelinux.0', ['pxelinux.0']],
  ['././a/./b', ['a', 'b']],
  ['\\Boot\\x64\\PXEBOOT.N12', ['Boot', 'x64', 'PXEBOOT.N12']],
  ['Boot\\BCD', ['Boot', 'BCD']],
  ['/boot\\fonts//wgl4_boot.ttf', ['boot', 'fonts', 'wgl4_boot.ttf']],
  ['//a///b/', ['a', 'b']],
  ['...', ['...']],
  ['a..b', ['a..b']],
  ['console.ttf', ['console.ttf']],
  ['com10', ['com10']],
  ['ünï cödé.efi', ['ünï cödé.efi']],
];

for (const [input, components] of accepted) {
  test(`accepts ${JSON.stringify(input)}`, () => {
    assert.deepEqual(normaliseBootPath(input), { ok: true, components });
  });
}

const refused: Array<[string, RegExp]> = [
  ['../etc/passwd', /'\.\.'/],
  ['a/../../etc/passwd', /'\.\.'/],
  ['..\\..\\windows\\win.ini', /'\.\.'/],
  ['/..', /'\.\.'/],
  ['C:\\Windows\\win.ini', /drive letter/],
  ['c:/boot.ini', /drive letter/],
  ['boot/C:x', /':'/],
  ['file.txt::$DATA', /':'/],
  ['a\0b', /control character/],
  ['a\nb', /control character/],
  ['a\x7fb', /control character/],
  ['what?.efi', /'\?'/],
  ['star*', /'\*'/],
  ['a<b', /'<'/],
  ['a>b', /'>'/],
  ['a"b', /'"'/],
  ['a|b', /'\|'/],
  ['NUL', /device name/],
  ['boot/nul.txt', /device name/],
  ['Boot\\CON', /device name/],
  ['lpt1', /device name/],
  ['COM3.efi', /device name/],
  ['conin$', /device name/],
  ['a'.repeat(5000), /longer than/],
  ['d/' + 'b'.repeat(300), /component too long/],
];

for (const [input, reason] of refused) {
  test(`refuses ${JSON.stringify(input.slice(0, 40))}`, () => {
    const decision = normaliseBootPath(input);
    assert.equal(decision.ok, false);
    if (decision.ok) return;
    assert.equal(decision.code, 'accessViolation');
    assert.match(decision.reason, reason);
  });
}

test('the root itself is notFound, not an error', () => {
  for (const input of ['', '/', '\\', './', '.']) {
    const decision = normaliseBootPath(input);
    assert.deepEqual(decision, { ok: false, code: 'notFound', reason: 'empty path (the root is a directory)' });
  }
});
