/**
 * The signed tail every peer datagram ends with (election announcement, chunk have message):
 *
 *   … body … | certificateLength u16 | agent certificate | Ed25519 signature (64 bytes)
 *
 * The signature covers everything before it, certificate included, so a receiver verifies the
 * certificate against the server key and then the signature against the certificate's key.
 * Pure: no node: imports.
 */
import { AGENT_CERTIFICATE_MAX_BYTES, ED25519_SIGNATURE_BYTES } from './agent-certificate.js';
import { ByteWriter, WireFormatError, type ByteReader } from './wire-bytes.js';

/** Appends the certificate; throws WireFormatError when the signed datagram would exceed `maxBytes`. */
export function writeCertificate(w: ByteWriter, certificate: Uint8Array, maxBytes: number, what: string): Uint8Array {
  w.u16(certificate.length, 'certificateLength').bytes(certificate);
  if (w.length + ED25519_SIGNATURE_BYTES > maxBytes) {
    throw new WireFormatError(`${what} would be ${w.length + ED25519_SIGNATURE_BYTES} bytes, more than ${maxBytes}`);
  }
  return w.finish();
}

/** The datagram on the wire: the signed bytes followed by the 64-byte signature. */
export function appendSignature(signedBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  return new ByteWriter().bytes(signedBytes).fixed(signature, ED25519_SIGNATURE_BYTES, 'signature').finish();
}

export type SignedTrailer =
  | { ok: true; certificate: Uint8Array; signedBytes: Uint8Array; signature: Uint8Array }
  | { ok: false; kind: 'malformed' | 'unsigned'; reason: string };

/** Reads the tail once the body is read; `bytes` is the whole datagram. Throws WireFormatError on a short read. */
export function readSignedTrailer(r: ByteReader, bytes: Uint8Array): SignedTrailer {
  if (r.remaining === 0) return { ok: false, kind: 'unsigned', reason: 'no certificate or signature' };
  const certificateLength = r.u16('certificateLength');
  if (certificateLength === 0) return { ok: false, kind: 'unsigned', reason: 'empty certificate' };
  if (certificateLength > AGENT_CERTIFICATE_MAX_BYTES) return { ok: false, kind: 'malformed', reason: `certificate length ${certificateLength}` };
  const certificate = r.fixed(certificateLength, 'certificate');
  const signedLength = r.offset;
  if (r.remaining === 0) return { ok: false, kind: 'unsigned', reason: 'no signature' };
  const signature = r.fixed(ED25519_SIGNATURE_BYTES, 'signature');
  if (r.remaining !== 0) return { ok: false, kind: 'malformed', reason: `${r.remaining} trailing bytes after the signature` };
  return { ok: true, certificate, signedBytes: bytes.slice(0, signedLength), signature };
}
