/**
 * Puts the server's validation answer next to the field it concerns. Every 4xx carries `field`
 * (`body.name`, `body.rules[0].cidr`, `body.unknownComputers.profileId`); a form asks for the
 * message of each of its fields, and whatever no field claimed is shown at the top of the form.
 */
import { ApiError } from '../../../src/contract/errors.js';
import { ConnectionLostError } from './connection.js';

/** Does the error concern `field` (the field itself or something inside it)? */
export function concerns(err: unknown, field: string): boolean {
  if (!(err instanceof ApiError) || !err.field) return false;
  return err.field === field || err.field.startsWith(`${field}.`) || err.field.startsWith(`${field}[`);
}

/**
 * The message for one field, or undefined. Shown beside the field, so the server's leading field
 * name goes ("body.mac must be a MAC address" → "Must be a MAC address").
 */
export function fieldMessage(err: unknown, field: string): string | undefined {
  if (!concerns(err, field)) return undefined;
  const e = err as ApiError;
  const own = e.field && e.message.startsWith(`${e.field} `) ? e.message.slice(e.field.length + 1) : e.message;
  return capitalize(own);
}

/** The message for the top of the form when none of `fields` claims the error. */
export function formMessage(err: unknown, fields: readonly string[]): string | undefined {
  if (!err) return undefined;
  if (fields.some((f) => concerns(err, f))) return undefined;
  return messageOf(err);
}

/** One line for a person: the server's message, or what went wrong on the way. */
export function messageOf(err: unknown): string {
  if (err instanceof ConnectionLostError) return 'The server cannot be reached. Your changes are kept here; try again when the connection is back.';
  if (err instanceof ApiError) {
    if (err.status === 409 || err.status === 422 || err.status === 400 || err.status === 404) return capitalize(err.message);
    if (err.status === 401) return 'Your session has ended. Log in again; your changes are kept.';
    if (err.status === 403) return 'This account may not do that.';
    if (err.status >= 500) return `The server failed (${err.code}): ${err.message}`;
    return capitalize(err.message);
  }
  return err instanceof Error ? err.message : String(err);
}

function capitalize(s: string): string {
  return s.length ? s[0]!.toUpperCase() + s.slice(1) : s;
}
