// Goal: every port's bind failure gets one code per cause from the registry (it used to be three
// codes for "needs privilege" and two for "address not here") and one line naming the fix.
// Method: the pure translation over each errno.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindFailure } from './bind-failure.js';

const place = { protocol: 'UDP' as const, address: '10.0.0.5', port: 69, purpose: 'TFTP', whenInUse: 'stop the other TFTP server', otherwisePrivileged: 'or use --port 1024 or above' };
const errno = (code: string) => Object.assign(new Error(`bind ${code}`), { code });

test('each errno: one registry code and one line naming the fix', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['EADDRINUSE', 'PEERBOOT_ERR_PORT_IN_USE', /^UDP 10\.0\.0\.5:69 \(TFTP\) is already in use: stop the other TFTP server$/],
    ['EACCES', 'PEERBOOT_ERR_PRIVILEGE', /^binding UDP 10\.0\.0\.5:69 \(TFTP\) needs privilege .*setcap cap_net_bind_service=\+ep .*; or use --port 1024 or above$/],
    ['EPERM', 'PEERBOOT_ERR_PRIVILEGE', /needs privilege/],
    ['EADDRNOTAVAIL', 'PEERBOOT_ERR_ADDRESS_NOT_LOCAL', /10\.0\.0\.5 is not an address of this machine; use one of its IPv4 addresses/],
    ['EINVAL', 'PEERBOOT_ERR_BIND', /^cannot bind UDP 10\.0\.0\.5:69 \(TFTP\): EINVAL$/],
  ];
  for (const [code, expected, message] of cases) {
    const e = bindFailure(errno(code), place);
    assert.equal(e.code, expected, code);
    assert.match(e.message, message);
    assert.ok(!e.message.includes('\n'));
  }
});
