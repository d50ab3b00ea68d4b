/**
 * The WAN controls of a site form: the cap in Mbit/s with a "No cap" choice, and the adaptive
 * mode (LEDBAT: the site's package fetches yield to business traffic). The cap field shows the
 * form's own check or the server's message for `body.wan.capBytesPerSecond`.
 */
import { useId } from 'react';
import { Field } from './field.js';
import type { WanForm } from '../model/site-wan.js';

export function SiteWanFields(props: { value: WanForm; onChange(next: WanForm): void; capError?: string; adaptiveError?: string }) {
  const id = useId();
  const v = props.value;
  return (
    <fieldset className="site-wan">
      <legend>WAN bandwidth for package downloads</legend>
      <div className="checkbox">
        <input id={`${id}-nocap`} type="checkbox" checked={v.noCap} onChange={(e) => props.onChange({ ...v, noCap: e.target.checked })} />
        <label htmlFor={`${id}-nocap`}>No cap</label>
      </div>
      <Field label="WAN cap (Mbit/s)" error={v.noCap ? undefined : props.capError} hint="The site's total, shared by its agents that download at once. Transfers between peers on the LAN are never limited.">
        {(c) => <input {...c} type="text" inputMode="decimal" value={v.capMbit} disabled={v.noCap} placeholder="e.g. 20" onChange={(e) => props.onChange({ ...v, capMbit: e.target.value })} />}
      </Field>
      <div className="checkbox">
        <input id={`${id}-adaptive`} type="checkbox" checked={v.adaptive} aria-describedby={props.adaptiveError ? `${id}-adaptive-error` : undefined}
          onChange={(e) => props.onChange({ ...v, adaptive: e.target.checked })} />
        <label htmlFor={`${id}-adaptive`}>Adaptive (yield to business traffic)</label>
      </div>
      {props.adaptiveError && <div className="field-error" id={`${id}-adaptive-error`} role="alert">{props.adaptiveError}</div>}
    </fieldset>
  );
}
