/** A destructive action that asks once more in place (no modal): "Delete" → "Really delete X?" Yes / No. */
import { useState } from 'react';

export function ConfirmButton(props: { label: string; question: string; onConfirm(): void | Promise<void>; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking) return <button type="button" className="button-danger-quiet" disabled={props.disabled} onClick={() => setAsking(true)}>{props.label}</button>;
  return (
    <span className="confirm" role="group" aria-label={props.question}>
      <span>{props.question}</span>
      <button type="button" className="button-danger" autoFocus onClick={() => { setAsking(false); void props.onConfirm(); }}>Yes, {props.label.toLowerCase()}</button>
      <button type="button" className="button-quiet" onClick={() => setAsking(false)}>No</button>
    </span>
  );
}
