/**
 * BCD objects and elements, as Microsoft documents them (learn.microsoft.com, "BCD WMI Provider
 * Enumerations": BcdLibraryElementTypes, BcdOSLoaderElementTypes, BcdBootMgrElementTypes,
 * BcdDeviceObjectElementTypes; "BcdElementType structure"; "BcdObjectType"). Pure.
 *
 * A BCD store is a registry hive:
 *
 *   \Description                      KeyName = "BCD00000000"
 *   \Objects\{object guid}\Description  Type = object type (REG_DWORD)
 *   \Objects\{object guid}\Elements\<element type as 8 hex digits>   Element = data
 *
 * An element type packs Class (bits 28–31: 1 library, 2 application, 3 device), Format (bits 24–27)
 * and a subtype. The format decides how "Element" is stored (Geoff Chappell, "BCD Elements"; what
 * bcdedit writes): device → REG_BINARY device data, string → REG_SZ, object → REG_SZ "{guid}",
 * object list → REG_MULTI_SZ, integer → REG_BINARY 8 bytes little-endian, boolean → REG_BINARY 1
 * byte, integer list → REG_BINARY n × 8 bytes.
 */
/** Element data formats (BcdElementType.Format). */
export const BcdFormat = {
  device: 1,
  string: 2,
  object: 3,
  objectList: 4,
  integer: 5,
  boolean: 6,
  integerList: 7,
} as const;
export type BcdFormatName = keyof typeof BcdFormat;

/** Well-known objects (bcdedit aliases). */
export const BcdObjectGuid = {
  /** {bootmgr}: the Windows Boot Manager object. */
  bootmgr: '{9dea862c-5cdd-4e70-acc1-f32b344d4795}',
  /** {ramdiskoptions}: ramdisk (SDI, TFTP) settings shared by ramdisk devices. */
  ramdiskOptions: '{ae5534e0-a924-466c-b836-758539a3ee3a}',
} as const;

/** Object types (BcdObjectType packed values, bcdedit /enum shows the same). */
export const BcdObjectType = {
  /** Application, firmware image (1), Windows boot manager (2). */
  bootManager: 0x10100002,
  /** Application, boot-app image (2), Windows OS loader (3): winload. */
  osLoader: 0x10200003,
  /** Device object: holds device options such as {ramdiskoptions}. */
  deviceOptions: 0x30000000,
} as const;

/**
 * The element types peerboot writes, with Microsoft's names. `format` is the data format the element
 * is written in; for two ramdisk TFTP elements it differs from the format nibble (see `note`).
 */
export interface BcdElementTypeInfo {
  readonly type: number;
  readonly name: string;
  readonly format: BcdFormatName;
  readonly note?: string;
}

function element(type: number, name: string, format: BcdFormatName, note?: string): BcdElementTypeInfo {
  return note === undefined ? { type, name, format } : { type, name, format, note };
}

/** BcdLibraryElementTypes (class 1: any object). */
export const BcdLibraryElement = {
  applicationDevice: element(0x11000001, 'BcdLibraryDevice_ApplicationDevice', 'device'),
  applicationPath: element(0x12000002, 'BcdLibraryString_ApplicationPath', 'string'),
  description: element(0x12000004, 'BcdLibraryString_Description', 'string'),
} as const;

/** BcdOSLoaderElementTypes (class 2, OS loader objects). */
export const BcdOsLoaderElement = {
  osDevice: element(0x21000001, 'BcdOSLoaderDevice_OSDevice', 'device'),
  systemRoot: element(0x22000002, 'BcdOSLoaderString_SystemRoot', 'string'),
  detectKernelAndHal: element(0x26000010, 'BcdOSLoaderBoolean_DetectKernelAndHal', 'boolean'),
  winPeMode: element(0x26000022, 'BcdOSLoaderBoolean_WinPEMode', 'boolean'),
} as const;

/** BcdBootMgrElementTypes (class 2, the boot manager object). */
export const BcdBootMgrElement = {
  displayOrder: element(0x24000001, 'BcdBootMgrObjectList_DisplayOrder', 'objectList'),
  defaultObject: element(0x23000003, 'BcdBootMgrObject_DefaultObject', 'object'),
  timeout: element(0x25000004, 'BcdBootMgrInteger_Timeout', 'integer'),
} as const;

/** BcdDeviceObjectElementTypes (class 3, device objects such as {ramdiskoptions}). */
export const BcdDeviceElement = {
  /** Microsoft names it "Integer" but documents BcdDeviceElement data (format nibble 1). */
  sdiDevice: element(0x31000003, 'BcdDeviceInteger_SdiDevice', 'device'),
  /** Microsoft names it "Integer" but documents BcdStringElement data (format nibble 2). */
  sdiPath: element(0x32000004, 'BcdDeviceInteger_SdiPath', 'string'),
  tftpClientPort: element(0x35000002, 'BcdDeviceInteger_TftpClientPort', 'integer'),
  ramdiskTftpBlockSize: element(0x36000007, 'BcdDeviceInteger_RamdiskTftpBlockSize', 'integer',
    'format nibble says boolean (6); Microsoft names it Integer and bcdedit stores a 64-bit integer'),
  ramdiskTftpWindowSize: element(0x36000008, 'BcdDeviceInteger_RamdiskTftpWindowSize', 'integer',
    'format nibble says boolean (6); Microsoft names it Integer and bcdedit stores a 64-bit integer'),
  ramdiskTftpVarWindow: element(0x3600000b, 'BcdDeviceBoolean_RamdiskTftpVarWindow', 'boolean'),
} as const;

/** Registry key name of an element: its type as 8 lower-case hex digits (bcdedit's form). */
export function elementKeyName(type: number): string {
  return (type >>> 0).toString(16).padStart(8, '0');
}

/** Format nibble of an element type (bits 24–27). */
export function formatNibble(type: number): number {
  return (type >>> 24) & 0xf;
}

/** Class nibble of an element type (bits 28–31). */
export function classNibble(type: number): number {
  return (type >>> 28) & 0xf;
}
