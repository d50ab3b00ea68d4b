/**
 * Which Microsoft certificate authority signed a UEFI binary, so that PCA2011- and PCA2023-signed
 * Windows boot managers can both be imported and the one a deployment's machines trust chosen. Secure Boot
 * machines trust one or both: older db holds only "Microsoft Windows Production PCA 2011", machines
 * updated for the 2023 certificate change hold "Windows UEFI CA 2023" (and may have PCA 2011
 * revoked through dbx). Third-party loaders such as shim are signed by the "Microsoft Corporation
 * UEFI CA 2011" / "Microsoft UEFI CA 2023" instead.
 *
 * Method (pure): the PE/COFF optional header's data directory 4 ("certificate table", a FILE
 * offset, not an RVA) points at WIN_CERTIFICATE entries (dwLength, wRevision, wCertificateType,
 * then the PKCS#7 SignedData; entries 8-byte aligned). Each WIN_CERT_TYPE_PKCS_SIGNED_DATA entry
 * is searched for the known CA common names, which X.509 stores as plain ASCII (PrintableString or
 * UTF8String). This names the CA in the signer's chain; it does NOT verify the signature (the
 * firmware does that — see test/e2e/secure-boot.test.ts for the proof that it does).
 */

/** The Microsoft CAs that matter for Secure Boot network boot, by common name. */
export const MICROSOFT_SECURE_BOOT_CAS = {
  /** Windows boot managers before the 2023 change. */
  windowsPca2011: 'Microsoft Windows Production PCA 2011',
  /** Windows boot managers after it (bootmgfw_EX.efi in the ADK's EFI_EX folder). */
  windowsUefiCa2023: 'Windows UEFI CA 2023',
  /** Third-party UEFI (shim, some option ROMs), old and new. */
  thirdPartyUefiCa2011: 'Microsoft Corporation UEFI CA 2011',
  thirdPartyUefiCa2023: 'Microsoft UEFI CA 2023',
} as const;

export type MicrosoftCaName = (typeof MICROSOFT_SECURE_BOOT_CAS)[keyof typeof MICROSOFT_SECURE_BOOT_CAS];

/** Thrown for bytes that are not a PE image (the message says what is wrong). */
export class NotPeImageError extends Error {
  constructor(readonly reason: string) {
    super(`not a PE/COFF image: ${reason}`);
    this.name = 'NotPeImageError';
  }
}

const WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002;
const PE32_MAGIC = 0x10b;
const PE32_PLUS_MAGIC = 0x20b;
const SECURITY_DIRECTORY = 4;

/** The PKCS#7 blobs of every Authenticode signature in a PE image (empty when unsigned). */
export function authenticodeSignatures(pe: Uint8Array): Uint8Array[] {
  const view = new DataView(pe.buffer, pe.byteOffset, pe.byteLength);
  const need = (end: number, what: string) => { if (end > pe.length) throw new NotPeImageError(`${what} runs past the end (${pe.length} bytes)`); };
  if (pe[0] !== 0x4d || pe[1] !== 0x5a) throw new NotPeImageError('no MZ signature');
  need(0x40, 'DOS header');
  const peOffset = view.getUint32(0x3c, true);
  need(peOffset + 24 + 2, 'PE header');
  if (view.getUint32(peOffset, true) !== 0x00004550) throw new NotPeImageError('no PE\\0\\0 signature');
  const optionalHeaderSize = view.getUint16(peOffset + 20, true);
  const optional = peOffset + 24;
  const magic = view.getUint16(optional, true);
  if (magic !== PE32_MAGIC && magic !== PE32_PLUS_MAGIC) throw new NotPeImageError(`optional header magic 0x${magic.toString(16)}`);
  const countAt = optional + (magic === PE32_PLUS_MAGIC ? 108 : 92);
  need(countAt + 4, 'optional header');
  const directories = view.getUint32(countAt, true);
  if (directories <= SECURITY_DIRECTORY) return [];
  const entryAt = countAt + 4 + SECURITY_DIRECTORY * 8;
  if (entryAt + 8 > optional + optionalHeaderSize) throw new NotPeImageError('data directories run past the optional header');
  need(entryAt + 8, 'data directories');
  const tableOffset = view.getUint32(entryAt, true);
  const tableSize = view.getUint32(entryAt + 4, true);
  if (tableOffset === 0 || tableSize === 0) return [];
  need(tableOffset + tableSize, 'certificate table');
  const out: Uint8Array[] = [];
  let at = tableOffset;
  const end = tableOffset + tableSize;
  while (at + 8 <= end) {
    const length = view.getUint32(at, true);
    const type = view.getUint16(at + 6, true);
    if (length < 8 || at + length > end) throw new NotPeImageError(`WIN_CERTIFICATE at ${at} has length ${length}`);
    if (type === WIN_CERT_TYPE_PKCS_SIGNED_DATA) out.push(pe.subarray(at + 8, at + length));
    at += Math.ceil(length / 8) * 8;
  }
  return out;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** For each signature, the known Microsoft CAs named in it (in MICROSOFT_SECURE_BOOT_CAS order). */
export function microsoftCasBySignature(pe: Uint8Array): MicrosoftCaName[][] {
  const names = Object.values(MICROSOFT_SECURE_BOOT_CAS);
  return authenticodeSignatures(pe).map((sig) => names.filter((n) => contains(sig, Buffer.from(n, 'latin1'))));
}

/** Which Windows boot manager generation a bootmgfw.efi is, per deployment choice. */
export type BootManagerGeneration = 'pca2011' | 'ca2023';

/** The generations a boot manager is signed for (both when dual-signed); empty when neither. */
export function bootManagerGenerations(pe: Uint8Array): BootManagerGeneration[] {
  const cas = new Set(microsoftCasBySignature(pe).flat());
  const out: BootManagerGeneration[] = [];
  if (cas.has(MICROSOFT_SECURE_BOOT_CAS.windowsPca2011)) out.push('pca2011');
  if (cas.has(MICROSOFT_SECURE_BOOT_CAS.windowsUefiCa2023)) out.push('ca2023');
  return out;
}
