/**
 * The error codes of everything that runs on a machine: the agent, the CLI commands, the boot
 * servers, the Windows tools and the codecs. One registry, one code per failure; each entry says
 * what went wrong in a few words (the message of an error carries the details and the fix).
 * docs/errors.md lists them for operators; a test keeps it, and every code used in src/, in step
 * with this table. The control plane's HTTP API codes live beside it in errors.ts.
 */
export const peerbootErrorCodes = {
  // Sockets (every port: proxyDHCP, TFTP, HTTP, election, have messages, chunk server)
  PEERBOOT_ERR_PORT_IN_USE: 'a port this program needs is taken by another program',
  PEERBOOT_ERR_PRIVILEGE: 'a port below 1024 needs root or CAP_NET_BIND_SERVICE',
  PEERBOOT_ERR_ADDRESS_NOT_LOCAL: 'the address to bind is not (or no longer) an address of this machine',
  PEERBOOT_ERR_BIND: 'a socket could not be bound for another reason',
  // Network interfaces
  PEERBOOT_ERR_NO_INTERFACE: 'no network interface of that name',
  PEERBOOT_ERR_NO_IPV4: 'the network interface has no IPv4 address',
  // The boot root
  PEERBOOT_ERR_ROOT_MISSING: 'the boot root folder does not exist',
  PEERBOOT_ERR_ROOT_NOT_DIRECTORY: 'the boot root is not a folder',
  PEERBOOT_ERR_ROOT_UNREADABLE: 'the boot root cannot be read',
  // Data directories
  PEERBOOT_ERR_LOOSE_PERMISSIONS: 'a data directory holding secrets is open to other users or owned by another user',
  // Agent set-up and identity
  PEERBOOT_ERR_AGENT_CONFIG: 'a configuration value (flag, environment, file) is invalid',
  PEERBOOT_ERR_AGENT_STATE: 'a file in the agent data directory is unreadable or damaged',
  PEERBOOT_ERR_NOT_ENROLLED: 'the agent is not enrolled and has no server or token to enroll with',
  PEERBOOT_ERR_ENROLLMENT_REFUSED: 'the server refused the enrollment token',
  PEERBOOT_ERR_ELECTION_IDENTITY: 'the election has no usable agent key or certificate',
  PEERBOOT_ERR_ELECTION_NETWORK: 'the election cannot place itself on the network (address, subnet)',
  // Packages: chunk cache and LAN peers
  PEERBOOT_ERR_CACHE_DISK_FULL: 'the package cache disk is full',
  PEERBOOT_ERR_CACHE_IO: 'the package cache cannot be read or written',
  PEERBOOT_ERR_CHUNK_NAME: 'a chunk name is not a SHA-256 digest',
  PEERBOOT_ERR_CHUNK_TOO_LARGE: 'a chunk is larger than the chunk size',
  PEERBOOT_ERR_CHUNK_DIGEST_MISMATCH: "a chunk's bytes do not hash to its name",
  PEERBOOT_ERR_CHUNK_NOT_HELD: 'a peer asked for a chunk this agent does not hold',
  PEERBOOT_ERR_CHUNK_NOT_IN_MANIFEST: 'a peer asked for a chunk outside the signed manifests',
  PEERBOOT_ERR_PEER_AUTH: 'a peer did not prove it is an agent of this site',
  PEERBOOT_ERR_PEER_BUSY: 'a peer serves too many transfers to take another',
  PEERBOOT_ERR_NO_ROUTE: 'a peer is not on this LAN',
  PEERBOOT_ERR_INTERNAL: 'an unexpected fault (a bug): the log has the details',
  // Codecs
  PEERBOOT_ERR_MALFORMED_PACKET: 'a packet does not follow its protocol (dropped and counted)',
  // Windows boot files
  PEERBOOT_ERR_TOOLKIT_INCOMPLETE: 'the Windows toolkit folder lacks files the boot needs',
  PEERBOOT_ERR_BOOT_MANAGER_SIGNATURE: 'a Windows boot manager is not signed by the expected CA',
  PEERBOOT_ERR_INVALID_BCD_OPTION: 'a BCD setting is out of range',
  PEERBOOT_ERR_INVALID_BCD_STORE: 'a BCD store does not have the expected objects and elements',
  PEERBOOT_ERR_UNKNOWN_BCD_DEVICE: 'a BCD device element is of a kind peerboot does not read',
  PEERBOOT_ERR_INVALID_GUID: 'a GUID is malformed',
  PEERBOOT_ERR_INVALID_REGISTRY_TREE: 'a registry tree cannot be written as a hive',
  PEERBOOT_ERR_MALFORMED_HIVE: 'a registry hive file is damaged',
} as const;

export type PeerbootErrorCode = keyof typeof peerbootErrorCodes;

/** A failure with a registry code and a one-line message naming the fix. */
export class PeerbootError extends Error {
  constructor(readonly code: PeerbootErrorCode, message: string) {
    super(message);
    this.name = 'PeerbootError';
  }
}
