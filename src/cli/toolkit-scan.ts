/**
 * Finds a boot profile's files in a toolkit folder and splits them into 1 MiB chunks with SHA-256
 * per chunk and per file. A file is found by its exact relative path, else by its name anywhere in
 * the tree, case-insensitively (Debian's /usr/lib/ipxe is flat; a Windows ADK or an extracted
 * boot.wim keeps pxeboot.n12 under Windows/Boot/PXE, bootmgfw.efi under Windows/Boot/EFI).
 */
import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { chunkSizeBytes } from '../contract/manifest.js';

export interface ToolkitFile {
  /** The path inside the package (the name the profile uses). */
  packagePath: string;
  /** Where it is on disk. */
  sourcePath: string;
  sizeBytes: number;
  sha256: string;
  chunks: string[];
}

/** What was found where, and every required path that was not (empty when all were found). */
export interface ToolkitScan { found: Array<{ packagePath: string; sourcePath: string }>; missing: string[] }

async function walk(root: string, limit = 200_000): Promise<string[]> {
  const out: string[] = [];
  const queue = [root];
  while (queue.length && out.length < limit) {
    const dir = queue.shift()!;
    let entries;
    try { entries = await readdir(dir, { withFileTypes: true }); } catch { continue; }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) queue.push(p);
      else if (e.isFile() || e.isSymbolicLink()) out.push(p);
    }
  }
  return out;
}

/** Every file under `dir` with its '/'-separated path relative to it (a bounded walk). */
export async function listToolkit(dir: string): Promise<ToolkitEntry[]> {
  return (await walk(dir)).map((abs) => ({ abs, rel: relative(dir, abs).split(sep).join('/') }));
}

export interface ToolkitEntry { abs: string; rel: string }

/**
 * Locates each required path in `dir` (or in its listing, when the caller has it already);
 * reports every one it cannot find.
 */
export async function locateToolkitFiles(dir: string, required: string[], listing?: ToolkitEntry[]): Promise<ToolkitScan> {
  const rel = (listing ?? await listToolkit(dir)).map((f) => ({ ...f, lower: f.rel.toLowerCase() }));
  const found: Array<{ packagePath: string; sourcePath: string }> = [];
  const missing: string[] = [];
  for (const want of required) {
    const lw = want.toLowerCase();
    const base = lw.split('/').pop()!;
    const exact = rel.find((f) => f.lower === lw);
    const byName = rel.filter((f) => f.lower.split('/').pop() === base).sort((a, b) => a.rel.split('/').length - b.rel.split('/').length || a.rel.localeCompare(b.rel));
    const hit = exact ?? byName[0];
    if (!hit) { missing.push(want); continue; }
    try { if (!(await stat(hit.abs)).isFile()) { missing.push(want); continue; } } catch { missing.push(want); continue; }
    found.push({ packagePath: want, sourcePath: hit.abs });
  }
  return { found, missing };
}

/** Hashes a file in 1 MiB chunks (reports progress in bytes). */
export async function chunkFile(packagePath: string, sourcePath: string, onBytes: (n: number) => void = () => {}): Promise<ToolkitFile> {
  const fh = await open(sourcePath, 'r');
  try {
    const whole = createHash('sha256');
    const chunks: string[] = [];
    const buf = Buffer.allocUnsafe(chunkSizeBytes);
    let size = 0;
    for (;;) {
      let filled = 0;
      while (filled < chunkSizeBytes) {
        const { bytesRead } = await fh.read(buf, filled, chunkSizeBytes - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled === 0) break;
      const part = buf.subarray(0, filled);
      whole.update(part);
      chunks.push(createHash('sha256').update(part).digest('hex'));
      size += filled;
      onBytes(filled);
      if (filled < chunkSizeBytes) break;
    }
    return { packagePath, sourcePath, sizeBytes: size, sha256: whole.digest('hex'), chunks };
  } finally {
    await fh.close();
  }
}

/** Reads chunk `index` of a file (for upload). */
export async function readChunk(sourcePath: string, index: number): Promise<Buffer> {
  const fh = await open(sourcePath, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunkSizeBytes);
    let filled = 0;
    while (filled < chunkSizeBytes) {
      const { bytesRead } = await fh.read(buf, filled, chunkSizeBytes - filled, index * chunkSizeBytes + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buf.subarray(0, filled);
  } finally {
    await fh.close();
  }
}
