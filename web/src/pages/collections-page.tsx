/**
 * Collections: named sets of agents (targets of the P2P PXE settings) or machines (targets of
 * deployments). Members are static (picked here) or match a rule (subnet, name pattern, label);
 * the resolved member list shows who belongs now.
 */
import { useState, type FormEvent } from 'react';
import type { Agent, Collection, CollectionRule, Machine } from '../../../src/contract/schemas.js';
import { useConsoleApi } from '../api/console-api.js';
import { useDraft } from '../api/drafts.js';
import { concerns, fieldMessage, formMessage, messageOf } from '../api/field-errors.js';
import { useQuery } from '../api/use-query.js';
import { useSubmit } from '../api/use-submit.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { Field, FormError } from '../components/field.js';
import { Empty, QueryView } from '../components/state-views.js';
import { Badge } from '../components/status-badge.js';
import { describeRules } from '../components/target-collections.js';
import { hrefOf, useRoute } from '../route.js';

export function CollectionsPage(props: { params: URLSearchParams }) {
  const { client } = useConsoleApi();
  const [, go] = useRoute();
  const selected = props.params.get('id') ?? '';
  const collections = useQuery((signal) => client.call('listCollections', {}, { signal }), [], { refreshMs: 30_000 });
  const current = collections.data?.find((c) => c.id === selected);
  return (
    <div className="page">
      <h1>Collections</h1>
      <div className="columns columns-narrow-left">
        <section className="panel" aria-labelledby="collections-title">
          <h2 id="collections-title">All collections</h2>
          <QueryView query={collections} what="collections">
            {(list) => list.length === 0 ? <Empty>No collections yet. Create one below: an agent collection to make its members PXE responders, or a machine collection to deploy to.</Empty> : (
              <ul className="nav-list">
                {list.map((c) => (
                  <li key={c.id}>
                    <a href={hrefOf('collections', { id: c.id })} aria-current={c.id === selected ? 'true' : undefined}>
                      <strong>{c.name}</strong> <Badge tone={c.memberKind === 'agent' ? 'info' : 'muted'}>{c.memberKind === 'agent' ? 'agents' : 'machines'}</Badge>
                      <span className="muted">{describeRules(c)}</span>
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </QueryView>
          <h3>New collection</h3>
          <NewCollection onCreated={(c) => { collections.reload(); go('collections', { id: c.id }); }} />
        </section>
        {current
          ? <CollectionEditor key={current.id} collection={current} onSaved={collections.reload} onDeleted={() => { collections.reload(); go('collections'); }} />
          : <section className="panel"><Empty>Select a collection to edit its members and rules.</Empty></section>}
      </div>
    </div>
  );
}

function NewCollection(props: { onCreated(c: Collection): void }) {
  const { client } = useConsoleApi();
  const [form, setForm, discard] = useDraft('collection.new', { name: '', memberKind: 'agent' as 'agent' | 'machine' });
  const submit = useSubmit();
  const create = async (e: FormEvent) => {
    e.preventDefault();
    const r = await submit.run(() => client.call('createCollection', { body: { name: form.name, memberKind: form.memberKind } }));
    if (r) { discard(); props.onCreated(r); }
  };
  return (
    <form onSubmit={create} noValidate className="stack-form">
      <FormError message={formMessage(submit.error, ['body.name', 'body.memberKind'])} />
      <Field label="Name" error={fieldMessage(submit.error, 'body.name')}>{(c) => <input {...c} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="Branch responders" />}</Field>
      <fieldset className="radio-group">
        <legend>Members are</legend>
        <label><input type="radio" name="memberKind" checked={form.memberKind === 'agent'} onChange={() => setForm({ ...form, memberKind: 'agent' })} /> Agents (can be P2P PXE targets)</label>
        <label><input type="radio" name="memberKind" checked={form.memberKind === 'machine'} onChange={() => setForm({ ...form, memberKind: 'machine' })} /> Machines (can get deployments)</label>
      </fieldset>
      <button type="submit" className="button-primary" disabled={submit.busy}>Create collection</button>
    </form>
  );
}

const emptyRule = (kind: CollectionRule['kind']): CollectionRule => (kind === 'subnet' ? { kind, cidr: '' } : kind === 'namePattern' ? { kind, pattern: '' } : { kind, key: '', value: '' });

/** Drops empty optional fields so the server sees what the admin meant. */
function cleanRule(r: CollectionRule): CollectionRule {
  if (r.kind === 'subnet') return { kind: 'subnet', cidr: r.cidr ?? '' };
  if (r.kind === 'namePattern') return { kind: 'namePattern', pattern: r.pattern ?? '' };
  return r.value ? { kind: 'label', key: r.key ?? '', value: r.value } : { kind: 'label', key: r.key ?? '' };
}

function CollectionEditor(props: { collection: Collection; onSaved(): void; onDeleted(): void }) {
  const { client } = useConsoleApi();
  const c = props.collection;
  const saved = { name: c.name, members: c.members, rules: c.rules };
  const [form, setForm, discard, dirty] = useDraft(`collection.${c.id}`, saved);
  const submit = useSubmit();
  const del = useSubmit();
  const resolved = useQuery((signal) => client.call('collectionMembers', { params: { id: c.id } }, { signal }), [c.id, c.members.join(), JSON.stringify(c.rules)], { refreshMs: 15_000 });
  const agents = useQuery((signal) => (c.memberKind === 'agent' ? client.call('listAgents', { query: { limit: 10000 } }, { signal }) : Promise.resolve([] as Agent[])), [c.memberKind]);
  const machines = useQuery((signal) => (c.memberKind === 'machine' ? client.call('listMachines', { query: { limit: 10000 } }, { signal }) : Promise.resolve([] as Machine[])), [c.memberKind]);
  const candidates: Array<{ id: string; label: string }> = c.memberKind === 'agent'
    ? (agents.data ?? []).map((a) => ({ id: a.id, label: a.hostname }))
    : (machines.data ?? []).map((m) => ({ id: m.id, label: m.name ?? m.mac ?? m.smbiosUuid ?? m.id }));
  const nameOf = new Map(candidates.map((x) => [x.id, x.label]));
  const [memberFilter, setMemberFilter] = useState('');

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const r = await submit.run(() => client.call('patchCollection', { params: { id: c.id }, body: { name: form.name, members: form.members, rules: form.rules.map(cleanRule) } }));
    if (r) { discard({ name: r.name, members: r.members, rules: r.rules }); props.onSaved(); resolved.reload(); }
  };
  const setRule = (i: number, rule: CollectionRule) => setForm((f) => ({ ...f, rules: f.rules.map((r, j) => (j === i ? rule : r)) }));
  const toggleMember = (id: string, on: boolean) => setForm((f) => ({ ...f, members: on ? [...f.members, id] : f.members.filter((m) => m !== id) }));
  const mf = memberFilter.trim().toLowerCase();

  return (
    <section className="panel" aria-labelledby="collection-editor-title">
      <div className="panel-head">
        <h2 id="collection-editor-title">{c.name} <Badge tone={c.memberKind === 'agent' ? 'info' : 'muted'}>{c.memberKind === 'agent' ? 'agents' : 'machines'}</Badge></h2>
        <ConfirmButton label="Delete" question={`Delete collection ${c.name}?`} onConfirm={async () => { const ok = await del.run(() => client.call('deleteCollection', { params: { id: c.id } })); if (ok) { discard(); props.onDeleted(); } }} />
      </div>
      {del.error ? <div className="form-error" role="alert">{messageOf(del.error)}</div> : null}
      <form onSubmit={save} noValidate>
        <FormError message={formMessage(submit.error, ['body.name', 'body.members', 'body.rules'])} />
        <Field label="Name" error={fieldMessage(submit.error, 'body.name')}>{(ctl) => <input {...ctl} value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} />}</Field>

        <fieldset className="rules">
          <legend>Rules <span className="muted">(a {c.memberKind} belongs when any rule matches)</span></legend>
          {form.rules.length === 0 && <p className="muted">No rules: only the static members below belong.</p>}
          {form.rules.map((r, i) => {
            const at = `body.rules[${i}]`;
            return (
              <div key={i} className={`rule-row${concerns(submit.error, at) ? ' field-invalid' : ''}`}>
                <Field label={`Rule ${i + 1} kind`}>
                  {(ctl) => (
                    <select {...ctl} value={r.kind} onChange={(e) => setRule(i, emptyRule(e.target.value as CollectionRule['kind']))}>
                      <option value="subnet">Subnet</option><option value="namePattern">Name pattern</option><option value="label">Label</option>
                    </select>
                  )}
                </Field>
                {r.kind === 'subnet' && <Field label="Subnet (CIDR)" error={fieldMessage(submit.error, `${at}.cidr`)}>{(ctl) => <input {...ctl} className="mono" value={r.cidr ?? ''} onChange={(e) => setRule(i, { ...r, cidr: e.target.value })} placeholder="10.20.0.0/16" />}</Field>}
                {r.kind === 'namePattern' && <Field label="Pattern (* and ?)" error={fieldMessage(submit.error, `${at}.pattern`)}>{(ctl) => <input {...ctl} value={r.pattern ?? ''} onChange={(e) => setRule(i, { ...r, pattern: e.target.value })} placeholder="branch-*" />}</Field>}
                {r.kind === 'label' && <>
                  <Field label="Label key" error={fieldMessage(submit.error, `${at}.key`)}>{(ctl) => <input {...ctl} value={r.key ?? ''} onChange={(e) => setRule(i, { ...r, key: e.target.value })} />}</Field>
                  <Field label="Value (empty: any)" error={fieldMessage(submit.error, `${at}.value`)}>{(ctl) => <input {...ctl} value={r.value ?? ''} onChange={(e) => setRule(i, { ...r, value: e.target.value })} />}</Field>
                </>}
                <button type="button" className="button-small" onClick={() => setForm((f) => ({ ...f, rules: f.rules.filter((_, j) => j !== i) }))} aria-label={`Remove rule ${i + 1}`}>Remove</button>
                {fieldMessage(submit.error, at) && !['cidr', 'pattern', 'key', 'value'].some((k) => concerns(submit.error, `${at}.${k}`)) && <div className="field-error" role="alert">{fieldMessage(submit.error, at)}</div>}
              </div>
            );
          })}
          <button type="button" className="button-small" onClick={() => setForm((f) => ({ ...f, rules: [...f.rules, emptyRule('subnet')] }))}>Add rule</button>
        </fieldset>

        <fieldset className="members">
          <legend>Static members ({form.members.length})</legend>
          {fieldMessage(submit.error, 'body.members') && <div className="field-error" role="alert">{fieldMessage(submit.error, 'body.members')}</div>}
          {candidates.length === 0 ? <p className="muted">No {c.memberKind === 'agent' ? 'agents enrolled' : 'known machines'} yet.</p> : (
            <>
              <Field label={`Find ${c.memberKind}s`}>{(ctl) => <input {...ctl} type="search" value={memberFilter} onChange={(e) => setMemberFilter(e.target.value)} />}</Field>
              <ul className="checklist">
                {candidates.filter((x) => !mf || x.label.toLowerCase().includes(mf)).slice(0, 200).map((x) => (
                  <li key={x.id}><label><input type="checkbox" checked={form.members.includes(x.id)} onChange={(e) => toggleMember(x.id, e.target.checked)} /> {x.label}</label></li>
                ))}
              </ul>
            </>
          )}
        </fieldset>

        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={!dirty || submit.busy}>{submit.busy ? 'Saving…' : 'Save collection'}</button>
          <button type="button" className="button-quiet" disabled={!dirty} onClick={() => { discard(saved); submit.clear(); }}>Discard changes</button>
        </div>
      </form>

      <h3>Members now</h3>
      <QueryView query={resolved} what="members">
        {(m) => m.ids.length === 0 ? <Empty>Nobody belongs to this collection yet.</Empty> : <p>{m.ids.map((id) => nameOf.get(id) ?? id).sort().join(', ')}</p>}
      </QueryView>
    </section>
  );
}
