/**
 * The BCD store for booting a WinPE boot.wim from a ramdisk over PXE, written by peerboot instead of
 * bcdedit. Pure: options in, hive bytes out, deterministic. The store is what Microsoft's "Configure
 * a PXE server to load Windows PE" (learn.microsoft.com) builds with bcdedit, plus the ramdisk TFTP
 * settings WDS adds (docs/protocol-notes.md, "Windows TFTP tuning and msftwindow"):
 *
 *   {bootmgr} {9dea862c-…}        Windows Boot Manager: description, displayorder and default = the
 *                                 loader below, timeout 0 (one entry: bootmgr starts it at once)
 *   {ramdiskoptions} {ae5534e0-…}  device options: description, ramdisksdidevice boot,
 *                                 ramdisksdipath \Boot\boot.sdi, [ramdisktftpblocksize,
 *                                 ramdisktftpwindowsize, ramdisktftpvarwindow]
 *   loader (fixed GUID)           OS loader: description, device and osdevice
 *                                 ramdisk=[boot]\sources\boot.wim,{ramdiskoptions},
 *                                 path \Windows\system32\boot\winload.exe (BIOS) / winload.efi (UEFI),
 *                                 systemroot \Windows, detecthal yes, winpe yes
 */
import { checkElementData, bcdBoolean, bcdDevice, bcdInteger, bcdObject, bcdObjectList, bcdString, type BcdElementData } from './bcd-element-data.js';
import {
  BcdBootMgrElement, BcdDeviceElement, BcdLibraryElement, BcdObjectGuid, BcdObjectType, BcdOsLoaderElement,
  elementKeyName, type BcdElementTypeInfo,
} from './bcd-elements.js';
import { formatBcdGuid } from './guid.js';
import { readBcdStore } from './bcd-store.js';
import { encodeRegistryHive } from './hive-writer.js';
import { registryKey, registryValue, type RegistryKey } from './registry-tree.js';

export type WindowsFirmware = 'bios' | 'uefi';

export interface RamdiskBcdOptions {
  firmware: WindowsFirmware;
  /** Path of the WIM on the TFTP server (the [boot] device). Default \sources\boot.wim. */
  wimPath?: string;
  /** Path of boot.sdi on the TFTP server. Default \Boot\boot.sdi. */
  sdiPath?: string;
  /** ramdisktftpblocksize: TFTP blksize bootmgr asks for (RFC 2348: 8–65464). Default: not set (bootmgr uses 1456). */
  tftpBlockSize?: number;
  /** ramdisktftpwindowsize: TFTP windowsize bootmgr asks for (RFC 7440: 1–65535). Default: not set. */
  tftpWindowSize?: number;
  /** ramdisktftpvarwindow: let bootmgr negotiate Microsoft's variable window (msftwindow). Default: not set. */
  tftpVarWindow?: boolean;
  /** Description of the boot entry. Default "peerboot Windows PE". */
  description?: string;
  /** Override of the winload path. Default \Windows\system32\boot\winload.exe (BIOS) or .efi (UEFI). */
  winloadPath?: string;
  /** GUID of the OS loader object. Default RAMDISK_LOADER_GUID. */
  loaderGuid?: string;
  /** Hive timestamp (Unix ms); default the fixed time of hive-writer.ts. */
  lastWrittenMs?: number;
}

/** The loader object's GUID when none is given (any GUID not reserved by Windows works; this one is ours). */
export const RAMDISK_LOADER_GUID = '{5eedb007-0c1e-4b5e-9e1d-70736e65e57a}';
export const DEFAULT_WIM_PATH = '\\sources\\boot.wim';
export const DEFAULT_SDI_PATH = '\\Boot\\boot.sdi';
export const DEFAULT_DESCRIPTION = 'peerboot Windows PE';

/** Thrown for options that would give a store bootmgr cannot use; the message names the fix. */
export class InvalidBcdOptionError extends Error {
  readonly code = 'PEERBOOT_ERR_INVALID_BCD_OPTION';
  constructor(readonly option: string, readonly reason: string) {
    super(`BCD option ${option}: ${reason}`);
    this.name = 'InvalidBcdOptionError';
  }
}

/** One element of the store: which object, which documented element type, and its data. */
export interface PlannedBcdElement {
  readonly objectGuid: string;
  readonly objectAlias: string;
  readonly element: BcdElementTypeInfo;
  readonly value: BcdElementData;
}

export interface PlannedBcdObject {
  readonly guid: string;
  readonly alias: string;
  readonly objectType: number;
}

export interface RamdiskBcdPlan {
  readonly objects: readonly PlannedBcdObject[];
  readonly elements: readonly PlannedBcdElement[];
}

/** The objects and elements of the store, before they become a hive (also what the tests check). */
export function planRamdiskBcd(options: RamdiskBcdOptions): RamdiskBcdPlan {
  if (options.firmware !== 'bios' && options.firmware !== 'uefi') {
    throw new InvalidBcdOptionError('firmware', `must be "bios" or "uefi", got ${JSON.stringify(options.firmware)}`);
  }
  const wimPath = serverPath('wimPath', options.wimPath ?? DEFAULT_WIM_PATH);
  const sdiPath = serverPath('sdiPath', options.sdiPath ?? DEFAULT_SDI_PATH);
  const winloadPath = serverPath('winloadPath', options.winloadPath
    ?? (options.firmware === 'uefi' ? '\\Windows\\system32\\boot\\winload.efi' : '\\Windows\\system32\\boot\\winload.exe'));
  const description = options.description ?? DEFAULT_DESCRIPTION;
  if (description.length === 0 || description.length > 256 || hasControlCharacter(description)) {
    throw new InvalidBcdOptionError('description', 'must be 1–256 printable characters');
  }
  let loaderGuid: string;
  try {
    loaderGuid = formatBcdGuid(options.loaderGuid ?? RAMDISK_LOADER_GUID);
  } catch {
    throw new InvalidBcdOptionError('loaderGuid', 'must be a GUID like {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}');
  }
  if (loaderGuid === BcdObjectGuid.bootmgr || loaderGuid === BcdObjectGuid.ramdiskOptions) {
    throw new InvalidBcdOptionError('loaderGuid', 'must not be the {bootmgr} or {ramdiskoptions} GUID');
  }
  checkRange('tftpBlockSize', options.tftpBlockSize, 8, 65464, 'RFC 2348');
  checkRange('tftpWindowSize', options.tftpWindowSize, 1, 65535, 'RFC 7440');

  const ramdisk = bcdDevice({ kind: 'ramdisk', optionsGuid: BcdObjectGuid.ramdiskOptions, container: 'boot', path: wimPath });
  const objects: PlannedBcdObject[] = [
    { guid: BcdObjectGuid.bootmgr, alias: '{bootmgr}', objectType: BcdObjectType.bootManager },
    { guid: BcdObjectGuid.ramdiskOptions, alias: '{ramdiskoptions}', objectType: BcdObjectType.deviceOptions },
    { guid: loaderGuid, alias: 'loader', objectType: BcdObjectType.osLoader },
  ];
  const elements: PlannedBcdElement[] = [];
  const add = (object: PlannedBcdObject, element: BcdElementTypeInfo, value: BcdElementData) => {
    checkElementData(element, value);
    elements.push({ objectGuid: object.guid, objectAlias: object.alias, element, value });
  };
  const [bootmgr, ramdiskOptions, loader] = objects as [PlannedBcdObject, PlannedBcdObject, PlannedBcdObject];

  add(bootmgr, BcdLibraryElement.description, bcdString('Windows Boot Manager'));
  add(bootmgr, BcdBootMgrElement.displayOrder, bcdObjectList([loaderGuid]));
  add(bootmgr, BcdBootMgrElement.defaultObject, bcdObject(loaderGuid));
  add(bootmgr, BcdBootMgrElement.timeout, bcdInteger(0));

  add(ramdiskOptions, BcdLibraryElement.description, bcdString('Ramdisk Options'));
  add(ramdiskOptions, BcdDeviceElement.sdiDevice, bcdDevice({ kind: 'boot' }));
  add(ramdiskOptions, BcdDeviceElement.sdiPath, bcdString(sdiPath));
  if (options.tftpBlockSize !== undefined) add(ramdiskOptions, BcdDeviceElement.ramdiskTftpBlockSize, bcdInteger(options.tftpBlockSize));
  if (options.tftpWindowSize !== undefined) add(ramdiskOptions, BcdDeviceElement.ramdiskTftpWindowSize, bcdInteger(options.tftpWindowSize));
  if (options.tftpVarWindow !== undefined) add(ramdiskOptions, BcdDeviceElement.ramdiskTftpVarWindow, bcdBoolean(options.tftpVarWindow));

  add(loader, BcdLibraryElement.description, bcdString(description));
  add(loader, BcdLibraryElement.applicationDevice, ramdisk);
  add(loader, BcdLibraryElement.applicationPath, bcdString(winloadPath));
  add(loader, BcdOsLoaderElement.osDevice, ramdisk);
  add(loader, BcdOsLoaderElement.systemRoot, bcdString('\\Windows'));
  add(loader, BcdOsLoaderElement.detectKernelAndHal, bcdBoolean(true));
  add(loader, BcdOsLoaderElement.winPeMode, bcdBoolean(true));
  return { objects, elements };
}

/** The store as a registry tree (root "NewStoreRoot", as bcdedit /createstore names it). */
export function ramdiskBcdTree(options: RamdiskBcdOptions): RegistryKey {
  return bcdStoreTree(planRamdiskBcd(options));
}

/** Any planned store as a registry tree. */
export function bcdStoreTree(plan: RamdiskBcdPlan): RegistryKey {
  const objectKeys = plan.objects.map((object) => registryKey(object.guid, {
    subkeys: [
      registryKey('Description', { values: [registryValue.dword('Type', object.objectType)] }),
      registryKey('Elements', {
        subkeys: plan.elements
          .filter((e) => e.objectGuid === object.guid)
          .map((e) => registryKey(elementKeyName(e.element.type), {
            values: [{ name: 'Element', type: e.value.registryType, data: e.value.data }],
          })),
      }),
    ],
  }));
  return registryKey('NewStoreRoot', {
    subkeys: [
      registryKey('Description', { values: [registryValue.sz('KeyName', 'BCD00000000')] }),
      registryKey('Objects', { subkeys: objectKeys }),
    ],
  });
}

/**
 * The BCD file bytes for a PXE ramdisk boot of a WIM. The bytes are read back with the strict reader
 * (readBcdStore) and compared with the plan before they are returned: a store that would not parse is
 * never handed out.
 */
export function buildRamdiskBcd(options: RamdiskBcdOptions): Uint8Array {
  const plan = planRamdiskBcd(options);
  const hiveOptions = options.lastWrittenMs === undefined ? {} : { lastWrittenMs: options.lastWrittenMs };
  const bytes = encodeRegistryHive(bcdStoreTree(plan), hiveOptions);
  const objects = readBcdStore(bytes);
  for (const planned of plan.elements) {
    const stored = objects.find((o) => o.guid === planned.objectGuid)?.elements.get(planned.element.type);
    if (!stored || stored.registryType !== planned.value.registryType || !sameBytes(stored.data, planned.value.data)) {
      throw new Error(`BCD self-check failed: ${planned.objectAlias} ${planned.element.name} did not read back`);
    }
  }
  if (objects.length !== plan.objects.length) throw new Error('BCD self-check failed: object count');
  return bytes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A path as bootmgr sends it: backslashes, leading backslash, no `..`, no control characters. */
function serverPath(option: string, raw: string): string {
  const path = raw.replace(/\//g, '\\').replace(/^\\*/, '\\');
  if (path === '\\' || hasControlCharacter(path) || path.split('\\').some((part) => part === '..') || path.length > 260) {
    throw new InvalidBcdOptionError(option, `${JSON.stringify(raw)} is not a file path on the boot server (like \\sources\\boot.wim)`);
  }
  return path;
}

function checkRange(option: string, value: number | undefined, min: number, max: number, source: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidBcdOptionError(option, `must be an integer ${min}–${max} (${source}), got ${value}`);
  }
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return true;
  return false;
}
