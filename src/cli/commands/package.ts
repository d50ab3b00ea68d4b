/**
 * `peerboot package import --from DIR --profile NAME`: finds the profile's files in a toolkit
 * folder, chunks and hashes them locally, uploads only the chunks the server lacks (resumable, a
 * progress bar on a TTY), then records a signed, versioned manifest that the profile now uses.
 * Works the same against a local or a remote server: everything goes through the API.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { requiredFilesOf } from '../../contract/boot-profile.js';
import { ApiError } from '../../contract/errors.js';
import type { BootProfile, ProfileKind } from '../../contract/schemas.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { connect, explainFailures, progressBar } from '../server-connection.js';
import { chunkFile, locateToolkitFiles, readChunk, type ToolkitFile } from '../toolkit-scan.js';

const usage = `Usage: peerboot package import --from DIR --profile NAME [--kind linux|ipxe|windows] [--server URL] [--token T]
       peerboot package list [--server URL] [--token T]

import: copies the files boot profile NAME needs from the toolkit folder DIR into the server's
content store (1 MiB chunks, SHA-256 per chunk and file), records a new signed package version
and points the profile at it. Files are found by the profile's path, else by name anywhere under
DIR (case-insensitive): Debian's /usr/lib/ipxe, a kernel + initrd folder, a Windows ADK tree.
With --kind, a missing profile is created with that kind's defaults. Only chunks the server
lacks are uploaded, so a re-run after an interruption resumes.
`;

const kinds = ['linux', 'ipxe', 'windows'];

async function resolveProfile(client: ReturnType<typeof connect>, name: string, kind: string | undefined): Promise<BootProfile> {
  try {
    return await client.call('getProfileByName', { params: { name } });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
    if (!kind) throw new UsageError(`no boot profile named ${name}: create it first, or pass --kind ${kinds.join('|')} to create it here`);
    process.stderr.write(`creating boot profile ${name} (${kind})\n`);
    return client.call('createProfile', { body: { name, kind: kind as ProfileKind } });
  }
}

async function importPackage(flags: Record<string, string | undefined>): Promise<number> {
  const from = flags.from;
  const name = flags.profile;
  if (!from) throw new UsageError('--from DIR is required (the toolkit folder)');
  if (!name) throw new UsageError('--profile NAME is required');
  if (flags.kind && !kinds.includes(flags.kind)) throw new UsageError(`--kind ${flags.kind}: expected ${kinds.join(', ')}`);
  try { if (!statSync(from).isDirectory()) throw new Error(); } catch { throw new UsageError(`--from ${from}: not a readable folder`); }
  const client = connect(flags);
  const server = client.urlOf('health').replace(/\/healthz$/, '');
  return explainFailures(server, async () => {
    const profile = await resolveProfile(client, name, flags.kind);
    const required = requiredFilesOf(profile);
    if (required.length === 0) throw new UsageError(`profile ${name} names no files; set its files first`);
    const scan = await locateToolkitFiles(from, required);
    if (!scan.ok) {
      throw new UsageError(`toolkit folder ${from} lacks ${scan.missing.join(', ')} (profile ${name}, ${profile.kind}, needs: ${required.join(', ')})`);
    }
    const total = scan.found.reduce((n, f) => n + statSync(f.sourcePath).size, 0);
    const hashing = progressBar('hashing  ', total);
    const files: ToolkitFile[] = [];
    for (const f of scan.found) files.push(await chunkFile(f.packagePath, f.sourcePath, (n) => hashing.add(n)));
    hashing.finish();

    const all = [...new Set(files.flatMap((f) => f.chunks))];
    const missing = new Set<string>();
    for (let i = 0; i < all.length; i += 10_000) {
      for (const m of (await client.call('findMissingChunks', { body: { sha256s: all.slice(i, i + 10_000) } })).missing) missing.add(m);
    }
    const toSend: Array<{ file: ToolkitFile; index: number; sha: string }> = [];
    const queued = new Set<string>();
    for (const file of files) file.chunks.forEach((sha, index) => { if (missing.has(sha) && !queued.has(sha)) { queued.add(sha); toSend.push({ file, index, sha }); } });
    const sendBytes = toSend.reduce((n, c) => n + Math.min(1048576, c.file.sizeBytes - c.index * 1048576), 0);
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

    const doc = await client.call('createPackage', {
      body: { name: profile.name, profileId: profile.id, files: files.map((f) => ({ path: f.packagePath, sizeBytes: f.sizeBytes, sha256: f.sha256, chunks: f.chunks })) },
    });
    const mib = (total / 1048576).toFixed(1);
    process.stdout.write(`imported ${doc.manifest.name}@${doc.manifest.version}: ${files.length} files, ${mib} MiB, ${toSend.length} chunk(s) uploaded, ${all.length - toSend.length} already stored; profile ${profile.name} now uses it\n`);
    for (const f of files) process.stdout.write(`  ${f.packagePath}  ${f.sizeBytes} bytes  sha256 ${f.sha256}  <- ${f.sourcePath}\n`);
    return 0;
  });
}

export const packageCommand: Command = {
  name: 'package',
  summary: 'Import boot toolkits (iPXE, kernel + initrd, Windows ADK) into the server as signed packages',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    let values: Record<string, string | undefined>;
    try {
      ({ values } = parseArgs({
        args: rest,
        options: { from: { type: 'string' }, profile: { type: 'string' }, kind: { type: 'string' }, server: { type: 'string' }, token: { type: 'string' }, config: { type: 'string' } },
        strict: true,
      }) as { values: Record<string, string | undefined> });
    } catch (err) {
      throw new UsageError(`${(err as Error).message} (see peerboot package --help)`);
    }
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
