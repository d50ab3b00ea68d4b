/**
 * Hash routes (#/agents?site=…): the server serves one page at /, and a reload or a shared link
 * opens the same view.
 */
import { useCallback, useEffect, useState } from 'react';

export const pages = [
  { path: 'overview', title: 'Overview' },
  { path: 'settings', title: 'P2P PXE settings' },
  { path: 'agents', title: 'Agents' },
  { path: 'machines', title: 'Machines' },
  { path: 'collections', title: 'Collections' },
  { path: 'deployments', title: 'Deployments' },
  { path: 'packages', title: 'Packages & profiles' },
  { path: 'events', title: 'Boot events' },
] as const;

export type PagePath = (typeof pages)[number]['path'];

export interface Route {
  page: PagePath;
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const page = (pages.find((p) => p.path === path)?.path ?? 'overview') as PagePath;
  return { page, params: new URLSearchParams(query) };
}

export function hrefOf(page: PagePath, params?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v) q.set(k, v);
  const s = q.toString();
  return `#/${page}${s ? `?${s}` : ''}`;
}

export function useRoute(): [Route, (page: PagePath, params?: Record<string, string | undefined>) => void] {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const go = useCallback((page: PagePath, params?: Record<string, string | undefined>) => {
    const href = hrefOf(page, params);
    if (window.location.hash !== href) window.location.hash = href;
    setRoute(parseRoute(href));
  }, []);
  return [route, go];
}
