/**
 * What kind of machine the agent runs on, for the default election weight (server > desktop >
 * laptop > wireless; src/agent/election/ranking.ts). From Linux sysfs: the SMBIOS chassis type
 * (DMTF DSP0134 §7.4.1, /sys/class/dmi/id/chassis_type), a battery (/sys/class/power_supply/*
 * of type Battery), and whether the serving interface is wireless (/sys/class/net/IF/wireless).
 * `classifyDevice` is pure; `detectDeviceClass` reads the files.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { DeviceClass } from '../../protocol/peer/announcement.js';

export interface DeviceFacts {
  /** SMBIOS chassis type number, or null when unknown. */
  chassisType: number | null;
  hasBattery: boolean;
  interfaceIsWireless: boolean;
}

// DSP0134 chassis types: 3 Desktop, 4 Low Profile Desktop, 5 Pizza Box, 6 Mini Tower, 7 Tower,
// 8 Portable, 9 Laptop, 10 Notebook, 13 All in One, 14 Sub Notebook, 15 Space-saving, 16 Lunch Box,
// 17 Main Server Chassis, 23 Rack Mount Chassis, 25 Multi-system chassis, 28 Blade,
// 29 Blade Enclosure, 30 Tablet, 31 Convertible, 32 Detachable, 35 Mini PC, 36 Stick PC.
const SERVER = new Set([17, 23, 25, 28, 29]);
const DESKTOP = new Set([3, 4, 5, 6, 7, 13, 15, 16, 35, 36]);
const LAPTOP = new Set([8, 9, 10, 14, 30, 31, 32]);

export function classifyDevice(f: DeviceFacts): DeviceClass {
  // Serving PXE over Wi-Fi is the worst case whatever the box: wireless wins.
  if (f.interfaceIsWireless) return 'wireless';
  if (f.chassisType !== null && SERVER.has(f.chassisType)) return 'server';
  if (f.chassisType !== null && LAPTOP.has(f.chassisType)) return 'laptop';
  if (f.hasBattery) return 'laptop';
  if (f.chassisType !== null && DESKTOP.has(f.chassisType)) return 'desktop';
  return 'unknown';
}

export function detectDeviceClass(interfaceName: string, sys = '/sys'): { deviceClass: DeviceClass; facts: DeviceFacts } {
  let chassisType: number | null = null;
  try {
    const n = Number(readFileSync(`${sys}/class/dmi/id/chassis_type`, 'utf8').trim());
    chassisType = Number.isInteger(n) ? n : null;
  } catch {
    chassisType = null;
  }
  let hasBattery = false;
  try {
    hasBattery = readdirSync(`${sys}/class/power_supply`).some((d) => {
      try {
        return readFileSync(`${sys}/class/power_supply/${d}/type`, 'utf8').trim() === 'Battery';
      } catch {
        return false;
      }
    });
  } catch {
    hasBattery = false;
  }
  const interfaceIsWireless = existsSync(`${sys}/class/net/${interfaceName}/wireless`) || existsSync(`${sys}/class/net/${interfaceName}/phy80211`);
  const facts = { chassisType, hasBattery, interfaceIsWireless };
  return { deviceClass: classifyDevice(facts), facts };
}
