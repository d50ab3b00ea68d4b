// Goal: target collections can be chosen by drag and drop and, equally, by keyboard alone; only
// agent collections are offered; each move is announced; the server's error shows in the targets.
// Method: the component with a state-holding wrapper; user-event for Tab/Enter, fireEvent with a
// DataTransfer stand-in for HTML5 drag and drop.
import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, test } from 'vitest';
import { collection } from '../testing/fixtures.js';
import { TargetCollections } from './target-collections.js';

const collections = [
  collection({ id: 'c-1', name: 'Branch responders' }),
  collection({ id: 'c-2', name: 'Laptops', rules: [{ kind: 'label', key: 'class', value: 'laptop' }] }),
  collection({ id: 'c-3', name: 'Lab PCs', memberKind: 'machine' }),
];

function Harness(props: { initial?: string[]; error?: string; seen: string[][] }) {
  const [ids, setIds] = useState(props.initial ?? []);
  return <TargetCollections collections={collections} targetIds={ids} onChange={(next) => { props.seen.push(next); setIds(next); }} error={props.error} errorId="targets-error" />;
}

const zone = (name: 'targets' | 'available') => document.querySelector(`[data-zone="${name}"]`) as HTMLElement;

/**
 * A DataTransfer stand-in whose members are own properties: Testing Library copies own properties
 * onto the event's DataTransfer, so closures keep one shared store across dragstart and drop.
 */
class FakeDataTransfer {
  readonly store = new Map<string, string>();
  readonly types: string[] = [];
  dropEffect = 'none';
  effectAllowed = 'all';
  setData = (type: string, value: string) => { if (!this.store.has(type)) this.types.push(type); this.store.set(type, value); };
  getData = (type: string) => this.store.get(type) ?? '';
}

describe('TargetCollections', () => {
  test('offers agent collections only, with their rules', () => {
    render(<Harness seen={[]} />);
    const available = within(zone('available'));
    expect(available.getByText('Branch responders')).toBeTruthy();
    expect(available.getByText('label class=laptop')).toBeTruthy();
    expect(screen.queryByText('Lab PCs')).toBeNull();
    expect(within(zone('targets')).getByText(/Drag collections here/)).toBeTruthy();
  });

  test('drag from available into targets, and back out', () => {
    const seen: string[][] = [];
    render(<Harness seen={seen} />);
    const dt = new FakeDataTransfer();
    const item = zone('available').querySelector('[data-collection="Laptops"]')!;
    fireEvent.dragStart(item, { dataTransfer: dt });
    fireEvent.dragOver(zone('targets'), { dataTransfer: dt });
    expect(zone('targets').className).toContain('dnd-over');
    fireEvent.drop(zone('targets'), { dataTransfer: dt });
    expect(seen).toEqual([['c-2']]);
    expect(zone('targets').querySelector('[data-collection="Laptops"]')).toBeTruthy();
    expect(zone('available').querySelector('[data-collection="Laptops"]')).toBeNull();
    expect(screen.getByText('Laptops added to the targets')).toBeTruthy();

    const back = new FakeDataTransfer();
    fireEvent.dragStart(zone('targets').querySelector('[data-collection="Laptops"]')!, { dataTransfer: back });
    fireEvent.drop(zone('available'), { dataTransfer: back });
    expect(seen.at(-1)).toEqual([]);
    expect(screen.getByText('Laptops removed from the targets')).toBeTruthy();
  });

  test('a drop without our data (a file, text from elsewhere) changes nothing', () => {
    const seen: string[][] = [];
    render(<Harness seen={seen} />);
    const dt = new FakeDataTransfer();
    dt.setData('text/plain', 'hello');
    fireEvent.dragOver(zone('targets'), { dataTransfer: dt });
    fireEvent.drop(zone('targets'), { dataTransfer: dt });
    expect(seen).toEqual([]);
  });

  test('keyboard: Tab to a collection’s Add button, Enter; then Remove from the targets', async () => {
    const seen: string[][] = [];
    const user = userEvent.setup();
    render(<Harness seen={seen} />);
    await user.tab();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Add Branch responders to the targets' }));
    await user.keyboard('{Enter}');
    expect(seen).toEqual([['c-1']]);
    const remove = screen.getByRole('button', { name: 'Remove Branch responders from the targets' });
    remove.focus();
    await user.keyboard(' ');
    expect(seen.at(-1)).toEqual([]);
  });

  test('the server’s error is shown in the targets and describes them', () => {
    render(<Harness seen={[]} initial={['c-1', 'gone']} error="Collection gone does not exist" />);
    expect(within(zone('targets')).getByRole('alert').textContent).toBe('Collection gone does not exist');
    expect(zone('targets').getAttribute('aria-describedby')).toBe('targets-error');
    expect(within(zone('targets')).getByText('unknown collection gone')).toBeTruthy();
  });
});
