/**
 * Boot events: what the responders saw and did, newest first, filtered by site, MAC and outcome
 * (served, failed, in progress, ignored, alerts), with new matching events added live. Filters
 * live in the URL, so a filtered view can be shared or reloaded.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { BootEvent } from '../../../src/contract/schemas.js';
import { followBootEvents, type FeedState } from '../api/boot-event-feed.js';
import { useConsoleApi } from '../api/console-api.js';
import { fieldMessage, formMessage } from '../api/field-errors.js';
import { useQuery } from '../api/use-query.js';
import { Field, FormError } from '../components/field.js';
import { Empty, LoadError, Loading } from '../components/state-views.js';
import { archLabel, outcomeLabels, outcomeOf, type BootOutcome } from '../model/boot-outcome.js';
import { useRoute } from '../route.js';
import { FeedBadge, timeOf } from './overview-page.js';

const outcomes: BootOutcome[] = ['served', 'failed', 'offered', 'ignored', 'alert', 'other'];

export function BootEventsPage(props: { params: URLSearchParams }) {
  const { client, connection } = useConsoleApi();
  const [, go] = useRoute();
  const siteId = props.params.get('site') ?? '';
  const mac = props.params.get('mac') ?? '';
  const outcome = (props.params.get('outcome') ?? '') as BootOutcome | '';
  const [macText, setMacText] = useState(mac);
  useEffect(() => setMacText(mac), [mac]);
  const sites = useQuery((signal) => client.call('listSites', {}, { signal }), []);
  const agents = useQuery((signal) => client.call('listAgents', { query: { limit: 10000 } }, { signal }), [], { refreshMs: 60_000 });
  const events = useQuery((signal) => client.call('listEvents', { query: { ...(siteId ? { siteId } : {}), ...(mac ? { mac } : {}), limit: 1000 } }, { signal }), [siteId, mac]);
  const [live, setLive] = useState<BootEvent[]>([]);
  const [feed, setFeed] = useState<FeedState>('connecting');

  useEffect(() => {
    setLive([]);
    if (!events.data) return;
    const newest = events.data.reduce<number | null>((m, e) => (m === null || e.id > m ? e.id : m), null);
    const f = followBootEvents({
      client, fetch: connection.fetch, lastEventId: newest, onState: setFeed,
      onEvent: (e) => {
        if (siteId && e.siteId !== siteId) return;
        if (mac && e.mac?.toLowerCase() !== mac.toLowerCase()) return;
        setLive((prev) => [e, ...prev].slice(0, 1000));
      },
    });
    return () => f.stop();
  }, [events.data, client, connection, siteId, mac]);

  const hostnames = new Map((agents.data ?? []).map((a) => [a.id, a.hostname]));
  const siteNames = new Map((sites.data ?? []).map((s) => [s.id, s.name]));
  const rows = useMemo(() => {
    const seen = new Set<number>();
    return [...live, ...(events.data ?? [])].filter((e) => {
      if (seen.has(e.id)) return false;
      seen.add(e.id);
      return !outcome || outcomeOf(e.kind) === outcome;
    });
  }, [live, events.data, outcome]);

  const set = (next: { site?: string; mac?: string; outcome?: string }) => go('events', { site: siteId || undefined, mac: mac || undefined, outcome: outcome || undefined, ...next });
  const applyMac = (e: FormEvent) => { e.preventDefault(); set({ mac: macText.trim().toLowerCase() || undefined }); };

  return (
    <div className="page">
      <h1>Boot events <FeedBadge state={feed} /></h1>
      <form className="toolbar" onSubmit={applyMac} noValidate aria-label="Filters">
        <Field label="Site">
          {(c) => <select {...c} value={siteId} onChange={(e) => set({ site: e.target.value || undefined })}><option value="">All sites</option>{(sites.data ?? []).map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}</select>}
        </Field>
        <Field label="MAC address" error={fieldMessage(events.error, 'query.mac')}>
          {(c) => <input {...c} className="mono" value={macText} placeholder="aa:bb:cc:dd:ee:ff" onChange={(e) => setMacText(e.target.value)} />}
        </Field>
        <Field label="Outcome">
          {(c) => <select {...c} value={outcome} onChange={(e) => set({ outcome: e.target.value || undefined })}><option value="">All outcomes</option>{outcomes.map((o) => <option key={o} value={o}>{outcomeLabels[o]}</option>)}</select>}
        </Field>
        <button type="submit" className="button-primary">Apply MAC</button>
        {(siteId || mac || outcome) && <button type="button" className="button-quiet" onClick={() => go('events')}>Clear filters</button>}
      </form>
      <section className="panel" aria-labelledby="events-title">
        <h2 id="events-title" className="visually-hidden">Events</h2>
        {events.data === undefined
          ? (events.error ? (fieldMessage(events.error, 'query.mac') ? <FormError message="Fix the MAC address above." /> : <LoadError error={events.error} what="boot events" onRetry={events.reload} />) : <Loading what="boot events" />)
          : rows.length === 0 ? <Empty>No boot events match{siteId || mac || outcome ? ' these filters' : ' yet'}.</Empty> : (
            <>
              {formMessage(events.error, ['query.mac']) && <div className="stale-note">{formMessage(events.error, ['query.mac'])}</div>}
              <p className="muted">{rows.length} event{rows.length === 1 ? '' : 's'}{events.data.length >= 1000 ? ' (the newest 1000 loaded, plus live ones)' : ''}</p>
              <table className="table compact" data-testid="events-table">
                <thead><tr><th scope="col">Time</th><th scope="col">Outcome</th><th scope="col">Event</th><th scope="col">MAC</th><th scope="col">Arch</th><th scope="col">File</th><th scope="col">Site</th><th scope="col">Agent</th><th scope="col">Details</th></tr></thead>
                <tbody>
                  {rows.map((e) => (
                    <tr key={e.id}>
                      <td>{timeOf(e.at)}</td>
                      <td><span className={`outcome outcome-${outcomeOf(e.kind)}`}>{outcomeLabels[outcomeOf(e.kind)]}</span></td>
                      <td className="mono">{e.kind}</td>
                      <td className="mono">{e.mac ? <button type="button" className="link-button mono" onClick={() => set({ mac: e.mac })} title="Show only this MAC">{e.mac}</button> : '—'}</td>
                      <td>{e.arch !== undefined ? archLabel(e.arch) : '—'}</td>
                      <td className="mono">{e.file ?? '—'}{e.bytes !== undefined ? <span className="muted"> · {e.bytes} B{e.durationMs !== undefined ? ` in ${e.durationMs} ms` : ''}</span> : null}</td>
                      <td>{e.siteId ? siteNames.get(e.siteId) ?? e.siteId : '—'}</td>
                      <td>{hostnames.get(e.agentId) ?? e.agentId}</td>
                      <td>{e.reason ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
      </section>
    </div>
  );
}
