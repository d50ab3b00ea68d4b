/**
 * The agent certificate: the control plane's statement "agent `agentId` of site `siteId` owns
 * Ed25519 public key `publicKey` until `notAfterMs`", signed by the server's Ed25519 key (RFC 8032,
 * pure Ed25519, no prehash). Agents attach it to every election announcement so a peer can check,
 * offline, that the sender was enrolled at our server for our site (docs/election.md "Security").
 *
 * ```
 *  offset size
 *  0      4    magic "PBAC"            (peerboot agent certificate; separates it from every other signed format)
 *  4      1    version = 1
 *  5      1+n  agentId                 (length byte + ASCII [A-Za-z0-9_.@-], 1..64)
 *  .      1+n  siteId                  (same alphabet)
 *  .      32   publicKey               (raw Ed25519 public key, RFC 8032 §5.1.5)
 *  .      8    notAfterMs              (Unix ms, big-endian; 0..2^53-1)
 *  ------ the bytes above are what the server signs ("to be signed") ------
 *  .      64   serverSignature         (Ed25519 over the to-be-signed bytes)
 * ```
 * Canonical by construction: one encoding per value, and the decoder refuses trailing bytes.
 * Pure: no sockets, no clocks, no node: imports.
 */
import { ByteReader, ByteWriter, WireFormatError } from './wire-bytes.js';

export const AGENT_CERTIFICATE_MAGIC = Uint8Array.of(0x50, 0x42, 0x41, 0x43); // "PBAC"
export const AGENT_CERTIFICATE_VERSION = 1;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
/** Largest encoding: 4 + 1 + 65 + 65 + 32 + 8 + 64. */
export const AGENT_CERTIFICATE_MAX_BYTES = 239;

export interface AgentCertificateFields {
  agentId: string;
  siteId: string;
  /** Raw 32-byte Ed25519 public key of the agent. */
  publicKey: Uint8Array;
  /** The certificate is void from this Unix time (ms) on. */
  notAfterMs: number;
}

export interface AgentCertificate extends AgentCertificateFields {
  /** Server's Ed25519 signature over `signedBytes`. */
  serverSignature: Uint8Array;
  /** The exact to-be-signed bytes as received (what a verifier checks the signature against). */
  signedBytes: Uint8Array;
}

export type AgentCertificateDecode = { ok: true; certificate: AgentCertificate } | { ok: false; reason: string };

/** The bytes the server signs when it issues a certificate. Throws WireFormatError on an out-of-range field. */
export function encodeAgentCertificateToSign(fields: AgentCertificateFields): Uint8Array {
  return new ByteWriter()
    .bytes(AGENT_CERTIFICATE_MAGIC)
    .u8(AGENT_CERTIFICATE_VERSION, 'version')
    .id(fields.agentId, 'agentId')
    .id(fields.siteId, 'siteId')
    .fixed(fields.publicKey, ED25519_PUBLIC_KEY_BYTES, 'publicKey')
    .u64(fields.notAfterMs, 'notAfterMs')
    .finish();
}

/** The full certificate: to-be-signed bytes followed by the server's signature. */
export function encodeAgentCertificate(fields: AgentCertificateFields, serverSignature: Uint8Array): Uint8Array {
  const tbs = encodeAgentCertificateToSign(fields);
  return new ByteWriter().bytes(tbs).fixed(serverSignature, ED25519_SIGNATURE_BYTES, 'serverSignature').finish();
}

/** Parses a certificate; never throws. Does NOT verify the signature (that needs crypto: see the election shell). */
export function decodeAgentCertificate(bytes: Uint8Array): AgentCertificateDecode {
  try {
    if (bytes.length > AGENT_CERTIFICATE_MAX_BYTES) return { ok: false, reason: `certificate is ${bytes.length} bytes, more than ${AGENT_CERTIFICATE_MAX_BYTES}` };
    const r = new ByteReader(bytes);
    const magic = r.fixed(4, 'magic');
    if (!magic.every((b, i) => b === AGENT_CERTIFICATE_MAGIC[i])) return { ok: false, reason: 'not an agent certificate (bad magic)' };
    const version = r.u8('version');
    if (version !== AGENT_CERTIFICATE_VERSION) return { ok: false, reason: `unsupported certificate version ${version}` };
    const agentId = r.id('agentId');
    const siteId = r.id('siteId');
    const publicKey = r.fixed(ED25519_PUBLIC_KEY_BYTES, 'publicKey');
    const notAfterMs = r.u64('notAfterMs');
    const signedLength = r.offset;
    const serverSignature = r.fixed(ED25519_SIGNATURE_BYTES, 'serverSignature');
    if (r.remaining !== 0) return { ok: false, reason: `${r.remaining} trailing bytes after the certificate` };
    return { ok: true, certificate: { agentId, siteId, publicKey, notAfterMs, serverSignature, signedBytes: bytes.slice(0, signedLength) } };
  } catch (error) {
    if (error instanceof WireFormatError) return { ok: false, reason: error.reason };
    throw error;
  }
}
