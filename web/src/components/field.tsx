/**
 * A labelled form control with its hint and the server's message for it, wired for screen readers
 * (aria-invalid, aria-describedby) so the error is read with the field.
 */
import { useId, type ReactNode } from 'react';

export interface ControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

export function Field(props: { label: string; error?: string; hint?: ReactNode; children: (control: ControlProps) => ReactNode; className?: string }) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${props.error ? ' field-invalid' : ''}${props.className ? ` ${props.className}` : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, 'aria-invalid': Boolean(props.error), 'aria-describedby': describedBy })}
      {props.error && <div className="field-error" id={errorId} role="alert">{props.error}</div>}
      {props.hint && <div className="field-hint" id={hintId}>{props.hint}</div>}
    </div>
  );
}

/** The message no field claimed, at the top of a form. */
export function FormError(props: { message?: string }) {
  if (!props.message) return null;
  return <div className="form-error" role="alert">{props.message}</div>;
}
