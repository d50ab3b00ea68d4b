/**
 * Machines: the known computers (found by MAC or SMBIOS UUID when they PXE-boot), created, edited
 * and forgotten here; a deployment reaches them through machine collections.
 */
import { useState, type FormEvent } from 'react';
import type { Machine, Site } from '../../../src/contract/schemas.js';
import { useConsoleApi } from '../api/console-api.js';
import { useDraft } from '../api/drafts.js';
import { fieldMessage, formMessage, messageOf } from '../api/field-errors.js';
import { useQuery } from '../api/use-query.js';
import { useSubmit } from '../api/use-submit.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { Field, FormError } from '../components/field.js';
import { labelsToText, textToLabels } from '../components/labels.js';
import { Empty, QueryView } from '../components/state-views.js';
import { hrefOf } from '../route.js';

const fields = ['body.name', 'body.mac', 'body.smbiosUuid', 'body.siteId', 'body.labels'] as const;

export function MachinesPage() {
  const { client } = useConsoleApi();
  const machines = useQuery((signal) => client.call('listMachines', { query: { limit: 10000 } }, { signal }), [], { refreshMs: 30_000 });
  const sites = useQuery((signal) => client.call('listSites', {}, { signal }), []);
  const [editing, setEditing] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const siteNames = new Map((sites.data ?? []).map((s) => [s.id, s.name]));
  const f = filter.trim().toLowerCase();
  return (
    <div className="page">
      <h1>Machines</h1>
      <div className="columns columns-wide-left">
        <section className="panel" aria-labelledby="machines-title">
          <h2 id="machines-title">Known computers</h2>
          <div className="toolbar">
            <Field label="Find by name, MAC or UUID">{(c) => <input {...c} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />}</Field>
          </div>
          <QueryView query={machines} what="machines">
            {(list) => {
              const shown = list.filter((m) => !f || [m.name, m.mac, m.smbiosUuid].some((v) => v?.toLowerCase().includes(f)));
              if (list.length === 0) return <Empty>No known computers. Add one with the form; unknown computers can still boot when the settings allow it.</Empty>;
              if (shown.length === 0) return <Empty>No machine matches “{filter}”.</Empty>;
              return (
                <table className="table">
                  <thead><tr><th scope="col">Name</th><th scope="col">MAC</th><th scope="col">SMBIOS UUID</th><th scope="col">Site</th><th scope="col">Labels</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
                  <tbody>
                    {shown.map((m) => editing === m.id ? (
                      <tr key={m.id}><td colSpan={6}><MachineForm machine={m} sites={sites.data ?? []} onDone={() => { setEditing(null); machines.reload(); }} /></td></tr>
                    ) : (
                      <tr key={m.id}>
                        <th scope="row">{m.name ?? <span className="muted">unnamed</span>}</th>
                        <td className="mono">{m.mac ? <a href={hrefOf('events', { mac: m.mac })} title="Boot events of this MAC">{m.mac}</a> : '—'}</td>
                        <td className="mono">{m.smbiosUuid ?? '—'}</td>
                        <td>{m.siteId ? siteNames.get(m.siteId) ?? m.siteId : '—'}</td>
                        <td>{Object.entries(m.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '—'}</td>
                        <td><button type="button" className="button-small" onClick={() => setEditing(m.id)} aria-label={`Edit ${m.name ?? m.mac ?? m.id}`}>Edit</button></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              );
            }}
          </QueryView>
        </section>
        <section className="panel" aria-labelledby="new-machine-title">
          <h2 id="new-machine-title">Add a computer</h2>
          <MachineForm machine={null} sites={sites.data ?? []} onDone={machines.reload} />
        </section>
      </div>
    </div>
  );
}

function MachineForm(props: { machine: Machine | null; sites: Site[]; onDone(): void }) {
  const { client } = useConsoleApi();
  const m = props.machine;
  const [form, setForm, discard] = useDraft(`machine.${m?.id ?? 'new'}`, {
    name: m?.name ?? '', mac: m?.mac ?? '', smbiosUuid: m?.smbiosUuid ?? '', siteId: m?.siteId ?? '', labels: labelsToText(m?.labels ?? {}),
  });
  const submit = useSubmit();
  const del = useSubmit();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const body = { name: form.name.trim() || null, mac: form.mac.trim() || null, smbiosUuid: form.smbiosUuid.trim() || null, siteId: form.siteId || null, labels: textToLabels(form.labels) };
    const r = await submit.run(() => (m ? client.call('patchMachine', { params: { id: m.id }, body }) : client.call('createMachine', { body })));
    if (r) { discard(); props.onDone(); }
  };
  return (
    <form onSubmit={save} noValidate className="stack-form">
      <FormError message={formMessage(submit.error, fields) ?? (del.error ? messageOf(del.error) : undefined)} />
      <Field label="Name" error={fieldMessage(submit.error, 'body.name')}>{(c) => <input {...c} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="lab-pc-07" />}</Field>
      <Field label="MAC address" error={fieldMessage(submit.error, 'body.mac')} hint="aa:bb:cc:dd:ee:ff — give a MAC, an SMBIOS UUID, or both">{(c) => <input {...c} className="mono" value={form.mac} onChange={(e) => setForm({ ...form, mac: e.target.value })} />}</Field>
      <Field label="SMBIOS UUID" error={fieldMessage(submit.error, 'body.smbiosUuid')}>{(c) => <input {...c} className="mono" value={form.smbiosUuid} onChange={(e) => setForm({ ...form, smbiosUuid: e.target.value })} />}</Field>
      <Field label="Site" error={fieldMessage(submit.error, 'body.siteId')}>
        {(c) => <select {...c} value={form.siteId} onChange={(e) => setForm({ ...form, siteId: e.target.value })}><option value="">— none —</option>{props.sites.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}</select>}
      </Field>
      <Field label="Labels" error={fieldMessage(submit.error, 'body.labels')} hint="One key=value per line">{(c) => <textarea {...c} rows={2} value={form.labels} onChange={(e) => setForm({ ...form, labels: e.target.value })} />}</Field>
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={submit.busy}>{m ? 'Save' : 'Add computer'}</button>
        {m && <button type="button" className="button-quiet" onClick={() => { discard(); props.onDone(); }}>Cancel</button>}
        {m && <ConfirmButton label="Forget" question={`Forget ${m.name ?? m.mac ?? 'this machine'}?`} onConfirm={async () => { const ok = await del.run(() => client.call('deleteMachine', { params: { id: m.id } })); if (ok) { discard(); props.onDone(); } }} />}
      </div>
    </form>
  );
}
