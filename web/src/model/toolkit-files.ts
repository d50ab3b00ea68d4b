/**
 * Finds a boot profile's files among the files of a folder the admin picked in the browser, as
 * `peerboot package import` does on disk (src/cli/toolkit-scan.ts): the exact relative path first,
 * else the same file name anywhere in the tree (shallowest wins), both case-insensitively — a
 * Windows ADK keeps pxeboot.n12 under Windows/Boot/PXE, Debian's ipxe folder is flat.
 */
export interface PickedFile {
  /** Path below the picked folder, forward slashes (webkitRelativePath without the folder itself). */
  relativePath: string;
}

export type ToolkitMatch<F> = { ok: true; found: Array<{ packagePath: string; file: F }> } | { ok: false; missing: string[] };

/** webkitRelativePath "toolkit/Boot/PXE/pxeboot.n12" → "Boot/PXE/pxeboot.n12". */
export function relativeToPicked(webkitRelativePath: string, name: string): string {
  const parts = (webkitRelativePath || name).split('/');
  return parts.length > 1 ? parts.slice(1).join('/') : parts[0]!;
}

export function matchToolkitFiles<F extends PickedFile>(files: readonly F[], required: readonly string[]): ToolkitMatch<F> {
  const found: Array<{ packagePath: string; file: F }> = [];
  const missing: string[] = [];
  for (const want of required) {
    const lw = want.toLowerCase();
    const base = lw.split('/').pop()!;
    const exact = files.find((f) => f.relativePath.toLowerCase() === lw);
    const byName = files
      .filter((f) => f.relativePath.toLowerCase().split('/').pop() === base)
      .sort((a, b) => a.relativePath.split('/').length - b.relativePath.split('/').length || a.relativePath.localeCompare(b.relativePath));
    const hit = exact ?? byName[0];
    if (hit) found.push({ packagePath: want, file: hit }); else missing.push(want);
  }
  return missing.length ? { ok: false, missing } : { ok: true, found };
}
