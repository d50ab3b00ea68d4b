// Goal: markers are found in real serial output despite SeaBIOS/iPXE escape sequences and CRs,
// and the marker line's fields are read back.
// Method: text shaped like a sercon log (ANSI colour, cursor moves, CRLF, a kernel line that ran
// into the marker) through cleanSerialText, findInSerial and parseBootedMarker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanSerialText, findInSerial, parseBootedMarker, tailLines } from './serial-log.js';

const raw = '\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01HSeaBIOS (version 1.16.2)\r\n'
  + '\x1b[0m\x1b[1miPXE\x1b[0m 1.0.0\r\nvmlinuz... ok\r\n'
  + 'Probing EDD (edd=off to disable)... ok\r\nPEERBOOT-BOOTED arch=pcbios uptime=2.89 bootif=01-52-54-00-77-00-01 via=boot.ipxe\r\n';

test('escape sequences and carriage returns are removed', () => {
  const clean = cleanSerialText(raw);
  assert.ok(!clean.includes('\x1b'));
  assert.ok(!clean.includes('\r'));
  assert.match(clean, /^SeaBIOS \(version 1\.16\.2\)$/m);
  assert.match(clean, /^iPXE 1\.0\.0$/m);
});

test('the marker is found and parsed', () => {
  const hit = findInSerial(cleanSerialText(raw), /PEERBOOT-BOOTED/g);
  assert.ok(hit);
  const m = parseBootedMarker(hit.line);
  assert.deepEqual(m, {
    arch: 'pcbios', uptimeSec: 2.89, bootif: '01-52-54-00-77-00-01', via: 'boot.ipxe',
    line: 'PEERBOOT-BOOTED arch=pcbios uptime=2.89 bootif=01-52-54-00-77-00-01 via=boot.ipxe',
  });
});

test('a marker glued to kernel output on the same line still parses', () => {
  const m = parseBootedMarker('Probing EDD ... ocPEERBOOT-BOOTED arch=efi uptime=3.10 bootif=none via=http://10.77.0.11:8080/boot.ipxe');
  assert.equal(m?.arch, 'efi');
  assert.equal(m?.via, 'http://10.77.0.11:8080/boot.ipxe');
});

test('no marker, no result; tail gives the last non-empty lines', () => {
  assert.equal(parseBootedMarker('No bootable device.'), null);
  assert.equal(findInSerial('abc\ndef', /xyz/), null);
  assert.deepEqual(tailLines('a\n\nb\nc\n', 2), ['b', 'c']);
});
