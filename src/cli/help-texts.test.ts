// Goal: no help text is damaged by string escapes (a `\b` in a template literal once printed
// `EFI_EXootmgfw_EX.efi` in `peerboot windows-root --help`). Method: load every registered command
// and check its usage and summary for control characters (only newlines belong in help), and that
// the Windows paths the windows-root help names keep their backslashes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commands } from './commands/index.js';

// Any C0 control character but the newline, and DEL.
// eslint-disable-next-line no-control-regex
const controlCharacter = /[\u0000-\u0009\u000b-\u001f\u007f]/;

test('every command help text is free of control characters', async () => {
  assert.ok(commands.length >= 9);
  for (const entry of commands) {
    const command = await entry.load();
    for (const [what, text] of [['usage', command.usage], ['summary', command.summary]] as const) {
      const hit = controlCharacter.exec(text);
      assert.equal(hit, null, `peerboot ${entry.name} ${what} holds U+${hit?.[0].charCodeAt(0).toString(16).padStart(4, '0')} near '${text.slice(Math.max(0, (hit?.index ?? 0) - 20), (hit?.index ?? 0) + 20)}'`);
    }
  }
});

test('windows-root --help names the CA 2023 boot manager by its real path', async () => {
  const windowsRoot = await commands.find((c) => c.name === 'windows-root')!.load();
  assert.ok(windowsRoot.usage.includes('EFI_EX\\bootmgfw_EX.efi'), windowsRoot.usage);
  assert.ok(windowsRoot.usage.includes('\\Boot\\BCD'));
});
