// Goal: the overview shows each subnet's coverage (the active responder and the standby by name,
// red with the reason where nothing can serve), a boot event pushed on the live feed appears at
// once and an alert kind raises the rogue-responder panel, and an empty install says what to do.
// Method: the page over a fake control plane whose /api/v1/events/stream is a held-open SSE body.
import { screen, within } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import { agent, coverage } from '../testing/fixtures.js';
import { fakeServer, sseStream } from '../testing/fake-server.js';
import { renderWithApi } from '../testing/render.js';
import { OverviewPage } from './overview-page.js';

describe('overview', () => {
  test('coverage per subnet, live events, alerts', async () => {
    const feed = sseStream();
    const s = fakeServer({
      'GET /api/v1/coverage': coverage(),
      'GET /api/v1/agents': [agent({ id: 'a', hostname: 'pc-active' }), agent({ id: 'b', hostname: 'pc-standby', serving: false })],
      'GET /api/v1/packages': [],
      'GET /api/v1/events': [{ id: 41, agentId: 'a', siteId: 'site-1', at: new Date().toISOString(), kind: 'transferCompleted', mac: '52:54:00:00:00:41', file: 'ipxe.efi' }],
    });
    s.on('GET /api/v1/events/stream', () => ({ sse: feed.stream }));
    renderWithApi(<OverviewPage />, s);

    const covered = await screen.findByText('10.1.0.0/24');
    const row = covered.closest('tr')!;
    expect(within(row).getByText('covered')).toBeTruthy();
    expect(within(row).getByText('pc-active')).toBeTruthy();
    expect(within(row).getByText('pc-standby')).toBeTruthy();
    const red = screen.getByText('10.2.0.0/24').closest('tr')!;
    expect(red.className).toBe('uncovered');
    expect(within(red).getByText('nothing can serve')).toBeTruthy();
    expect(within(red).getByText('no agent on this subnet')).toBeTruthy();
    expect(screen.getByText('1 of 2')).toBeTruthy();

    expect(await screen.findByText('52:54:00:00:00:41')).toBeTruthy();
    await screen.findByText('live');
    const stream = s.requests.find((r) => r.path === '/api/v1/events/stream')!;
    expect(stream.headers['last-event-id']).toBe('41');
    expect(stream.headers.authorization).toBe('Bearer pbs.test.token');

    feed.send('boot', { id: 42, agentId: 'b', siteId: 'site-1', at: new Date().toISOString(), kind: 'dhcpOffer', mac: '52:54:00:00:00:42' }, 42);
    expect(await screen.findByText('52:54:00:00:00:42')).toBeTruthy();
    expect(screen.queryByRole('heading', { name: /Rogue responder alerts/ })).toBeNull();
    feed.send('boot', { id: 43, agentId: 'b', siteId: 'site-1', at: new Date().toISOString(), kind: 'rogueResponder', reason: 'proxyDHCP offer from 10.1.0.250' }, 43);
    const alerts = (await screen.findByRole('heading', { name: /Rogue responder alerts/ })).closest('section')!;
    expect(within(alerts).getByText(/proxyDHCP offer from 10\.1\.0\.250/)).toBeTruthy();
    expect(within(alerts).getByText('pc-standby')).toBeTruthy();
  });

  test('nothing enrolled yet: empty states that say what to do', async () => {
    const s = fakeServer({
      'GET /api/v1/coverage': { enabled: false, onlineWindowS: 180, sites: [] },
      'GET /api/v1/agents': [],
      'GET /api/v1/packages': [],
      'GET /api/v1/events': [],
    });
    s.on('GET /api/v1/events/stream', () => ({ sse: sseStream().stream }));
    renderWithApi(<OverviewPage />, s);
    expect(await screen.findByText(/No sites yet\. Sites appear when agents enroll/)).toBeTruthy();
    expect(await screen.findByText(/No boot events in the last 24 hours/)).toBeTruthy();
    expect(screen.getByText('Disabled')).toBeTruthy();
  });
});
