/**
 * Loads data for a page and keeps it fresh: loading until the first answer, the last good data
 * kept on screen when a reload fails (with the error beside it), reloaded when the connection comes
 * back, and every `refreshMs` while the tab is visible.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useConsoleApi } from './console-api.js';

export interface Query<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

export function useQuery<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[], options: { refreshMs?: number } = {}): Query<T> {
  const { connection } = useConsoleApi();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setTick((t) => t + 1), []);

  // A change of what is asked for starts over (no stale rows under a new filter).
  useEffect(() => {
    setData(undefined);
    setLoading(true);
    setError(undefined);
  }, deps);

  useEffect(() => {
    const abort = new AbortController();
    loadRef.current(abort.signal).then(
      (d) => { if (!abort.signal.aborted) { setData(d); setError(undefined); setLoading(false); } },
      (e: unknown) => { if (!abort.signal.aborted) { setError(e); setLoading(false); } },
    );
    return () => abort.abort();
  }, [...deps, tick]);

  useEffect(() => connection.on('state', (s) => { if (s === 'online') reload(); }), [connection, reload]);

  useEffect(() => {
    if (!options.refreshMs) return;
    const t = setInterval(() => {
      if (connection.state === 'online' && document.visibilityState !== 'hidden') reload();
    }, options.refreshMs);
    return () => clearInterval(t);
  }, [options.refreshMs, connection, reload]);

  return { data, error, loading, reload };
}
