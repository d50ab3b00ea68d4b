// Goal: the device class (and so the default election weight) follows the chassis, a battery and
// a wireless serving interface, in that precedence. Method: classifyDevice over facts; detect over
// a fake sysfs tree in a temp dir.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { classifyDevice, detectDeviceClass } from './device-class.js';

test('chassis, battery and wireless decide the class', () => {
  const f = (chassisType: number | null, hasBattery = false, interfaceIsWireless = false) => classifyDevice({ chassisType, hasBattery, interfaceIsWireless });
  assert.equal(f(23), 'server');
  assert.equal(f(3), 'desktop');
  assert.equal(f(10), 'laptop');
  assert.equal(f(3, true), 'laptop', 'a "desktop" with a battery is portable');
  assert.equal(f(23, false, true), 'wireless', 'serving over Wi-Fi is the worst case');
  assert.equal(f(null), 'unknown');
  assert.equal(f(1), 'unknown');
});

test('detectDeviceClass reads sysfs', () => {
  const sys = mkdtempSync(join(tmpdir(), 'pb-sys-'));
  try {
    mkdirSync(join(sys, 'class/dmi/id'), { recursive: true });
    writeFileSync(join(sys, 'class/dmi/id/chassis_type'), '9\n');
    mkdirSync(join(sys, 'class/net/wlan0/wireless'), { recursive: true });
    assert.equal(detectDeviceClass('eth0', sys).deviceClass, 'laptop');
    assert.equal(detectDeviceClass('wlan0', sys).deviceClass, 'wireless');
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});
