// Goal: a collection's rules and static members are edited and saved as one PATCH; a rule the
// server refuses shows its message beside that rule's field, the other edits kept; the resolved
// members are listed by name.
// Method: the page over a fake control plane, the collection selected through its URL parameter.
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import { agent, collection } from '../testing/fixtures.js';
import { fakeServer } from '../testing/fake-server.js';
import { renderWithApi } from '../testing/render.js';
import { CollectionsPage } from './collections-page.js';

describe('collections', () => {
  test('edit rules and members; a refused rule field is marked; members listed by name', async () => {
    const c = collection({ id: 'c-1', name: 'Branch responders', rules: [] });
    const s = fakeServer({
      'GET /api/v1/collections': [c],
      'GET /api/v1/agents': [agent({ id: 'a-1', hostname: 'pc-one' }), agent({ id: 'a-2', hostname: 'pc-two' })],
      'GET /api/v1/collections/c-1/members': { memberKind: 'agent', ids: ['a-2'] },
    });
    let patches = 0;
    s.on('PATCH /api/v1/collections/c-1', (req) => {
      patches += 1;
      if (patches === 1) return { status: 400, body: { code: 'SERVER_ERR_VALIDATION', message: 'body.rules[0].cidr must be IPv4 network, a.b.c.d/len', field: 'body.rules[0].cidr' } };
      return { body: { ...c, ...(req.body as object) } };
    });
    const user = userEvent.setup();
    renderWithApi(<CollectionsPage params={new URLSearchParams('id=c-1')} />, s);
    await screen.findByRole('heading', { name: /Branch responders/ });
    const membersNow = () => screen.getByRole('heading', { name: 'Members now' }).nextElementSibling?.textContent;
    await waitFor(() => expect(membersNow()).toBe('pc-two'));

    await user.click(screen.getByRole('button', { name: 'Add rule' }));
    await user.type(screen.getByLabelText('Subnet (CIDR)'), '10.1.0.0/99');
    await user.click(await screen.findByLabelText('pc-one'));
    await user.click(screen.getByRole('button', { name: 'Save collection' }));
    const cidr = screen.getByLabelText('Subnet (CIDR)');
    await waitFor(() => expect(cidr.getAttribute('aria-invalid')).toBe('true'));
    expect(document.getElementById(cidr.getAttribute('aria-describedby')!)!.textContent).toBe('Must be IPv4 network, a.b.c.d/len');
    expect((screen.getByLabelText('pc-one') as HTMLInputElement).checked).toBe(true);

    await user.clear(cidr);
    await user.type(cidr, '10.1.0.0/24');
    await user.click(screen.getByRole('button', { name: 'Save collection' }));
    await waitFor(() => expect(patches).toBe(2));
    const last = s.requests.filter((r) => r.method === 'PATCH').at(-1)!;
    expect(last.body).toEqual({ name: 'Branch responders', members: ['a-1'], rules: [{ kind: 'subnet', cidr: '10.1.0.0/24' }] });
    expect(membersNow()).toBe('pc-two');
  });
});
