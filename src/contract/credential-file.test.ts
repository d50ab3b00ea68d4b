// Goal: the initial-admin file the server writes is exactly what `admin login --password-file`
// reads (it used to read its first line, `username: admin`, as the password); a one-line password
// file still works. Method: format → parse round trip; the other shapes by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatInitialAdmin, parseCredentialFile } from './credential-file.js';

test('the initial-admin file parses back to its username and password', () => {
  const text = formatInitialAdmin('admin', 'Zk3-p_9xQ', 'http://127.0.0.1:8470');
  assert.match(text, /^username: admin\npassword: Zk3-p_9xQ\n/);
  assert.deepEqual(parseCredentialFile(text), { username: 'admin', password: 'Zk3-p_9xQ' });
});

test('a plain password file: the first line is the password; empty files have none', () => {
  assert.deepEqual(parseCredentialFile('s3cret pass\n'), { username: null, password: 's3cret pass' });
  assert.deepEqual(parseCredentialFile('password: x\r\n'), { username: null, password: 'x' });
  assert.equal(parseCredentialFile('\n'), null);
  assert.equal(parseCredentialFile('username: admin\npassword:\n'), null);
});
