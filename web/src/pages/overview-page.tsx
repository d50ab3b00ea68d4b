/**
 * Overview: is every subnet covered? Sites → subnets with the peer answering PXE there, the ones
 * standing by and package readiness (red where nothing can serve), rogue-responder alerts, live
 * boot events, boots over time and package distribution per site.
 */
import { useMemo } from 'react';
import type { Agent, BootEvent } from '../../../src/contract/schemas.js';
import { useConsoleApi } from '../api/console-api.js';
import { useLiveEvents } from '../api/use-live-events.js';
import { useQuery } from '../api/use-query.js';
import { ProgressBar, StackedBars } from '../components/charts.js';
import { Empty, LoadError, Loading, QueryView } from '../components/state-views.js';
import { Badge } from '../components/status-badge.js';
import { agentStateOf } from '../model/agent-state.js';
import { bootHistogram, chartedOutcomes } from '../model/boot-histogram.js';
import { alertKinds, outcomeLabels, outcomeOf } from '../model/boot-outcome.js';
import { coverageView, type SiteView } from '../model/coverage-view.js';
import { packageProgress } from '../model/package-progress.js';
import { hrefOf } from '../route.js';

const dayMs = 24 * 3_600_000;

export function OverviewPage() {
  const { client, connection } = useConsoleApi();
  const coverage = useQuery((signal) => client.call('coverage', {}, { signal }), [], { refreshMs: 5000 });
  const agents = useQuery((signal) => client.call('listAgents', { query: { limit: 10000 } }, { signal }), [], { refreshMs: 5000 });
  const packages = useQuery((signal) => client.call('listPackages', {}, { signal }), [], { refreshMs: 30_000 });
  const sinceMs = useMemo(() => Math.floor((Date.now() - dayMs) / 60_000) * 60_000, []);
  const live = useLiveEvents({ sinceMs });
  const nowMs = connection.serverNowMs();
  const hostnames = useMemo(() => new Map((agents.data ?? []).map((a) => [a.id, a.hostname])), [agents.data]);
  const siteNames = useMemo(() => new Map((coverage.data?.sites ?? []).map((s) => [s.siteId, s.name])), [coverage.data]);
  const alerts = live.events.filter((e) => alertKinds.includes(e.kind));

  return (
    <div className="page">
      <h1>Overview</h1>
      <QueryView query={coverage} what="coverage">
        {(cov) => <Summary enabled={cov.enabled} sites={agents.data ? coverageView(cov, agents.data, nowMs) : null} agents={agents.data} alerts={alerts.length} nowMs={nowMs} windowMs={cov.onlineWindowS * 1000} />}
      </QueryView>

      {alerts.length > 0 && (
        <section className="panel panel-alert" aria-labelledby="alerts-title">
          <h2 id="alerts-title">Rogue responder alerts <Badge tone="bad">{String(alerts.length)}</Badge></h2>
          <p className="muted">Another PXE responder answered on a LAN where a peerboot peer is elected (a second proxyDHCP, a DHCP server sending PXEClient, WDS), or two peers answered at once. PXE clients then boot unpredictably: find and switch off the other responder, or remove its IP helper.</p>
          <table className="table">
            <thead><tr><th scope="col">When</th><th scope="col">Kind</th><th scope="col">Site</th><th scope="col">Seen by</th><th scope="col">Details</th></tr></thead>
            <tbody>
              {alerts.slice(0, 10).map((e) => (
                <tr key={e.id}>
                  <td>{timeOf(e.at)}</td>
                  <td>{e.kind === 'rogueResponder' ? 'Foreign responder' : 'Two peers answered'}</td>
                  <td>{(e.siteId && siteNames.get(e.siteId)) ?? '—'}</td>
                  <td>{hostnames.get(e.agentId) ?? e.agentId}</td>
                  <td>{[e.reason, e.mac].filter(Boolean).join(' · ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <section className="panel" aria-labelledby="coverage-title">
        <h2 id="coverage-title">PXE coverage by site and subnet</h2>
        {coverage.data && agents.data ? <CoverageTable sites={coverageView(coverage.data, agents.data, nowMs)} enabled={coverage.data.enabled} />
          : coverage.error ?? agents.error ? <LoadError error={coverage.error ?? agents.error} what="coverage" onRetry={() => { coverage.reload(); agents.reload(); }} />
            : <Loading what="coverage" />}
      </section>

      <div className="columns">
        <section className="panel" aria-labelledby="boots-title">
          <h2 id="boots-title">Boots over the last 24 hours</h2>
          {live.loading ? <Loading what="boot events" /> : live.error && live.events.length === 0 ? <LoadError error={live.error} what="boot events" />
            : <StackedBars title="Boot events per hour" buckets={bootHistogram(live.events, nowMs)} series={chartedOutcomes} />}
          {live.capped && <p className="muted">Counted from the newest {live.events.length} events.</p>}
        </section>
        <section className="panel" aria-labelledby="dist-title">
          <h2 id="dist-title">Package distribution per site</h2>
          {coverage.data && agents.data && packages.data ? <Distribution sites={coverage.data.sites.map((s) => ({ id: s.siteId, name: s.name, subnets: [], isAutoCreated: false, createdAt: '' }))} agents={agents.data} packages={packages.data} />
            : packages.error ? <LoadError error={packages.error} what="packages" onRetry={packages.reload} /> : <Loading what="packages" />}
        </section>
      </div>

      <section className="panel" aria-labelledby="live-title">
        <h2 id="live-title">Live boot events <FeedBadge state={live.feed} /></h2>
        <LiveEvents events={live.events.slice(0, 15)} hostnames={hostnames} />
        <p><a href={hrefOf('events')}>All boot events, with filters →</a></p>
      </section>
    </div>
  );
}

function Summary(props: { enabled: boolean; sites: SiteView[] | null; agents: Agent[] | undefined; alerts: number; nowMs: number; windowMs: number }) {
  const subnets = props.sites?.flatMap((s) => s.subnets) ?? [];
  const covered = subnets.filter((s) => s.isCovered).length;
  const states = (props.agents ?? []).map((a) => agentStateOf(a, props.nowMs, props.windowMs).state);
  const online = states.filter((s) => s !== 'offline').length;
  const serving = states.filter((s) => s === 'serving').length;
  return (
    <div className="cards">
      <a className={`card ${props.enabled ? 'card-good' : 'card-muted'}`} href={hrefOf('settings')}>
        <span className="card-label">P2P PXE</span><span className="card-value">{props.enabled ? 'Enabled' : 'Disabled'}</span>
      </a>
      <div className={`card ${subnets.length && covered === subnets.length ? 'card-good' : subnets.length ? 'card-bad' : 'card-muted'}`}>
        <span className="card-label">Subnets covered</span><span className="card-value">{props.sites ? `${covered} of ${subnets.length}` : '…'}</span>
      </div>
      <a className="card" href={hrefOf('agents')}>
        <span className="card-label">Agents online</span><span className="card-value">{props.agents ? `${online} of ${props.agents.length}` : '…'}</span>
        <span className="card-note">{serving} serving PXE</span>
      </a>
      <div className={`card ${props.alerts ? 'card-bad' : 'card-good'}`}>
        <span className="card-label">Alerts (24 h)</span><span className="card-value">{props.alerts}</span>
      </div>
    </div>
  );
}

function CoverageTable(props: { sites: SiteView[]; enabled: boolean }) {
  if (props.sites.length === 0) {
    return <Empty>No sites yet. Sites appear when agents enroll (one per subnet they report), or create them on the <a href={hrefOf('agents')}>Agents</a> page.</Empty>;
  }
  const names = (list: string[]) => (list.length ? list.join(', ') : '—');
  return (
    <table className="table coverage">
      <thead>
        <tr><th scope="col">Site / subnet</th><th scope="col">Status</th><th scope="col">Active responder</th><th scope="col">Standby</th><th scope="col">Packages</th><th scope="col">Agents online</th></tr>
      </thead>
      {props.sites.map((site) => (
        <tbody key={site.siteId}>
          <tr className="site-row">
            <th scope="rowgroup" colSpan={6}>
              {site.name} {site.isCovered ? <Badge tone="good">covered</Badge> : <Badge tone="bad">gaps</Badge>}
              <a className="row-link" href={hrefOf('agents', { site: site.siteId })}>agents</a>
            </th>
          </tr>
          {site.subnets.length === 0 && <tr><td colSpan={6} className="muted">This site has no subnets.</td></tr>}
          {site.subnets.map((s) => (
            <tr key={s.cidr} className={s.isCovered ? 'covered' : 'uncovered'} data-cidr={s.cidr}>
              <th scope="row" className="mono">{s.cidr}</th>
              <td>{s.isCovered ? <Badge tone="good">covered</Badge> : <><Badge tone="bad">nothing can serve</Badge><div className="cell-note">{s.problem}</div></>}</td>
              <td>{names(s.serving)}</td>
              <td>{names(s.standby)}</td>
              <td>{s.responders === 0 ? '—' : `${s.respondersReady} of ${s.responders} ready`}{s.preparing.length ? <div className="cell-note">fetching: {s.preparing.join(', ')}</div> : null}</td>
              <td>{s.agentsOnline} of {s.agents}</td>
            </tr>
          ))}
        </tbody>
      ))}
    </table>
  );
}

function Distribution(props: { sites: Array<{ id: string; name: string; subnets: string[]; isAutoCreated: boolean; createdAt: string }>; agents: Agent[]; packages: Parameters<typeof packageProgress>[2] }) {
  const rows = packageProgress(props.sites, props.agents, props.packages);
  if (rows.every((r) => r.packages.length === 0)) {
    return <Empty>No responder holds or fetches a package yet. Packages spread once P2P PXE is enabled and a toolkit package is set (<a href={hrefOf('settings')}>settings</a>).</Empty>;
  }
  return (
    <div className="distribution">
      {rows.filter((r) => r.packages.length > 0).map((site) => (
        <div key={site.siteId} className="distribution-site">
          <h3>{site.name} <span className="muted">· {site.responders} responder{site.responders === 1 ? '' : 's'}</span></h3>
          {site.packages.map((p) => (
            <ProgressBar key={p.packageId} fraction={p.fraction} label={`${site.name}: ${p.label}`} detail={`${p.respondersReady}/${p.responders} ready${p.chunksTotal ? ` · ${p.chunksHeld}/${p.chunksTotal} chunks` : ''}`} />
          ))}
        </div>
      ))}
    </div>
  );
}

export function FeedBadge(props: { state: string }) {
  if (props.state === 'live') return <Badge tone="good">live</Badge>;
  if (props.state === 'stopped') return <Badge tone="muted">stopped</Badge>;
  return <Badge tone="warn">{props.state === 'connecting' ? 'connecting' : 'reconnecting'}</Badge>;
}

function LiveEvents(props: { events: BootEvent[]; hostnames: Map<string, string> }) {
  if (props.events.length === 0) return <Empty>No boot events in the last 24 hours. They appear here the moment an agent reports one.</Empty>;
  return (
    <table className="table compact" aria-live="polite" aria-relevant="additions">
      <thead><tr><th scope="col">Time</th><th scope="col">Outcome</th><th scope="col">Event</th><th scope="col">MAC</th><th scope="col">Agent</th><th scope="col">Details</th></tr></thead>
      <tbody>
        {props.events.map((e) => (
          <tr key={e.id}>
            <td>{timeOf(e.at)}</td>
            <td><span className={`outcome outcome-${outcomeOf(e.kind)}`}>{outcomeLabels[outcomeOf(e.kind)]}</span></td>
            <td className="mono">{e.kind}</td>
            <td className="mono">{e.mac ?? '—'}</td>
            <td>{props.hostnames.get(e.agentId) ?? e.agentId}</td>
            <td>{[e.file, e.reason].filter(Boolean).join(' · ') || '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function timeOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
