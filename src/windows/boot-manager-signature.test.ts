// Goal: the Authenticode reader finds every signature of a PE image and names the Microsoft CAs in
// each, so a PCA2011-signed and a 2023-signed (or dual-signed) bootmgfw.efi are told apart at
// import; unsigned and non-PE files are recognised as such.
// Method: synthetic PE32+/PE32 images with WIN_CERTIFICATE entries built here byte by byte (offsets
// from the PE/COFF specification); real files when present: Debian's Microsoft-signed shim (two
// signatures: UEFI CA 2011 and UEFI CA 2023; docs/lab-notes.md, "The Secure Boot chain and its
// files") and the unsigned Debian ipxe.efi.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import {
  authenticodeSignatures, bootManagerGenerations, microsoftCasBySignature, MICROSOFT_SECURE_BOOT_CAS, NotPeImageError,
} from './boot-manager-signature.js';

/** A minimal PE with `signatures` as PKCS#7 stand-ins (DER-ish bytes holding the CA names). */
function fakePe(signatures: string[], plus = true): Uint8Array {
  const peOffset = 0x80;
  const optional = peOffset + 24;
  const optionalSize = plus ? 240 : 224;
  const countAt = optional + (plus ? 108 : 92);
  const headerEnd = optional + optionalSize;
  const entries = signatures.map((s) => {
    const body = Buffer.concat([Buffer.from([0x30, 0x82, 0x00, 0x00, 0x13, s.length]), Buffer.from(s, 'latin1')]);
    const length = 8 + body.length;
    const e = Buffer.alloc(Math.ceil(length / 8) * 8);
    e.writeUInt32LE(length, 0);
    e.writeUInt16LE(0x0200, 4);
    e.writeUInt16LE(0x0002, 6);
    body.copy(e, 8);
    return e;
  });
  const table = Buffer.concat(entries);
  const tableOffset = Math.ceil(headerEnd / 8) * 8 + 64;
  const pe = Buffer.alloc(tableOffset + table.length);
  pe.write('MZ', 0, 'latin1');
  pe.writeUInt32LE(peOffset, 0x3c);
  pe.writeUInt32LE(0x00004550, peOffset);
  pe.writeUInt16LE(optionalSize, peOffset + 20);
  pe.writeUInt16LE(plus ? 0x20b : 0x10b, optional);
  pe.writeUInt32LE(16, countAt);
  if (table.length > 0) {
    pe.writeUInt32LE(tableOffset, countAt + 4 + 4 * 8);
    pe.writeUInt32LE(table.length, countAt + 4 + 4 * 8 + 4);
  }
  table.copy(pe, tableOffset);
  return pe;
}

const { windowsPca2011, windowsUefiCa2023, thirdPartyUefiCa2011 } = MICROSOFT_SECURE_BOOT_CAS;

test('a PCA 2011, a 2023 and a dual-signed boot manager are told apart', () => {
  assert.deepEqual(bootManagerGenerations(fakePe([`CN=${windowsPca2011}`])), ['pca2011']);
  assert.deepEqual(bootManagerGenerations(fakePe([`CN=${windowsUefiCa2023}`])), ['ca2023']);
  assert.deepEqual(bootManagerGenerations(fakePe([`CN=${windowsPca2011}`, `CN=${windowsUefiCa2023}`], false)), ['pca2011', 'ca2023']);
  assert.deepEqual(microsoftCasBySignature(fakePe([`CN=${windowsPca2011}`, `CN=${windowsUefiCa2023}`])), [[windowsPca2011], [windowsUefiCa2023]]);
  // A third-party (shim-style) signature is not a Windows boot manager generation.
  assert.deepEqual(bootManagerGenerations(fakePe([`CN=${thirdPartyUefiCa2011}`])), []);
});

test('unsigned images have no signatures; non-PE bytes are refused with the reason', () => {
  assert.deepEqual(authenticodeSignatures(fakePe([])), []);
  assert.throws(() => authenticodeSignatures(Buffer.from('placeholder bootmgfw.efi, not a PE file........................................')), (e: unknown) => e instanceof NotPeImageError && /MZ/.test(e.message));
  const truncated = fakePe([`CN=${windowsPca2011}`]).subarray(0, 400);
  assert.throws(() => authenticodeSignatures(truncated), /certificate table runs past the end/);
});

const shim = fileURLToPath(new URL('../../.cache/lab/sb/shimx64.efi', import.meta.url));
test('real files: Debian\'s shim carries UEFI CA 2011 and UEFI CA 2023 signatures; ipxe.efi none', { skip: existsSync(shim) ? false : 'no .cache/lab/sb/shimx64.efi (bash scripts/fetch-lab-secureboot.sh)' }, () => {
  const cas = microsoftCasBySignature(readFileSync(shim));
  assert.equal(cas.length, 2, 'two WIN_CERTIFICATE entries (UEFI CA 2011 and UEFI CA 2023)');
  assert.deepEqual(new Set(cas.flat()), new Set([MICROSOFT_SECURE_BOOT_CAS.thirdPartyUefiCa2011, MICROSOFT_SECURE_BOOT_CAS.thirdPartyUefiCa2023]));
  assert.deepEqual(bootManagerGenerations(readFileSync(shim)), [], 'shim is not a Windows boot manager');
  if (existsSync('/usr/lib/ipxe/ipxe.efi')) assert.deepEqual(authenticodeSignatures(readFileSync('/usr/lib/ipxe/ipxe.efi')), []);
});
