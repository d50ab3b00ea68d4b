/**
 * Agents: every enrolled peer with its state (serving, standby, preparing, idle, offline) and why,
 * filtered by site; one agent's labels, interfaces and packages; enrollment tokens to add agents;
 * and the sites (named sets of subnets) agents are placed in, with each site's WAN bandwidth.
 */
import { useState, type FormEvent } from 'react';
import type { Agent, Site } from '../../../src/contract/schemas.js';
import { useConsoleApi } from '../api/console-api.js';
import { useDraft } from '../api/drafts.js';
import { fieldMessage, formMessage, messageOf } from '../api/field-errors.js';
import { useQuery } from '../api/use-query.js';
import { useSubmit } from '../api/use-submit.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { Field, FormError } from '../components/field.js';
import { SiteWanFields } from '../components/site-wan-fields.js';
import { labelsToText, textToLabels, textToList } from '../components/labels.js';
import { Empty, QueryView } from '../components/state-views.js';
import { AgentStateBadge, Badge } from '../components/status-badge.js';
import { agentStateOf, formatAgo } from '../model/agent-state.js';
import { wanFormOf, wanOfForm, wanSummary } from '../model/site-wan.js';
import { useRoute } from '../route.js';

export function AgentsPage(props: { params: URLSearchParams }) {
  const { client, connection } = useConsoleApi();
  const [, go] = useRoute();
  const siteId = props.params.get('site') ?? '';
  const selected = props.params.get('agent') ?? '';
  const sites = useQuery((signal) => client.call('listSites', {}, { signal }), [], { refreshMs: 30_000 });
  const agents = useQuery((signal) => client.call('listAgents', { query: siteId ? { siteId, limit: 10000 } : { limit: 10000 } }, { signal }), [siteId], { refreshMs: 3000 });
  const siteNames = new Map((sites.data ?? []).map((s) => [s.id, s.name]));
  const now = connection.serverNowMs();
  const current = agents.data?.find((a) => a.id === selected);

  return (
    <div className="page">
      <h1>Agents</h1>
      <div className="toolbar">
        <Field label="Site">
          {(c) => (
            <select {...c} value={siteId} onChange={(e) => go('agents', { site: e.target.value || undefined })}>
              <option value="">All sites</option>
              {(sites.data ?? []).map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
            </select>
          )}
        </Field>
      </div>
      <section className="panel" aria-labelledby="agents-title">
        <h2 id="agents-title" className="visually-hidden">Agent list</h2>
        <QueryView query={agents} what="agents">
          {(list) => list.length === 0
            ? <Empty>{siteId ? 'No agent in this site.' : <>No agent has enrolled yet. Create an enrollment token below, then run <span className="mono">peerboot agent --server URL --token TOKEN</span> on the machines that should boot their neighbours.</>}</Empty>
            : (
              <table className="table" data-testid="agents-table">
                <thead><tr><th scope="col">Hostname</th><th scope="col">State</th><th scope="col">Why</th><th scope="col">Site</th><th scope="col">Addresses</th><th scope="col">Last report</th><th scope="col">Version</th></tr></thead>
                <tbody>
                  {list.map((a) => {
                    const st = agentStateOf(a, now);
                    return (
                      <tr key={a.id} data-agent={a.hostname} className={a.id === selected ? 'selected' : undefined}>
                        <th scope="row"><a href={`#/agents?${new URLSearchParams({ ...(siteId ? { site: siteId } : {}), agent: a.id })}`}>{a.hostname}</a></th>
                        <td><AgentStateBadge state={st.state} detail={st.detail} /></td>
                        <td>{st.detail}</td>
                        <td>{a.siteId ? siteNames.get(a.siteId) ?? a.siteId : '—'}</td>
                        <td className="mono">{a.interfaces.flatMap((i) => i.addresses).join(', ') || '—'}</td>
                        <td>{a.lastSeenAt ? `${formatAgo(now - Date.parse(a.lastSeenAt))} ago` : 'never'}</td>
                        <td>{a.version}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
        </QueryView>
      </section>
      {current && <AgentDetail key={current.id} agent={current} siteName={current.siteId ? siteNames.get(current.siteId) ?? current.siteId : null} onChanged={agents.reload} onClose={() => go('agents', { site: siteId || undefined })} />}
      <div className="columns">
        <EnrollmentTokens />
        <Sites sites={sites} onChanged={() => { sites.reload(); agents.reload(); }} />
      </div>
    </div>
  );
}

function AgentDetail(props: { agent: Agent; siteName: string | null; onChanged(): void; onClose(): void }) {
  const { client } = useConsoleApi();
  const a = props.agent;
  const [labels, setLabels, discard, dirty] = useDraft(`agent-labels.${a.id}`, labelsToText(a.labels));
  const submit = useSubmit();
  const del = useSubmit();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const r = await submit.run(() => client.call('patchAgent', { params: { id: a.id }, body: { labels: textToLabels(labels) } }));
    if (r) { discard(labelsToText(r.labels)); props.onChanged(); }
  };
  return (
    <section className="panel" aria-labelledby="agent-detail-title">
      <div className="panel-head">
        <h2 id="agent-detail-title">{a.hostname}</h2>
        <button type="button" className="button-quiet" onClick={props.onClose}>Close</button>
      </div>
      <dl className="facts">
        <dt>Role</dt><dd>{a.role} <span className="muted">({a.roleReason})</span></dd>
        <dt>Site</dt><dd>{props.siteName ?? '—'}</dd>
        <dt>PXE responder</dt><dd>{a.serving ? 'up' : 'down'}</dd>
        <dt>Packages</dt><dd>{a.packages.length === 0 ? 'none reported' : a.packages.map((p) => `${p.packageId.slice(0, 8)}: ${p.ready ? 'ready' : `${p.chunksHeld ?? 0}/${p.chunksTotal ?? '?'} chunks`}`).join(' · ')} {a.packagesReady ? <Badge tone="good">all ready</Badge> : <Badge tone="warn">incomplete</Badge>}</dd>
        <dt>Interfaces</dt><dd className="mono">{a.interfaces.map((i) => `${i.name} ${i.mac} ${i.addresses.join(' ')}`).join('; ') || '—'}</dd>
        <dt>Policy</dt><dd className="mono">{a.policyEtag ?? 'none yet'}</dd>
        <dt>Enrolled</dt><dd>{new Date(a.enrolledAt).toLocaleString()}</dd>
      </dl>
      <form onSubmit={save} noValidate>
        <FormError message={formMessage(submit.error, ['body.labels'])} />
        <Field label="Labels" error={fieldMessage(submit.error, 'body.labels')} hint="One key=value per line; collection rules can match on them.">
          {(c) => <textarea {...c} rows={3} value={labels} onChange={(e) => setLabels(e.target.value)} />}
        </Field>
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={!dirty || submit.busy}>Save labels</button>
          <ConfirmButton label="Forget agent" question={`Forget ${a.hostname} and revoke its credential?`} onConfirm={async () => { const ok = await del.run(() => client.call('deleteAgent', { params: { id: a.id } })); if (ok) { props.onClose(); props.onChanged(); } }} />
        </div>
        {del.error ? <div className="form-error" role="alert">{messageOf(del.error)}</div> : null}
      </form>
    </section>
  );
}

function EnrollmentTokens() {
  const { client } = useConsoleApi();
  const tokens = useQuery((signal) => client.call('listEnrollmentTokens', {}, { signal }), []);
  const [form, setForm, discard] = useDraft('enrollment-token', { name: '', expiresInHours: '24', usesMax: '100' });
  const [created, setCreated] = useState<string | null>(null);
  const submit = useSubmit();
  const create = async (e: FormEvent) => {
    e.preventDefault();
    const r = await submit.run(() => client.call('createEnrollmentToken', { body: { name: form.name, expiresInHours: Number(form.expiresInHours), usesMax: Number(form.usesMax) } }));
    if (r) { setCreated(r.token); discard(); tokens.reload(); }
  };
  return (
    <section className="panel" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Enrollment tokens</h2>
      <form onSubmit={create} noValidate className="inline-form">
        <FormError message={formMessage(submit.error, ['body.name', 'body.expiresInHours', 'body.usesMax'])} />
        <Field label="Name" error={fieldMessage(submit.error, 'body.name')}>{(c) => <input {...c} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="branch rollout" />}</Field>
        <Field label="Valid for (hours)" error={fieldMessage(submit.error, 'body.expiresInHours')}>{(c) => <input {...c} type="number" min={1} value={form.expiresInHours} onChange={(e) => setForm({ ...form, expiresInHours: e.target.value })} />}</Field>
        <Field label="Uses" error={fieldMessage(submit.error, 'body.usesMax')}>{(c) => <input {...c} type="number" min={1} value={form.usesMax} onChange={(e) => setForm({ ...form, usesMax: e.target.value })} />}</Field>
        <button type="submit" className="button-primary" disabled={submit.busy}>Create token</button>
      </form>
      {created && (
        <div className="notice notice-good" role="status">
          Token (shown once): <code className="token">{created}</code>
          <div>On each machine: <code>peerboot agent --server {window.location.origin} --token {created}</code></div>
        </div>
      )}
      <QueryView query={tokens} what="enrollment tokens">
        {(list) => list.length === 0 ? <Empty>No enrollment tokens.</Empty> : (
          <table className="table compact">
            <thead><tr><th scope="col">Name</th><th scope="col">Uses</th><th scope="col">Expires</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
            <tbody>{list.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td><td>{t.uses} / {t.usesMax}</td><td>{new Date(t.expiresAt).toLocaleString()}</td>
                <td><ConfirmButton label="Revoke" question={`Revoke ${t.name}?`} onConfirm={async () => { await client.call('deleteEnrollmentToken', { params: { id: t.id } }).catch(() => {}); tokens.reload(); }} /></td>
              </tr>
            ))}</tbody>
          </table>
        )}
      </QueryView>
    </section>
  );
}

function Sites(props: { sites: { data: Site[] | undefined; error: unknown; loading: boolean; reload(): void }; onChanged(): void }) {
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <section className="panel" aria-labelledby="sites-title">
      <h2 id="sites-title">Sites</h2>
      <p className="muted">A site is a set of subnets, like an office. Agents are placed by their address; a site is created for every new subnet an agent reports.</p>
      <QueryView query={props.sites} what="sites">
        {(list) => (
          <>
            {list.length === 0 ? <Empty>No sites yet.</Empty> : (
              <ul className="plain-list">
                {list.map((s) => (
                  <li key={s.id}>
                    {editing === s.id
                      ? <SiteForm site={s} onDone={() => { setEditing(null); props.onChanged(); }} />
                      : <><strong>{s.name}</strong> {s.isAutoCreated && <Badge tone="muted">auto</Badge>} <span className="mono">{s.subnets.join(', ') || 'no subnets'}</span> <span className="muted">· {wanSummary(s.wan)}</span> <button type="button" className="button-small" onClick={() => setEditing(s.id)} aria-label={`Edit site ${s.name}`}>Edit</button></>}
                  </li>
                ))}
              </ul>
            )}
            <h3>New site</h3>
            <SiteForm site={null} onDone={props.onChanged} />
          </>
        )}
      </QueryView>
    </section>
  );
}

function SiteForm(props: { site: Site | null; onDone(): void }) {
  const { client } = useConsoleApi();
  const s = props.site;
  const initial = { name: s?.name ?? '', subnets: s?.subnets.join('\n') ?? '', wan: wanFormOf(s?.wan) };
  const [draft, setForm, discard] = useDraft(`site.${s?.id ?? 'new'}`, initial);
  // A draft saved before the WAN fields existed lacks them: fill in the site's values.
  const form = { ...initial, ...draft, wan: { ...initial.wan, ...draft.wan } };
  const [capCheck, setCapCheck] = useState<string | undefined>(undefined);
  const submit = useSubmit();
  const del = useSubmit();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const w = wanOfForm(form.wan);
    setCapCheck(w.error);
    if (!w.wan) { submit.clear(); return; }
    const body = { name: form.name, subnets: textToList(form.subnets), wan: w.wan };
    const r = await submit.run(() => (s ? client.call('patchSite', { params: { id: s.id }, body }) : client.call('createSite', { body })));
    if (r) { discard(); props.onDone(); }
  };
  return (
    <form onSubmit={save} noValidate className="site-form">
      <FormError message={formMessage(submit.error, ['body.name', 'body.subnets', 'body.wan']) ?? (del.error ? messageOf(del.error) : undefined)} />
      <Field label="Site name" error={fieldMessage(submit.error, 'body.name')}>{(c) => <input {...c} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="Branch office Lyon" />}</Field>
      <Field label="Subnets" error={fieldMessage(submit.error, 'body.subnets')} hint="One per line, e.g. 10.20.0.0/24">{(c) => <textarea {...c} rows={2} value={form.subnets} onChange={(e) => setForm({ ...form, subnets: e.target.value })} />}</Field>
      <SiteWanFields value={form.wan} onChange={(wan) => { setCapCheck(undefined); setForm({ ...form, wan }); }}
        capError={capCheck ?? fieldMessage(submit.error, 'body.wan.capBytesPerSecond')} adaptiveError={fieldMessage(submit.error, 'body.wan.adaptive')} />
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={submit.busy}>{s ? 'Save site' : 'Create site'}</button>
        {s && <button type="button" className="button-quiet" onClick={() => { discard(); props.onDone(); }}>Cancel</button>}
        {s && <ConfirmButton label="Delete" question={`Delete site ${s.name}?`} onConfirm={async () => { const ok = await del.run(() => client.call('deleteSite', { params: { id: s.id } })); if (ok) { discard(); props.onDone(); } }} />}
      </div>
    </form>
  );
}
