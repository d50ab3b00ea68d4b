// Goal: a site's WAN bandwidth is shown in the site list and edited in the site form: the cap in
// Mbit/s (sent as bytes/s, 1 Mbit/s = 125000), "No cap" sends null and disables the cap field, the
// adaptive checkbox; a cap out of range is caught before sending and a cap the server refuses shows
// its message under the cap field, the other inputs kept. New sites start with no cap, adaptive on.
// Method: the Agents page over a fake control plane; the site edited through its Edit button.
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import type { Site } from '../../../src/contract/schemas.js';
import { fakeServer } from '../testing/fake-server.js';
import { renderWithApi } from '../testing/render.js';
import { wanOfForm, wanSummary } from '../model/site-wan.js';
import { AgentsPage } from './agents-page.js';

const lyon: Site = { id: 'site-1', name: 'Lyon', subnets: ['10.1.0.0/24'], isAutoCreated: false, createdAt: '', wan: { capBytesPerSecond: 2_500_000, adaptive: true } };

describe('site WAN bandwidth', () => {
  test('model: Mbit/s to bytes/s, range, no cap', () => {
    expect(wanOfForm({ capMbit: '0,5', noCap: false, adaptive: false })).toEqual({ wan: { capBytesPerSecond: 62_500, adaptive: false } });
    expect(wanOfForm({ capMbit: 'fast', noCap: true, adaptive: true })).toEqual({ wan: { capBytesPerSecond: null, adaptive: true } });
    expect(wanOfForm({ capMbit: '', noCap: false, adaptive: true }).error).toBe('Enter a cap in Mbit/s, or choose No cap');
    expect(wanOfForm({ capMbit: '0.01', noCap: false, adaptive: true }).error).toBe('Must be a number of Mbit/s from 0.064 to 1000000');
    expect(wanSummary({ capBytesPerSecond: null, adaptive: false })).toBe('WAN: no cap, not adaptive');
  });

  test('edit the cap and adaptive mode; local and server errors under the cap field', async () => {
    const s = fakeServer({
      'GET /api/v1/sites': [lyon],
      'GET /api/v1/agents': [],
      'GET /api/v1/enrollment-tokens': [],
    });
    let patches = 0;
    s.on('PATCH /api/v1/sites/site-1', (req) => {
      patches += 1;
      if (patches === 1) return { status: 400, body: { code: 'SERVER_ERR_VALIDATION', message: 'body.wan.capBytesPerSecond must be an integer of bytes per second, 8000–125000000000 or null', field: 'body.wan.capBytesPerSecond' } };
      return { body: { ...lyon, ...(req.body as object) } };
    });
    const user = userEvent.setup();
    renderWithApi(<AgentsPage params={new URLSearchParams()} />, s);
    expect(await screen.findByText('· WAN: 20 Mbit/s cap, adaptive')).toBeTruthy();

    // The new-site form starts with the defaults.
    const create = within(screen.getByRole('button', { name: 'Create site' }).closest('form')!);
    expect((create.getByLabelText('No cap') as HTMLInputElement).checked).toBe(true);
    expect((create.getByLabelText('WAN cap (Mbit/s)') as HTMLInputElement).disabled).toBe(true);
    expect((create.getByLabelText('Adaptive (yield to business traffic)') as HTMLInputElement).checked).toBe(true);

    await user.click(screen.getByRole('button', { name: 'Edit site Lyon' }));
    const form = within(screen.getByRole('button', { name: 'Save site' }).closest('form')!);
    const cap = form.getByLabelText('WAN cap (Mbit/s)') as HTMLInputElement;
    expect(cap.value).toBe('20');
    expect((form.getByLabelText('No cap') as HTMLInputElement).checked).toBe(false);

    await user.clear(cap);
    await user.type(cap, '0.01');
    await user.click(form.getByRole('button', { name: 'Save site' }));
    await waitFor(() => expect(cap.getAttribute('aria-invalid')).toBe('true'));
    expect(document.getElementById(cap.getAttribute('aria-describedby')!.split(' ')[0]!)!.textContent).toBe('Must be a number of Mbit/s from 0.064 to 1000000');
    expect(patches).toBe(0);

    await user.clear(cap);
    await user.type(cap, '8');
    await user.click(form.getByLabelText('Adaptive (yield to business traffic)'));
    await user.click(form.getByRole('button', { name: 'Save site' }));
    await waitFor(() => expect(patches).toBe(1));
    await waitFor(() => expect(cap.getAttribute('aria-invalid')).toBe('true'));
    expect(document.getElementById(cap.getAttribute('aria-describedby')!.split(' ')[0]!)!.textContent).toBe('Must be an integer of bytes per second, 8000–125000000000 or null');
    expect(cap.value).toBe('8');
    expect((form.getByLabelText('Adaptive (yield to business traffic)') as HTMLInputElement).checked).toBe(false);

    await user.click(form.getByRole('button', { name: 'Save site' }));
    await waitFor(() => expect(patches).toBe(2));
    expect(s.requests.filter((r) => r.method === 'PATCH').at(-1)!.body).toEqual({ name: 'Lyon', subnets: ['10.1.0.0/24'], wan: { capBytesPerSecond: 1_000_000, adaptive: false } });

    // No cap: the field is disabled and null is sent.
    await user.click(await screen.findByRole('button', { name: 'Edit site Lyon' }));
    const again = within(screen.getByRole('button', { name: 'Save site' }).closest('form')!);
    await user.click(again.getByLabelText('No cap'));
    expect((again.getByLabelText('WAN cap (Mbit/s)') as HTMLInputElement).disabled).toBe(true);
    await user.click(again.getByRole('button', { name: 'Save site' }));
    await waitFor(() => expect(patches).toBe(3));
    expect((s.requests.filter((r) => r.method === 'PATCH').at(-1)!.body as { wan: unknown }).wan).toEqual({ capBytesPerSecond: null, adaptive: true });
  });
});
