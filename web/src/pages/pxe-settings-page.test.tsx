// Goal: the settings editor shows the current state, Enable sends the edited targets with
// enabled=true and shows the new state from the server's answer, a server validation error lands
// beside the field it names while every edit stays (also across a remount, as after a re-login),
// and loading and load errors are shown as such.
// Method: the page over a fake control plane (recorded requests); Testing Library queries by role
// and label, as an admin using a screen reader would find things.
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import type { PxeSettings } from '../../../src/contract/schemas.js';
import { collection, profile, settings } from '../testing/fixtures.js';
import { fakeServer, type FakeServer } from '../testing/fake-server.js';
import { renderWithApi } from '../testing/render.js';
import { PxeSettingsPage } from './pxe-settings-page.js';

function server(initial: PxeSettings = settings()): FakeServer & { current: PxeSettings } {
  const s = fakeServer({
    'GET /api/v1/collections': [collection({ id: 'c-1', name: 'Branch responders' }), collection({ id: 'c-2', name: 'Laptops' })],
    'GET /api/v1/profiles': [profile({ id: 'p-1', name: 'winpe' })],
    'GET /api/v1/agents': [],
  }) as FakeServer & { current: PxeSettings };
  s.current = initial;
  s.on('GET /api/v1/pxe-settings', () => ({ body: s.current }));
  s.on('PUT /api/v1/pxe-settings', (req) => {
    s.current = { ...(req.body as PxeSettings), toolkitProfileId: (req.body as PxeSettings).toolkitProfileId ?? null, revision: s.current.revision + 1, updatedAt: new Date().toISOString() };
    return { body: s.current };
  });
  return s;
}

describe('P2P PXE settings', () => {
  test('shows Disabled; Add a target with the keyboard; Enable sends it and shows Enabled', async () => {
    const s = server();
    const user = userEvent.setup();
    renderWithApi(<PxeSettingsPage />, s);
    expect(screen.getByRole('status').textContent).toMatch(/Loading the settings/);
    await screen.findByRole('heading', { name: /P2P PXE is Disabled/ });
    await user.click(screen.getByRole('button', { name: 'Add Branch responders to the targets' }));
    expect(screen.getByText(/Your unsaved changes below are applied with it/)).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Enable' }));
    await screen.findByRole('heading', { name: /P2P PXE is Enabled/ });
    const put = s.requests.find((r) => r.method === 'PUT')!;
    expect(put.body).toEqual({ enabled: true, targetCollectionIds: ['c-1'], unknownComputers: { enabled: false, profileId: null }, toolkitProfileId: null });
    expect(screen.getByText(/P2P PXE enabled \(revision 4\)/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Disable' })).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Save changes' }) as HTMLButtonElement).disabled).toBe(true);
  });

  test('a validation error sits beside its field; the edits stay, also after a remount', async () => {
    const s = server();
    s.on('PUT /api/v1/pxe-settings', () => ({ status: 400, body: { code: 'SERVER_ERR_VALIDATION', message: 'body.unknownComputers.profileId: unknown computers need a boot profile', field: 'body.unknownComputers.profileId' } }));
    const user = userEvent.setup();
    const view = renderWithApi(<PxeSettingsPage />, s);
    await screen.findByRole('heading', { name: /P2P PXE is Disabled/ });
    await user.click(screen.getByRole('button', { name: 'Add Laptops to the targets' }));
    await user.click(screen.getByLabelText(/Answer computers that are not known/));
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    const select = screen.getByLabelText('Boot profile unknown computers get');
    await waitFor(() => expect(select.getAttribute('aria-invalid')).toBe('true'));
    const message = document.getElementById(select.getAttribute('aria-describedby')!.split(' ')[0]!)!;
    expect(message.textContent).toMatch(/unknown computers need a boot profile/);
    expect((screen.getByLabelText(/Answer computers that are not known/) as HTMLInputElement).checked).toBe(true);
    expect(within(document.querySelector('[data-zone="targets"]') as HTMLElement).getByText('Laptops')).toBeTruthy();

    view.unmount();
    renderWithApi(<PxeSettingsPage />, s);
    await screen.findByRole('heading', { name: /P2P PXE is Disabled/ });
    expect(within(document.querySelector('[data-zone="targets"]') as HTMLElement).getByText('Laptops')).toBeTruthy();
    expect((screen.getByLabelText(/Answer computers that are not known/) as HTMLInputElement).checked).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Discard changes' }));
    expect(within(document.querySelector('[data-zone="targets"]') as HTMLElement).queryByText('Laptops')).toBeNull();
  });

  test('a load error is shown with a way to retry', async () => {
    const s = server();
    s.on('GET /api/v1/pxe-settings', () => ({ status: 500, body: { code: 'SERVER_ERR_INTERNAL', message: 'internal error (see the server log)' } }));
    renderWithApi(<PxeSettingsPage />, s);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/Could not load the settings.*SERVER_ERR_INTERNAL/);
    s.on('GET /api/v1/pxe-settings', () => ({ body: s.current }));
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await screen.findByRole('heading', { name: /P2P PXE is Disabled/ });
  });
});
