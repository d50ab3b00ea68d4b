/**
 * The target-collection picker: agent collections are dragged from "Available" into "Targets"
 * (members of a target collection become PXE responders for their subnets), or moved with the
 * Add/Remove button on each one, which is the keyboard way. Changes are announced to screen readers.
 */
import { useState, type DragEvent } from 'react';
import type { Collection } from '../../../src/contract/schemas.js';

const dragType = 'application/x-peerboot-collection';

export interface TargetCollectionsProps {
  collections: Collection[];
  targetIds: string[];
  onChange(targetIds: string[]): void;
  error?: string;
  errorId?: string;
}

export function describeRules(c: Collection): string {
  const parts = c.rules.map((r) => r.kind === 'subnet' ? `subnet ${r.cidr}` : r.kind === 'namePattern' ? `name ${r.pattern}` : `label ${r.key}${r.value !== undefined ? `=${r.value}` : ''}`);
  if (c.members.length) parts.push(`${c.members.length} static member${c.members.length === 1 ? '' : 's'}`);
  return parts.join(' · ') || 'no members or rules';
}

export function TargetCollections(props: TargetCollectionsProps) {
  const [announcement, setAnnouncement] = useState('');
  const [over, setOver] = useState<'targets' | 'available' | null>(null);
  const agentCollections = props.collections.filter((c) => c.memberKind === 'agent');
  const byId = new Map(props.collections.map((c) => [c.id, c]));
  const targets = props.targetIds.map((id) => byId.get(id) ?? ({ id, name: `unknown collection ${id}`, memberKind: 'agent', members: [], rules: [], createdAt: '' } as Collection));
  const available = agentCollections.filter((c) => !props.targetIds.includes(c.id));

  const add = (id: string) => {
    if (props.targetIds.includes(id)) return;
    props.onChange([...props.targetIds, id]);
    setAnnouncement(`${byId.get(id)?.name ?? id} added to the targets`);
  };
  const remove = (id: string) => {
    props.onChange(props.targetIds.filter((t) => t !== id));
    setAnnouncement(`${byId.get(id)?.name ?? id} removed from the targets`);
  };
  const dropOn = (zone: 'targets' | 'available') => ({
    onDragOver: (e: DragEvent) => { if (e.dataTransfer.types.includes(dragType)) { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; setOver(zone); } },
    onDragLeave: () => setOver(null),
    onDrop: (e: DragEvent) => {
      e.preventDefault();
      setOver(null);
      const id = e.dataTransfer.getData(dragType);
      if (!id) return;
      if (zone === 'targets') add(id); else if (props.targetIds.includes(id)) remove(id);
    },
  });
  const item = (c: Collection, inTargets: boolean) => (
    <li
      key={c.id}
      className="dnd-item"
      draggable
      data-collection={c.name}
      onDragStart={(e) => { e.dataTransfer.setData(dragType, c.id); e.dataTransfer.setData('text/plain', c.name); e.dataTransfer.effectAllowed = 'move'; }}
    >
      <span className="dnd-grip" aria-hidden="true">⠿</span>
      <span className="dnd-text"><strong>{c.name}</strong><span className="muted">{describeRules(c)}</span></span>
      {inTargets
        ? <button type="button" className="button-small" onClick={() => remove(c.id)} aria-label={`Remove ${c.name} from the targets`}>Remove</button>
        : <button type="button" className="button-small" onClick={() => add(c.id)} aria-label={`Add ${c.name} to the targets`}>Add</button>}
    </li>
  );

  return (
    <div className="dnd">
      <div className={`dnd-zone${over === 'available' ? ' dnd-over' : ''}`} {...dropOn('available')} data-zone="available">
        <h3 id="available-title">Available agent collections</h3>
        {available.length === 0
          ? <p className="dnd-empty">{agentCollections.length === 0 ? 'No agent collections yet: create one on the Collections page.' : 'Every agent collection is a target.'}</p>
          : <ul aria-labelledby="available-title">{available.map((c) => item(c, false))}</ul>}
      </div>
      <div
        className={`dnd-zone dnd-targets${over === 'targets' ? ' dnd-over' : ''}${props.error ? ' dnd-invalid' : ''}`}
        {...dropOn('targets')}
        data-zone="targets"
        aria-describedby={props.errorId}
      >
        <h3 id="targets-title">Target collections</h3>
        {targets.length === 0
          ? <p className="dnd-empty">Drag collections here (or use Add). Their members become PXE responders for their subnets.</p>
          : <ul aria-labelledby="targets-title">{targets.map((c) => item(c, true))}</ul>}
        {props.error && <div className="field-error" id={props.errorId} role="alert">{props.error}</div>}
      </div>
      <div className="visually-hidden" aria-live="polite">{announcement}</div>
    </div>
  );
}
