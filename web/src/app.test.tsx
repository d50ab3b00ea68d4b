// Goal: the shell behaves as an admin expects: login refuses a wrong password with the username
// kept and opens the console on success; a lost connection is shown and recovers by itself (the
// page reloads its data); an expired session returns to login with a notice, and what was typed
// in a form survives the re-login; navigation is a labelled list with the current page marked.
// Method: <App> over a fake control plane (fetch), hash routes, Testing Library.
import { screen, waitFor } from '@testing-library/react';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import { App } from './app.js';
import { agent, coverage } from './testing/fixtures.js';
import { fakeServer, signIn } from './testing/fake-server.js';

const base = () => fakeServer({
  'GET /api/v1/coverage': coverage(),
  'GET /api/v1/agents': [agent()],
  'GET /api/v1/packages': [],
  'GET /api/v1/events': [],
  'GET /api/v1/sites': [],
  'GET /api/v1/machines': [],
  'GET /api/v1/enrollment-tokens': [],
  'POST /api/v1/auth/logout': { ok: true },
});

describe('console shell', () => {
  test('login: a wrong password is refused with the username kept; the right one opens the overview', async () => {
    const s = base();
    s.on('POST /api/v1/auth/login', (req) => ((req.body as { password: string }).password === 'right password'
      ? { body: { token: 'pbs.t', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), user: { id: 'u', username: 'admin', createdAt: '' } } }
      : { status: 401, body: { code: 'SERVER_ERR_BAD_CREDENTIALS', message: 'wrong username or password' } }));
    const user = userEvent.setup();
    render(<App fetch={s.fetch} baseUrl="http://console.test" />);
    await user.type(screen.getByLabelText('Password'), 'wrong');
    await user.click(screen.getByRole('button', { name: 'Log in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong username or password.');
    expect((screen.getByLabelText('Username') as HTMLInputElement).value).toBe('admin');
    await user.clear(screen.getByLabelText('Password'));
    await user.type(screen.getByLabelText('Password'), 'right password');
    await user.click(screen.getByRole('button', { name: 'Log in' }));
    await screen.findByRole('heading', { name: 'Overview' });
    const nav = screen.getByRole('navigation', { name: 'Console' });
    expect(nav.querySelector('[aria-current="page"]')!.textContent).toBe('Overview');
    expect(s.requests.filter((r) => r.path === '/api/v1/coverage').every((r) => r.headers.authorization === 'Bearer pbs.t')).toBe(true);
  });

  test('a lost connection is shown, then recovers by itself and reloads', async () => {
    signIn();
    window.location.hash = '#/agents';
    const s = base();
    render(<App fetch={s.fetch} baseUrl="http://console.test" />);
    await screen.findByText('branch-pc-1');
    s.setDown(true);
    // The agents page refreshes every 3 s; the failed refresh marks the link lost.
    expect((await screen.findByText(/Connection to the server lost/, undefined, { timeout: 5000 })).textContent).toMatch(/what you typed is kept/);
    expect(screen.getByText('Reconnecting…')).toBeTruthy();
    expect(screen.getByText('branch-pc-1')).toBeTruthy();
    const before = s.requests.filter((r) => r.path === '/api/v1/agents').length;
    s.setDown(false);
    await screen.findByText(/Connection restored/, undefined, { timeout: 8000 });
    expect(screen.getByText('Connected')).toBeTruthy();
    await waitFor(() => expect(s.requests.filter((r) => r.path === '/api/v1/agents').length).toBeGreaterThan(before));
  }, 20_000);

  test('an expired session returns to login with a notice; the typed draft survives the re-login', async () => {
    signIn();
    window.location.hash = '#/machines';
    const s = base();
    s.on('POST /api/v1/machines', () => ({ status: 401, body: { code: 'SERVER_ERR_TOKEN_EXPIRED', message: 'token expired; log in again' } }));
    s.on('POST /api/v1/auth/login', () => ({ body: { token: 'pbs.new', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), user: { id: 'u', username: 'admin', createdAt: '' } } }));
    const user = userEvent.setup();
    render(<App fetch={s.fetch} baseUrl="http://console.test" />);
    await user.type(await screen.findByLabelText('Name', { exact: true }), 'lab-pc-9');
    await user.type(screen.getByLabelText('MAC address'), '52:54:00:00:00:09');
    await user.click(screen.getByRole('button', { name: 'Add computer' }));
    expect((await screen.findByText(/Your session has ended/)).textContent).toMatch(/anything you were editing is kept/);
    await user.type(screen.getByLabelText('Password'), 'whatever-password');
    await user.click(screen.getByRole('button', { name: 'Log in' }));
    expect(((await screen.findByLabelText('Name', { exact: true })) as HTMLInputElement).value).toBe('lab-pc-9');
    expect((screen.getByLabelText('MAC address') as HTMLInputElement).value).toBe('52:54:00:00:00:09');
  });
});
