/**
 * The files every server serves: random bytes generated once under the bench cache, with their
 * sha256 recorded in a manifest so every download can be verified without rehashing the source.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface BenchFile {
  /** Name inside the served root. */
  name: string;
  size: number;
  sha256: string;
}

export const MiB = 1024 * 1024;

/** Sizes the bench uses, by name. The 32 MiB and 300 MiB files are the issue's; the small ones keep slow scenarios short. */
export const fileSizes = {
  'boot-256k.bin': 256 * 1024,
  'boot-1m.bin': 1 * MiB,
  'boot-4m.bin': 4 * MiB,
  'boot-32m.bin': 32 * MiB,
  'boot-300m.bin': 300 * MiB,
} as const;
export type BenchFileName = keyof typeof fileSizes;

/** sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Makes sure `root` holds the named files (generating missing ones) and returns their manifest entries. */
export async function ensureFiles(root: string, names: readonly BenchFileName[], log: (line: string) => void): Promise<Map<BenchFileName, BenchFile>> {
  await mkdir(root, { recursive: true, mode: 0o755 });
  await chmod(root, 0o755); // servers that drop to nobody must read it
  const manifestPath = join(root, '..', 'files-manifest.json');
  let manifest: Record<string, BenchFile> = {};
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, BenchFile>;
  } catch {
    manifest = {};
  }
  const out = new Map<BenchFileName, BenchFile>();
  for (const name of names) {
    const size = fileSizes[name];
    const path = join(root, name);
    const known = manifest[name];
    const onDisk = await stat(path).catch(() => null);
    if (known && known.size === size && onDisk && onDisk.size === size) {
      out.set(name, known);
      continue;
    }
    log(`generating ${name} (${size} bytes of random data)`);
    const hash = createHash('sha256');
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, 'w', 0o644);
    const chunk = Buffer.allocUnsafe(4 * MiB);
    for (let done = 0; done < size; done += chunk.length) {
      const part = chunk.subarray(0, Math.min(chunk.length, size - done));
      randomFillSync(part);
      hash.update(part);
      await fh.write(part);
    }
    await fh.close();
    await chmod(tmp, 0o644);
    await rename(tmp, path);
    const entry = { name, size, sha256: hash.digest('hex') };
    manifest[name] = entry;
    out.set(name, entry);
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  }
  return out;
}
