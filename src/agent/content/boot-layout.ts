/**
 * Where things live inside an agent's boot root (the one directory its TFTP and HTTP servers serve):
 *   p/<packageId>/<path>     the files of a package, as its signed manifest lists them
 *   s/<profileId>.ipxe       the iPXE script generated for a boot profile
 * Names are what firmware asks for, so they stay short: the `file` field holds 127 bytes
 * (docs/protocol-notes.md, "Fields of a proxy offer") and a package id is at most 64 characters.
 */

/** Root-relative path of a package file (forward slashes; the manifest path is already relative). */
export function packageFilePath(packageId: string, path: string): string {
  return `p/${packageId}/${path.replace(/\\/g, '/').replace(/^\/+/, '')}`;
}

/** Root-relative directory of a package. */
export function packageDirPath(packageId: string): string {
  return `p/${packageId}`;
}

/** Root-relative path of the generated iPXE script of a profile. */
export function profileScriptPath(profileId: string): string {
  return `s/${profileId}.ipxe`;
}
