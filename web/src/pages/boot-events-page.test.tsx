// Goal: boot events filter by site and MAC on the server and by outcome in the page, the filters
// live in the URL, and a malformed MAC is refused by the server's validation next to the MAC field
// with the text kept.
// Method: the page over a fake control plane; the requests' query strings are checked.
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useEffect, useState } from 'react';
import { describe, expect, test } from 'vitest';
import { fakeServer, sseStream } from '../testing/fake-server.js';
import { renderWithApi } from '../testing/render.js';
import { BootEventsPage } from './boot-events-page.js';
import { parseRoute } from '../route.js';

const events = [
  { id: 3, agentId: 'a', siteId: 's1', at: new Date().toISOString(), kind: 'transferFailed', mac: '52:54:00:00:00:01', reason: 'timeout' },
  { id: 2, agentId: 'a', siteId: 's1', at: new Date().toISOString(), kind: 'transferCompleted', mac: '52:54:00:00:00:01', file: 'ipxe.efi' },
  { id: 1, agentId: 'a', siteId: 's1', at: new Date().toISOString(), kind: 'dhcpIgnored', mac: '52:54:00:00:00:02' },
];

/** The page with the params of the current hash, as the shell passes them. */
function Routed() {
  const [params, setParams] = useState(() => parseRoute(window.location.hash).params);
  useEffect(() => {
    const on = () => setParams(parseRoute(window.location.hash).params);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return <BootEventsPage params={params} />;
}

describe('boot events', () => {
  test('site and MAC filters go to the server; outcome filters in the page; all in the URL', async () => {
    window.location.hash = '#/events';
    const s = fakeServer({
      'GET /api/v1/sites': [{ id: 's1', name: 'Lyon', subnets: [], isAutoCreated: false, createdAt: '' }],
      'GET /api/v1/agents': [],
    });
    s.on('GET /api/v1/events', (req) => ({ body: events.filter((e) => !req.query.get('mac') || e.mac === req.query.get('mac')) }));
    s.on('GET /api/v1/events/stream', () => ({ sse: sseStream().stream }));
    const user = userEvent.setup();
    renderWithApi(<Routed />, s);
    const table = await screen.findByTestId('events-table');
    expect(within(table).getAllByRole('row')).toHaveLength(4);

    await user.selectOptions(screen.getByLabelText('Outcome'), 'failed');
    await waitFor(() => expect(within(screen.getByTestId('events-table')).getAllByRole('row')).toHaveLength(2));
    expect(window.location.hash).toBe('#/events?outcome=failed');

    await user.selectOptions(screen.getByLabelText('Site'), 's1');
    await waitFor(() => expect(s.requests.some((r) => r.path === '/api/v1/events' && r.query.get('siteId') === 's1')).toBe(true));
    await user.selectOptions(screen.getByLabelText('Outcome'), '');
    await user.type(screen.getByLabelText('MAC address'), '52:54:00:00:00:02');
    await user.click(screen.getByRole('button', { name: 'Apply MAC' }));
    await waitFor(() => expect(s.requests.some((r) => r.path === '/api/v1/events' && r.query.get('mac') === '52:54:00:00:00:02' && r.query.get('siteId') === 's1')).toBe(true));
    await waitFor(() => expect(within(screen.getByTestId('events-table')).getAllByRole('row')).toHaveLength(2));
    expect(within(screen.getByTestId('events-table')).getByText('Ignored')).toBeTruthy();
    expect(window.location.hash).toBe('#/events?site=s1&mac=52%3A54%3A00%3A00%3A00%3A02');
  });

  test('a malformed MAC: the server’s message beside the field, the text kept', async () => {
    window.location.hash = '#/events';
    const s = fakeServer({ 'GET /api/v1/sites': [], 'GET /api/v1/agents': [] });
    s.on('GET /api/v1/events', (req) => (req.query.get('mac')
      ? { status: 400, body: { code: 'SERVER_ERR_VALIDATION', message: 'query.mac must be MAC address, aa:bb:cc:dd:ee:ff', field: 'query.mac' } }
      : { body: [] }));
    s.on('GET /api/v1/events/stream', () => ({ sse: sseStream().stream }));
    const user = userEvent.setup();
    renderWithApi(<Routed />, s);
    await screen.findByText(/No boot events match yet/);
    await user.type(screen.getByLabelText('MAC address'), 'not-a-mac');
    await user.click(screen.getByRole('button', { name: 'Apply MAC' }));
    const input = screen.getByLabelText('MAC address');
    await waitFor(() => expect(input.getAttribute('aria-invalid')).toBe('true'));
    expect(document.getElementById(input.getAttribute('aria-describedby')!)!.textContent).toBe('Must be MAC address, aa:bb:cc:dd:ee:ff');
    expect((input as HTMLInputElement).value).toBe('not-a-mac');
  });
});
