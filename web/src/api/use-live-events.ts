/**
 * Boot events of the last 24 hours kept current: loaded once through the API, then followed on the
 * live feed from the newest id loaded. Newest first, each id once, at most `keepMax` kept.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { BootEvent } from '../../../src/contract/schemas.js';
import { followBootEvents, type FeedState } from './boot-event-feed.js';
import { useConsoleApi } from './console-api.js';
import { useQuery } from './use-query.js';

export function useLiveEvents(options: { sinceMs: number; keepMax?: number }): { events: BootEvent[]; feed: FeedState; loading: boolean; error: unknown; capped: boolean } {
  const { client, connection } = useConsoleApi();
  const keepMax = options.keepMax ?? 5000;
  const since = useMemo(() => new Date(options.sinceMs).toISOString(), [options.sinceMs]);
  const initial = useQuery((signal) => client.call('listEvents', { query: { since, limit: keepMax } }, { signal }), [since, keepMax]);
  const [live, setLive] = useState<BootEvent[]>([]);
  const [feed, setFeed] = useState<FeedState>('connecting');
  const started = useRef(false);

  useEffect(() => {
    if (!initial.data || started.current) return;
    started.current = true;
    const newest = initial.data.reduce<number | null>((m, e) => (m === null || e.id > m ? e.id : m), null);
    const f = followBootEvents({
      client, fetch: connection.fetch, lastEventId: newest,
      onEvent: (e) => setLive((prev) => [e, ...prev].slice(0, keepMax)),
      onState: setFeed,
    });
    return () => { f.stop(); started.current = false; };
  }, [initial.data, client, connection, keepMax]);

  const events = useMemo(() => {
    const seen = new Set<number>();
    const out: BootEvent[] = [];
    for (const e of [...live, ...(initial.data ?? [])]) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      out.push(e);
    }
    return out.slice(0, keepMax);
  }, [live, initial.data, keepMax]);

  return { events, feed, loading: initial.loading && !initial.data, error: initial.error, capped: (initial.data?.length ?? 0) >= keepMax };
}
