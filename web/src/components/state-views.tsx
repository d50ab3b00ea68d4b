/** Loading, empty and error states, the same on every page. */
import type { ReactNode } from 'react';
import { messageOf } from '../api/field-errors.js';

export function Loading(props: { what: string }) {
  return <div className="state state-loading" role="status" aria-live="polite"><span className="spinner" aria-hidden="true" />Loading {props.what}…</div>;
}

export function Empty(props: { children: ReactNode }) {
  return <div className="state state-empty">{props.children}</div>;
}

export function LoadError(props: { error: unknown; what: string; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <strong>Could not load {props.what}.</strong> {messageOf(props.error)}
      {props.onRetry && <button type="button" className="link-button" onClick={props.onRetry}>Try again</button>}
    </div>
  );
}

/**
 * The usual trio around a query: loading until the first answer; the error when there is no data;
 * the data (with a quiet note when a refresh failed) otherwise.
 */
export function QueryView<T>(props: { query: { data: T | undefined; error: unknown; loading: boolean; reload(): void }; what: string; children: (data: T) => ReactNode }) {
  const { data, error, loading, reload } = props.query;
  if (data === undefined) {
    if (error) return <LoadError error={error} what={props.what} onRetry={reload} />;
    if (loading) return <Loading what={props.what} />;
    return null;
  }
  return (
    <>
      {error ? <div className="stale-note" role="status">Showing the last {props.what} received; refreshing failed: {messageOf(error)}</div> : null}
      {props.children(data)}
    </>
  );
}
