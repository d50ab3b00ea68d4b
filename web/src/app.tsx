/**
 * The console shell: login until there is a session, then the navigation, the connection banner
 * and the page the hash names. One ApiClient (src/contract/client.ts, shared with the CLI) talks
 * to the server this page came from.
 */
import { useContext, useEffect, useMemo, useState } from 'react';
import { ApiClient } from '../../src/contract/client.js';
import { ConnectionMonitor, type ConnectionState } from './api/connection.js';
import { ConsoleApiContext, useConsoleApi, type ConsoleApi } from './api/console-api.js';
import { clearSession, loadSession, saveSession, type Session } from './api/session.js';
import { LoginPage } from './pages/login-page.js';
import { AgentsPage } from './pages/agents-page.js';
import { BootEventsPage } from './pages/boot-events-page.js';
import { CollectionsPage } from './pages/collections-page.js';
import { DeploymentsPage } from './pages/deployments-page.js';
import { MachinesPage } from './pages/machines-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { PackagesPage } from './pages/packages-page.js';
import { PxeSettingsPage } from './pages/pxe-settings-page.js';
import { hrefOf, pages, useRoute } from './route.js';

export interface AppProps {
  /** Server origin; the page's own by default. */
  baseUrl?: string;
  /** For tests: the fetch every call goes through. */
  fetch?: typeof fetch;
}

export function App(props: AppProps) {
  const baseUrl = props.baseUrl ?? window.location.origin;
  const connection = useMemo(() => new ConnectionMonitor({ fetch: props.fetch, healthUrl: `${baseUrl}/healthz` }), [props.fetch, baseUrl]);
  useEffect(() => () => connection.dispose(), [connection]);
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [notice, setNotice] = useState<string | null>(null);
  const client = useMemo(() => new ApiClient({ baseUrl, fetch: connection.fetch, token: session?.token }), [baseUrl, connection, session?.token]);

  useEffect(() => connection.on('unauthenticated', () => {
    clearSession();
    setSession(null);
    setNotice('Your session has ended. Log in again; anything you were editing is kept.');
  }), [connection]);

  if (!session) {
    return (
      <LoginPage
        client={client}
        notice={notice}
        onLogin={(s) => { saveSession(s); setNotice(null); setSession(s); }}
      />
    );
  }
  const api: ConsoleApi = {
    client, connection, username: session.username,
    logout: () => {
      void client.call('logout', {}).catch(() => {});
      clearSession();
      setSession(null);
      setNotice('You have logged out.');
    },
  };
  return (
    <ConsoleApiContext.Provider value={api}>
      <Shell />
    </ConsoleApiContext.Provider>
  );
}

function Shell() {
  const [route] = useRoute();
  const api = useConsoleApi();
  return (
        <div className="shell">
          <a className="skip-link" href="#main">Skip to content</a>
          <header className="topbar">
            <span className="brand" aria-label="peerboot">peerboot</span>
            <ConnectionIndicator />
            <span className="topbar-user">Signed in as <strong>{api.username}</strong></span>
            <button type="button" className="button-quiet" onClick={api.logout}>Log out</button>
          </header>
          <nav className="sidebar" aria-label="Console">
            <ul>
              {pages.map((p) => (
                <li key={p.path}><a href={hrefOf(p.path)} aria-current={route.page === p.path ? 'page' : undefined}>{p.title}</a></li>
              ))}
            </ul>
          </nav>
          <main id="main" tabIndex={-1}>
            <ConnectionBanner />
            <PageFor route={route} />
          </main>
        </div>
  );
}

function PageFor(props: { route: ReturnType<typeof useRoute>[0] }) {
  const { page, params } = props.route;
  useEffect(() => {
    const title = pages.find((p) => p.path === page)?.title ?? 'Overview';
    document.title = `${title} · peerboot`;
  }, [page]);
  switch (page) {
    case 'overview': return <OverviewPage />;
    case 'settings': return <PxeSettingsPage />;
    case 'agents': return <AgentsPage params={params} />;
    case 'machines': return <MachinesPage />;
    case 'collections': return <CollectionsPage params={params} />;
    case 'deployments': return <DeploymentsPage />;
    case 'packages': return <PackagesPage />;
    case 'events': return <BootEventsPage params={params} />;
  }
}

function useConnectionState(): ConnectionState {
  const api = useConsoleApiOrNull();
  const [state, setState] = useState<ConnectionState>(api?.connection.state ?? 'online');
  useEffect(() => api?.connection.on('state', setState), [api]);
  return state;
}

function ConnectionIndicator() {
  const state = useConnectionState();
  return <span className={`conn conn-${state}`} role="status">{state === 'online' ? 'Connected' : 'Reconnecting…'}</span>;
}

/** Says the link is down (and that nothing typed is lost), and briefly that it came back. */
function ConnectionBanner() {
  const state = useConnectionState();
  const [restored, setRestored] = useState(false);
  const [wasOffline, setWasOffline] = useState(false);
  useEffect(() => {
    if (state === 'offline') { setWasOffline(true); setRestored(false); return; }
    if (!wasOffline) return;
    setRestored(true);
    const t = setTimeout(() => setRestored(false), 4000);
    return () => clearTimeout(t);
  }, [state, wasOffline]);
  if (state === 'offline') {
    return <div className="banner banner-offline" role="alert">Connection to the server lost. Retrying by itself; what you typed is kept.</div>;
  }
  if (restored) return <div className="banner banner-restored" role="status">Connection restored; the page has been refreshed.</div>;
  return null;
}

function useConsoleApiOrNull(): ConsoleApi | null {
  return useContext(ConsoleApiContext);
}
