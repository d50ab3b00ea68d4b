/**
 * Deployments: a boot profile assigned to a machine collection, required (boot it now) or
 * available (offered). Agents learn them through the policy push.
 */
import { useState, type FormEvent } from 'react';
import type { BootProfile, Collection, Deployment } from '../../../src/contract/schemas.js';
import { useConsoleApi } from '../api/console-api.js';
import { useDraft } from '../api/drafts.js';
import { fieldMessage, formMessage, messageOf } from '../api/field-errors.js';
import { useQuery } from '../api/use-query.js';
import { useSubmit } from '../api/use-submit.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { Field, FormError } from '../components/field.js';
import { Empty, LoadError, Loading } from '../components/state-views.js';
import { Badge } from '../components/status-badge.js';
import { hrefOf } from '../route.js';

const fields = ['body.name', 'body.profileId', 'body.collectionId', 'body.intent'] as const;

export function DeploymentsPage() {
  const { client } = useConsoleApi();
  const deployments = useQuery((signal) => client.call('listDeployments', {}, { signal }), [], { refreshMs: 30_000 });
  const profiles = useQuery((signal) => client.call('listProfiles', {}, { signal }), []);
  const collections = useQuery((signal) => client.call('listCollections', {}, { signal }), []);
  const [editing, setEditing] = useState<string | null>(null);
  const failed = deployments.error ?? profiles.error ?? collections.error;
  const ready = deployments.data && profiles.data && collections.data;
  const profileName = new Map((profiles.data ?? []).map((p) => [p.id, p.name]));
  const collectionName = new Map((collections.data ?? []).map((c) => [c.id, c.name]));
  return (
    <div className="page">
      <h1>Deployments</h1>
      <div className="columns columns-wide-left">
        <section className="panel" aria-labelledby="deployments-title">
          <h2 id="deployments-title">Assigned boot profiles</h2>
          {!ready ? (failed ? <LoadError error={failed} what="deployments" onRetry={() => { deployments.reload(); profiles.reload(); collections.reload(); }} /> : <Loading what="deployments" />)
            : deployments.data!.length === 0 ? <Empty>No deployments. A machine with no deployment is told not to boot from the network (unless it is unknown and unknown computers are answered).</Empty> : (
              <table className="table">
                <thead><tr><th scope="col">Name</th><th scope="col">Profile</th><th scope="col">Machine collection</th><th scope="col">Intent</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
                <tbody>
                  {deployments.data!.map((d) => editing === d.id ? (
                    <tr key={d.id}><td colSpan={5}><DeploymentForm deployment={d} profiles={profiles.data!} collections={collections.data!} onDone={() => { setEditing(null); deployments.reload(); }} /></td></tr>
                  ) : (
                    <tr key={d.id}>
                      <th scope="row">{d.name}</th>
                      <td>{profileName.get(d.profileId) ?? d.profileId}</td>
                      <td><a href={hrefOf('collections', { id: d.collectionId })}>{collectionName.get(d.collectionId) ?? d.collectionId}</a></td>
                      <td>{d.intent === 'required' ? <Badge tone="warn">required</Badge> : <Badge tone="info">available</Badge>}</td>
                      <td><button type="button" className="button-small" onClick={() => setEditing(d.id)} aria-label={`Edit ${d.name}`}>Edit</button></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
        </section>
        <section className="panel" aria-labelledby="new-deployment-title">
          <h2 id="new-deployment-title">New deployment</h2>
          {ready ? <DeploymentForm deployment={null} profiles={profiles.data!} collections={collections.data!} onDone={deployments.reload} /> : null}
        </section>
      </div>
    </div>
  );
}

function DeploymentForm(props: { deployment: Deployment | null; profiles: BootProfile[]; collections: Collection[]; onDone(): void }) {
  const { client } = useConsoleApi();
  const d = props.deployment;
  const [form, setForm, discard] = useDraft(`deployment.${d?.id ?? 'new'}`, {
    name: d?.name ?? '', profileId: d?.profileId ?? '', collectionId: d?.collectionId ?? '', intent: (d?.intent ?? 'available') as 'required' | 'available',
  });
  const submit = useSubmit();
  const del = useSubmit();
  const machineCollections = props.collections.filter((c) => c.memberKind === 'machine');
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const body = { name: form.name, profileId: form.profileId, collectionId: form.collectionId, intent: form.intent };
    const r = await submit.run(() => (d ? client.call('patchDeployment', { params: { id: d.id }, body }) : client.call('createDeployment', { body })));
    if (r) { discard(); props.onDone(); }
  };
  return (
    <form onSubmit={save} noValidate className="stack-form">
      <FormError message={formMessage(submit.error, fields) ?? (del.error ? messageOf(del.error) : undefined)} />
      <Field label="Name" error={fieldMessage(submit.error, 'body.name')}>{(c) => <input {...c} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="Windows 11 refresh" />}</Field>
      <Field label="Boot profile" error={fieldMessage(submit.error, 'body.profileId')}>
        {(c) => <select {...c} value={form.profileId} onChange={(e) => setForm({ ...form, profileId: e.target.value })}><option value="">— choose —</option>{props.profiles.map((p) => <option key={p.id} value={p.id}>{p.name} ({p.kind})</option>)}</select>}
      </Field>
      <Field label="Machine collection" error={fieldMessage(submit.error, 'body.collectionId')} hint={machineCollections.length === 0 ? <>No machine collections yet: <a href={hrefOf('collections')}>create one</a>.</> : undefined}>
        {(c) => <select {...c} value={form.collectionId} onChange={(e) => setForm({ ...form, collectionId: e.target.value })}><option value="">— choose —</option>{machineCollections.map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}</select>}
      </Field>
      <fieldset className="radio-group">
        <legend>Intent</legend>
        <label><input type="radio" name={`intent-${d?.id ?? 'new'}`} checked={form.intent === 'available'} onChange={() => setForm({ ...form, intent: 'available' })} /> Available: offered at boot</label>
        <label><input type="radio" name={`intent-${d?.id ?? 'new'}`} checked={form.intent === 'required'} onChange={() => setForm({ ...form, intent: 'required' })} /> Required: boots it at once</label>
        {fieldMessage(submit.error, 'body.intent') && <div className="field-error" role="alert">{fieldMessage(submit.error, 'body.intent')}</div>}
      </fieldset>
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={submit.busy}>{d ? 'Save' : 'Create deployment'}</button>
        {d && <button type="button" className="button-quiet" onClick={() => { discard(); props.onDone(); }}>Cancel</button>}
        {d && <ConfirmButton label="Delete" question={`Delete deployment ${d.name}?`} onConfirm={async () => { const ok = await del.run(() => client.call('deleteDeployment', { params: { id: d.id } })); if (ok) { discard(); props.onDone(); } }} />}
      </div>
    </form>
  );
}
