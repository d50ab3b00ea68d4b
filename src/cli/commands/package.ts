/**
 * `peerboot package import --from DIR --profile NAME`: finds the profile's files in a toolkit
 * folder, chunks and hashes them locally, uploads only the chunks the server lacks (resumable, a
 * progress bar on a TTY), then records a signed, versioned manifest that the profile now uses.
 * Works the same against a local or a remote server: everything goes through the API.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { profileSpecFromCreate, requiredFilesOf, specOf, type ProfileSpec } from '../../contract/boot-profile.js';
import { chunkSizeBytes } from '../../contract/manifest.js';
import { ApiError } from '../../contract/errors.js';
import type { BootProfile, BootProfileCreate, ProfileKind } from '../../contract/schemas.js';
import type { Command } from '../command.js';
import { parseFlags } from '../options.js';
import { UsageError } from '../command.js';
import { connect, explainFailures, progressBar } from '../server-connection.js';
import { findInitrdFor, findKernel, type Found } from '../linux-boot-files.js';
import { chunkFile, listToolkit, locateToolkitFiles, readChunk, type ToolkitEntry, type ToolkitFile } from '../toolkit-scan.js';

/** Where Debian's `ipxe` package installs the iPXE boot programs a linux or ipxe profile offers. */
const debianIpxeDir = '/usr/lib/ipxe';

const usage = `Usage: peerboot package import --from DIR --profile NAME [--kind linux|ipxe|windows]
                               [--kernel PATH] [--initrd PATH[,PATH…]] [--cmdline TEXT] [--server URL] [--token T]
       peerboot package list [--server URL] [--token T]

import: copies the files boot profile NAME needs from the toolkit folder DIR into the server's
content store (1 MiB chunks, SHA-256 per chunk and file), records a new signed package version
and points the profile at it. Files are found by the profile's path, else by name anywhere under
DIR (case-insensitive): Debian's /usr/lib/ipxe, a kernel + initrd folder, a Windows ADK tree.
With --kind, a missing profile is created with that kind's defaults, only once every file it
needs was found: a failed import leaves nothing behind.
Linux profiles: the kernel and initrd are found by the names distributions use (vmlinuz*, linux,
bzImage; initrd*, initramfs*) unless --kernel / --initrd name them (paths inside DIR); --cmdline
sets the kernel command line. The iPXE boot programs (undionly.kpxe, ipxe.efi) are taken from DIR,
else from ${debianIpxeDir} (Debian's ipxe package). Only chunks the server lacks are uploaded, so a
re-run after an interruption resumes.
`;

const kinds = ['linux', 'ipxe', 'windows'];

type Flags = Record<string, string | undefined>;
type Client = ReturnType<typeof connect>;
type SpecFields = Pick<BootProfileCreate, 'kernel' | 'initrd' | 'cmdline'>;

/** The profile named NAME, or null when the server has none. */
async function findProfile(client: Client, name: string): Promise<BootProfile | null> {
  try {
    return await client.call('getProfileByName', { params: { name } });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** The kernel/initrd/cmdline this import sets: the flags, else (new linux profile) what the folder holds. */
function linuxFields(flags: Flags, kind: ProfileKind, existing: BootProfile | null, listing: ToolkitEntry[]): SpecFields {
  const fields: SpecFields = {};
  if (kind !== 'linux') {
    for (const f of ['kernel', 'initrd', 'cmdline']) if (flags[f] !== undefined) throw new UsageError(`--${f} is for linux profiles; profile ${flags.profile} is ${kind}`);
    return fields;
  }
  if (flags.kernel !== undefined) fields.kernel = flags.kernel;
  if (flags.initrd !== undefined) fields.initrd = flags.initrd.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (flags.cmdline !== undefined) fields.cmdline = flags.cmdline;
  if (!existing) {
    // What the admin did not name is found by the names distributions use (linux-boot-files.ts).
    const paths = listing.map((f) => f.rel);
    const found = (f: Found) => {
      if (!f.ok) throw new UsageError(`toolkit folder ${flags.from}: ${f.reason}`);
      return f.path;
    };
    fields.kernel ??= found(findKernel(paths));
    fields.initrd ??= [found(findInitrdFor(fields.kernel!, paths))];
  }
  return fields;
}

/**
 * Finds every file the profile needs: in DIR, and the iPXE boot programs that DIR lacks in
 * Debian's ipxe folder. One error names each file still missing and where it was looked for.
 */
async function locateAll(from: string, listing: ToolkitEntry[], spec: ProfileSpec, name: string, kind: ProfileKind) {
  const required = requiredFilesOf(spec);
  if (required.length === 0) throw new UsageError(`profile ${name} names no files; set its files first`);
  const scan = await locateToolkitFiles(from, required, listing);
  if (scan.missing.length === 0) return scan.found;
  const programs = new Set([spec.files.bios, spec.files.uefiX64].filter((p): p is string => !!p));
  const fromIpxe = kind !== 'windows' && scan.missing.every((m) => programs.has(m)) && existsSync(debianIpxeDir)
    ? await locateToolkitFiles(debianIpxeDir, scan.missing) : null;
  if (!fromIpxe || fromIpxe.missing.length > 0) {
    const looked = kind !== 'windows' && existsSync(debianIpxeDir) ? `${from} (and ${debianIpxeDir} for the iPXE boot programs)` : from;
    throw new UsageError(`toolkit folder ${from} lacks ${scan.missing.join(', ')}: looked under ${looked} (profile ${name}, ${kind}, needs: ${required.join(', ')}); nothing was imported`);
  }
  process.stderr.write(`${scan.missing.join(', ')} not in ${from}: taken from ${debianIpxeDir} (Debian's ipxe package)\n`);
  return [...scan.found, ...fromIpxe.found];
}

async function importPackage(flags: Flags): Promise<number> {
  const from = flags.from;
  const name = flags.profile;
  if (!from) throw new UsageError('--from DIR is required (the toolkit folder)');
  if (!name) throw new UsageError('--profile NAME is required');
  if (flags.kind && !kinds.includes(flags.kind)) throw new UsageError(`--kind ${flags.kind}: expected ${kinds.join(', ')}`);
  try { if (!statSync(from).isDirectory()) throw new Error(); } catch { throw new UsageError(`--from ${from}: not a readable folder`); }
  const client = connect(flags);
  const server = client.urlOf('health').replace(/\/healthz$/, '');
  return explainFailures(server, async () => {
    // Everything is checked before anything is created: a failed import leaves no half-made profile.
    const existing = await findProfile(client, name);
    if (!existing && !flags.kind) throw new UsageError(`no boot profile named ${name}: create it first, or pass --kind ${kinds.join('|')} to create it here`);
    if (existing && flags.kind && flags.kind !== existing.kind) throw new UsageError(`profile ${name} is ${existing.kind}, not ${flags.kind}: drop --kind or import under another --profile name`);
    const kind = existing?.kind ?? (flags.kind as ProfileKind);
    const listing = await listToolkit(from);
    const fields = linuxFields(flags, kind, existing, listing);
    const spec: ProfileSpec = existing ? { ...specOf(existing), ...fields } : profileSpecFromCreate({ name, kind, ...fields });
    const located = await locateAll(from, listing, spec, name, kind);

    const total = located.reduce((n, f) => n + statSync(f.sourcePath).size, 0);
    const hashing = progressBar('hashing  ', total);
    const files: ToolkitFile[] = [];
    for (const f of located) files.push(await chunkFile(f.packagePath, f.sourcePath, (n) => hashing.add(n)));
    hashing.finish();
    const uploaded = await uploadMissingChunks(client, files);

    const record = (profileId?: string) => client.call('createPackage', {
      body: { name, ...(profileId ? { profileId } : {}), files: files.map((f) => ({ path: f.packagePath, sizeBytes: f.sizeBytes, sha256: f.sha256, chunks: f.chunks })) },
    });
    let doc;
    if (!existing) {
      process.stderr.write(`creating boot profile ${name} (${kind})\n`);
      const created = await client.call('createProfile', { body: { name, kind, ...fields } });
      try {
        doc = await record(created.id);
      } catch (err) {
        await client.call('deleteProfile', { params: { id: created.id } }).catch(() => undefined);
        throw err;
      }
    } else if (Object.keys(fields).length > 0) {
      // New files and the package that holds them reach the profile in one write.
      doc = await record();
      await client.call('patchProfile', { params: { id: existing.id }, body: { ...fields, packageId: doc.manifest.id } });
    } else {
      doc = await record(existing.id);
    }
    const mib = (total / 1048576).toFixed(1);
    const allChunks = new Set(files.flatMap((f) => f.chunks)).size;
    process.stdout.write(`imported ${doc.manifest.name}@${doc.manifest.version}: ${files.length} files, ${mib} MiB, ${uploaded} chunk(s) uploaded, ${allChunks - uploaded} already stored; profile ${name} now uses it\n`);
    for (const f of files) process.stdout.write(`  ${f.packagePath}  ${f.sizeBytes} bytes  sha256 ${f.sha256}  <- ${f.sourcePath}\n`);
    return 0;
  });
}

/** Uploads the chunks the server lacks (a few in flight); returns how many were sent. */
async function uploadMissingChunks(client: Client, files: ToolkitFile[]): Promise<number> {
  const all = [...new Set(files.flatMap((f) => f.chunks))];
  const missing = new Set<string>();
  for (let i = 0; i < all.length; i += 10_000) {
    for (const m of (await client.call('findMissingChunks', { body: { sha256s: all.slice(i, i + 10_000) } })).missing) missing.add(m);
  }
  const toSend: Array<{ file: ToolkitFile; index: number; sha: string }> = [];
  const queued = new Set<string>();
  for (const file of files) file.chunks.forEach((sha, index) => { if (missing.has(sha) && !queued.has(sha)) { queued.add(sha); toSend.push({ file, index, sha }); } });
  const sendBytes = toSend.reduce((n, c) => n + Math.min(chunkSizeBytes, c.file.sizeBytes - c.index * chunkSizeBytes), 0);
  const uploading = progressBar('uploading', sendBytes);
  // A few uploads in flight: enough to fill a LAN link, few enough to stay gentle.
  let next = 0;
  const worker = async () => {
    while (next < toSend.length) {
      const c = toSend[next++]!;
      const bytes = await readChunk(c.file.sourcePath, c.index);
      if (createHash('sha256').update(bytes).digest('hex') !== c.sha) throw new UsageError(`${c.file.sourcePath} changed while importing; run the import again`, 1);
      await client.call('putChunk', { params: { sha256: c.sha }, body: bytes });
      uploading.add(bytes.byteLength);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  uploading.finish();
  return toSend.length;
}

export const packageCommand: Command = {
  name: 'package',
  summary: 'Import boot toolkits (iPXE, kernel + initrd, Windows ADK) into the server as signed packages',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    const { values } = parseFlags('package', rest, {
      from: { type: 'string' }, profile: { type: 'string' }, kind: { type: 'string' }, kernel: { type: 'string' }, initrd: { type: 'string' },
      cmdline: { type: 'string' }, server: { type: 'string' }, token: { type: 'string' }, config: { type: 'string' },
    });
    if (sub === 'import') return importPackage(values);
    if (sub === 'list') {
      const client = connect(values);
      const list = await explainFailures(client.urlOf('health'), () => client.call('listPackages', {}));
      for (const p of list) process.stdout.write(`${p.name}@${p.version}\t${p.fileCount} files\t${p.totalBytes} bytes\t${p.createdAt}\t${p.id}\n`);
      return 0;
    }
    throw new UsageError(`unknown subcommand '${sub ?? ''}': expected import or list`);
  },
};
