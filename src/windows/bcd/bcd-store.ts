/**
 * Reads a BCD store (any, ours or one an admin supplies) into objects and elements, refusing what
 * bootmgr could not use: a hive that does not parse (hive-reader.ts), object keys that are not GUIDs,
 * objects without a Description\Type dword, element keys that are not 8 hex digits or lack their
 * "Element" value, element data whose registry type or size contradicts the element's format, and a
 * store without {bootmgr} or whose default entry points nowhere. Pure. This is the gate before a BCD
 * is served.
 */
import { BcdFormat, BcdObjectGuid, BcdBootMgrElement, formatNibble } from './bcd-elements.js';
import { formatBcdGuid } from './guid.js';
import { decodeRegistryHive } from './hive-reader.js';
import { decodeUtf16le, REG_BINARY, REG_DWORD, REG_MULTI_SZ, REG_SZ, type RegistryKey } from './registry-tree.js';

/** Thrown when a parsed hive is not a usable BCD store; `reason` says what is wrong. */
export class InvalidBcdStoreError extends Error {
  readonly code = 'PEERBOOT_ERR_INVALID_BCD_STORE';
  constructor(readonly reason: string) {
    super(`not a usable BCD store: ${reason}`);
    this.name = 'InvalidBcdStoreError';
  }
}

export interface BcdStoreElement {
  readonly type: number;
  readonly registryType: number;
  readonly data: Uint8Array;
}

export interface BcdStoreObject {
  readonly guid: string;
  readonly objectType: number;
  readonly elements: ReadonlyMap<number, BcdStoreElement>;
}

/** Elements whose format nibble (boolean) differs from the integer data Microsoft documents for them. */
const INTEGER_DESPITE_NIBBLE = new Set([0x36000007, 0x36000008]);

/** Parses and checks a BCD file (throws MalformedHiveError or InvalidBcdStoreError). */
export function readBcdStore(bytes: Uint8Array): BcdStoreObject[] {
  const root = decodeRegistryHive(bytes).root;
  const fail = (reason: string): never => { throw new InvalidBcdStoreError(reason); };
  const sub = (key: RegistryKey, name: string) => key.subkeys.find((k) => k.name.toLowerCase() === name.toLowerCase());
  const objectsKey = sub(root, 'Objects') ?? fail('no Objects key');

  const objects: BcdStoreObject[] = [];
  for (const objectKey of objectsKey.subkeys) {
    let guid: string;
    try { guid = formatBcdGuid(objectKey.name); } catch { return fail(`object key ${objectKey.name} is not a GUID`); }
    const typeValue = sub(objectKey, 'Description')?.values.find((v) => v.name.toLowerCase() === 'type');
    if (!typeValue || typeValue.type !== REG_DWORD || typeValue.data.length !== 4) fail(`${guid}: no Description\\Type dword`);
    const objectType = new DataView(typeValue!.data.buffer, typeValue!.data.byteOffset, 4).getUint32(0, true);
    const elements = new Map<number, BcdStoreElement>();
    for (const elementKey of sub(objectKey, 'Elements')?.subkeys ?? []) {
      if (!/^[0-9a-f]{8}$/i.test(elementKey.name)) fail(`${guid}: element key ${elementKey.name} is not 8 hex digits`);
      const type = parseInt(elementKey.name, 16) >>> 0;
      const value = elementKey.values.find((v) => v.name.toLowerCase() === 'element') ?? fail(`${guid}\\${elementKey.name}: no Element value`);
      checkFormat(guid, type, value.type, value.data);
      elements.set(type, { type, registryType: value.type, data: value.data });
    }
    objects.push({ guid, objectType, elements });
  }

  const bootmgr = objects.find((o) => o.guid === BcdObjectGuid.bootmgr) ?? fail('no {bootmgr} object');
  const defaultEntry = bootmgr.elements.get(BcdBootMgrElement.defaultObject.type);
  if (defaultEntry) {
    const target = decodeUtf16le(defaultEntry.data).replace(/\0+$/, '');
    let targetGuid = '';
    try { targetGuid = formatBcdGuid(target); } catch { /* not a GUID: reported below */ }
    if (!objects.some((o) => o.guid === targetGuid)) fail(`{bootmgr} default ${target} is not an object of the store`);
  }
  return objects;
}

function checkFormat(guid: string, type: number, registryType: number, data: Uint8Array): void {
  const where = `${guid}\\${type.toString(16).padStart(8, '0')}`;
  const fail = (want: string) => { throw new InvalidBcdStoreError(`${where}: element data is not ${want}`); };
  if (INTEGER_DESPITE_NIBBLE.has(type)) {
    if (registryType !== REG_BINARY || data.length !== 8) fail('an 8-byte integer');
    return;
  }
  switch (formatNibble(type)) {
    case BcdFormat.device: if (registryType !== REG_BINARY || data.length < 16) fail('device data'); break;
    case BcdFormat.string:
    case BcdFormat.object: if (registryType !== REG_SZ || data.length % 2 !== 0) fail('a string'); break;
    case BcdFormat.objectList: if (registryType !== REG_MULTI_SZ || data.length % 2 !== 0) fail('a GUID list'); break;
    case BcdFormat.integer: if (registryType !== REG_BINARY || data.length !== 8) fail('an 8-byte integer'); break;
    case BcdFormat.boolean: if (registryType !== REG_BINARY || data.length !== 1) fail('a 1-byte boolean'); break;
    case BcdFormat.integerList: if (registryType !== REG_BINARY || data.length % 8 !== 0) fail('a list of 8-byte integers'); break;
    default: break; // formats Windows may add later: not ours to judge
  }
}
