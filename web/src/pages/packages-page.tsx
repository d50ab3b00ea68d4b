/**
 * Packages and boot profiles: the package versions in the content store (signed manifests, file by
 * file), and the boot profiles that name which files a PXE client gets per architecture and which
 * package holds them. Importing a package for a profile is on the P2P PXE settings page (toolkit)
 * or `peerboot package import`.
 */
import { useState, type FormEvent } from 'react';
import { profileDefaults, requiredFilesOf } from '../../../src/contract/boot-profile.js';
import type { BootProfile, PackageSummary, ProfileKind } from '../../../src/contract/schemas.js';
import { useConsoleApi } from '../api/console-api.js';
import { useDraft } from '../api/drafts.js';
import { fieldMessage, formMessage, messageOf } from '../api/field-errors.js';
import { useQuery } from '../api/use-query.js';
import { useSubmit } from '../api/use-submit.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { Field, FormError } from '../components/field.js';
import { textToList } from '../components/labels.js';
import { Empty, QueryView } from '../components/state-views.js';
import { Badge } from '../components/status-badge.js';
import { formatBytes } from '../model/agent-state.js';
import { hrefOf } from '../route.js';

export function PackagesPage() {
  const { client } = useConsoleApi();
  const packages = useQuery((signal) => client.call('listPackages', {}, { signal }), [], { refreshMs: 30_000 });
  const profiles = useQuery((signal) => client.call('listProfiles', {}, { signal }), []);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <div className="page">
      <h1>Packages &amp; profiles</h1>
      <section className="panel" aria-labelledby="packages-title">
        <h2 id="packages-title">Packages</h2>
        <QueryView query={packages} what="packages">
          {(list) => list.length === 0 ? <Empty>No packages yet. Import a toolkit on the <a href={hrefOf('settings')}>P2P PXE settings</a> page, or run <span className="mono">peerboot package import --from DIR --profile NAME</span>.</Empty> : (
            <table className="table">
              <thead><tr><th scope="col">Package</th><th scope="col">Files</th><th scope="col">Size</th><th scope="col">Used by</th><th scope="col">Created</th></tr></thead>
              <tbody>
                {list.map((p) => (
                  <PackageRow key={p.id} pkg={p} open={open === p.id} onToggle={() => setOpen(open === p.id ? null : p.id)} usedBy={(profiles.data ?? []).filter((x) => x.packageId === p.id).map((x) => x.name)} />
                ))}
              </tbody>
            </table>
          )}
        </QueryView>
      </section>
      <div className="columns columns-wide-left">
        <section className="panel" aria-labelledby="profiles-title">
          <h2 id="profiles-title">Boot profiles</h2>
          <QueryView query={profiles} what="profiles">
            {(list) => list.length === 0 ? <Empty>No boot profiles yet. Create one with the form.</Empty> : (
              <div className="profile-list">
                {list.map((p) => <ProfileEditor key={p.id} profile={p} packages={packages.data ?? []} onChanged={profiles.reload} />)}
              </div>
            )}
          </QueryView>
        </section>
        <section className="panel" aria-labelledby="new-profile-title">
          <h2 id="new-profile-title">New boot profile</h2>
          <NewProfile onCreated={profiles.reload} />
        </section>
      </div>
    </div>
  );
}

function PackageRow(props: { pkg: PackageSummary; open: boolean; onToggle(): void; usedBy: string[] }) {
  const { client } = useConsoleApi();
  const p = props.pkg;
  const manifest = useQuery((signal) => (props.open ? client.call('getPackage', { params: { id: p.id } }, { signal }) : Promise.resolve(null)), [props.open, p.id]);
  return (
    <>
      <tr>
        <th scope="row"><button type="button" className="link-button" aria-expanded={props.open} onClick={props.onToggle}>{p.name}@{p.version}</button></th>
        <td>{p.fileCount}</td><td>{formatBytes(p.totalBytes)}</td>
        <td>{props.usedBy.join(', ') || <span className="muted">no profile</span>}</td>
        <td>{new Date(p.createdAt).toLocaleString()}</td>
      </tr>
      {props.open && (
        <tr><td colSpan={5}>
          <QueryView query={manifest} what="the manifest">
            {(doc) => doc ? (
              <ul className="file-list">{doc.manifest.files.map((f) => <li key={f.path}><span className="mono">{f.path}</span> <span className="muted">{formatBytes(f.sizeBytes)} · {f.chunks.length} chunk{f.chunks.length === 1 ? '' : 's'} · sha256 {f.sha256.slice(0, 16)}…</span></li>)}</ul>
            ) : null}
          </QueryView>
        </td></tr>
      )}
    </>
  );
}

function NewProfile(props: { onCreated(): void }) {
  const { client } = useConsoleApi();
  const [form, setForm, discard] = useDraft('profile.new', { name: '', kind: 'windows' as ProfileKind });
  const submit = useSubmit();
  const create = async (e: FormEvent) => {
    e.preventDefault();
    const r = await submit.run(() => client.call('createProfile', { body: { name: form.name, kind: form.kind } }));
    if (r) { discard(); props.onCreated(); }
  };
  const d = profileDefaults(form.kind);
  return (
    <form onSubmit={create} noValidate className="stack-form">
      <FormError message={formMessage(submit.error, ['body.name', 'body.kind'])} />
      <Field label="Name" error={fieldMessage(submit.error, 'body.name')} hint="Lower case, digits, . _ - (used on the command line)">{(c) => <input {...c} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="winpe-x64" />}</Field>
      <Field label="Kind" error={fieldMessage(submit.error, 'body.kind')}>
        {(c) => (
          <select {...c} value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value as ProfileKind })}>
            <option value="windows">windows: WinPE (pxeboot / bootmgfw + boot.wim)</option>
            <option value="linux">linux: iPXE + kernel and initrd</option>
            <option value="ipxe">ipxe: iPXE + a script</option>
          </select>
        )}
      </Field>
      <p className="muted">Files it will need: <span className="mono">{requiredFilesOf(d).join(', ')}</span> (editable after creation).</p>
      <button type="submit" className="button-primary" disabled={submit.busy}>Create profile</button>
    </form>
  );
}

function ProfileEditor(props: { profile: BootProfile; packages: PackageSummary[]; onChanged(): void }) {
  const { client } = useConsoleApi();
  const p = props.profile;
  const saved = {
    bios: p.files.bios ?? '', uefiX64: p.files.uefiX64 ?? '', arm64: p.files.arm64 ?? '', kernel: p.kernel ?? '', initrd: p.initrd.join('\n'),
    cmdline: p.cmdline, ipxeScript: p.ipxeScript ?? '', extraFiles: p.extraFiles.join('\n'), packageId: p.packageId ?? '',
  };
  const [form, setForm, discard, dirty] = useDraft(`profile.${p.id}`, saved);
  const [expanded, setExpanded] = useState(false);
  const submit = useSubmit();
  const del = useSubmit();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const orNull = (s: string) => s.trim() || null;
    const r = await submit.run(() => client.call('patchProfile', {
      params: { id: p.id },
      body: {
        files: { bios: orNull(form.bios), uefiX64: orNull(form.uefiX64), arm64: orNull(form.arm64) }, kernel: orNull(form.kernel), initrd: textToList(form.initrd),
        cmdline: form.cmdline, ipxeScript: orNull(form.ipxeScript), extraFiles: textToList(form.extraFiles), packageId: form.packageId || null,
      },
    }));
    if (r) { discard(); props.onChanged(); }
  };
  const versions = props.packages.filter((x) => x.name === p.name);
  const others = props.packages.filter((x) => x.name !== p.name);
  const f = (name: keyof typeof form, label: string, hint?: string, multiline = false) => (
    <Field label={label} error={fieldMessage(submit.error, `body.${name === 'bios' || name === 'uefiX64' || name === 'arm64' ? `files.${name}` : name}`)} hint={hint}>
      {(c) => multiline ? <textarea {...c} rows={2} className="mono" value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
        : <input {...c} className="mono" value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />}
    </Field>
  );
  return (
    <article className="profile" aria-labelledby={`profile-${p.id}`}>
      <div className="panel-head">
        <h3 id={`profile-${p.id}`}>{p.name} <Badge tone="info">{p.kind}</Badge> {p.packageId ? <Badge tone="good">package set</Badge> : <Badge tone="warn">no package</Badge>}</h3>
        <button type="button" className="button-small" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>{expanded ? 'Close' : 'Edit'}</button>
      </div>
      <p className="muted mono">{requiredFilesOf(p).join(' · ') || 'no files'}</p>
      {expanded && (
        <form onSubmit={save} noValidate className="grid-form">
          <FormError message={formMessage(submit.error, ['body.files', 'body.kernel', 'body.initrd', 'body.cmdline', 'body.ipxeScript', 'body.extraFiles', 'body.packageId']) ?? (del.error ? messageOf(del.error) : undefined)} />
          {f('bios', 'BIOS boot program', 'client arch 0 (RFC 4578)')}
          {f('uefiX64', 'UEFI x64 boot program', 'client arch 7 and 9')}
          {f('arm64', 'ARM64 boot program', 'client arch 11')}
          {p.kind === 'linux' && f('kernel', 'Kernel')}
          {p.kind === 'linux' && f('initrd', 'Initrd files', 'one per line', true)}
          {p.kind === 'linux' && f('cmdline', 'Kernel command line')}
          {p.kind === 'ipxe' && f('ipxeScript', 'iPXE script', undefined, true)}
          {f('extraFiles', 'Other files the package holds', 'one per line (boot.sdi, boot.wim, …)', true)}
          <Field label="Package" error={fieldMessage(submit.error, 'body.packageId')} hint="The server checks the package holds every file above.">
            {(c) => (
              <select {...c} value={form.packageId} onChange={(e) => setForm({ ...form, packageId: e.target.value })}>
                <option value="">— none —</option>
                {versions.map((x) => <option key={x.id} value={x.id}>{x.name}@{x.version}</option>)}
                {others.map((x) => <option key={x.id} value={x.id}>{x.name}@{x.version}</option>)}
              </select>
            )}
          </Field>
          <div className="form-actions">
            <button type="submit" className="button-primary" disabled={!dirty || submit.busy}>Save profile</button>
            <button type="button" className="button-quiet" disabled={!dirty} onClick={() => { discard(saved); submit.clear(); }}>Discard changes</button>
            <ConfirmButton label="Delete" question={`Delete profile ${p.name}?`} onConfirm={async () => { const ok = await del.run(() => client.call('deleteProfile', { params: { id: p.id } })); if (ok) { discard(); props.onChanged(); } }} />
          </div>
        </form>
      )}
    </article>
  );
}
