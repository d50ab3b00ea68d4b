/**
 * A `fetch` for the typed API client that talks HTTP/1.1 over a Unix socket (the branch lab's
 * bridge into its server namespace, agent-branch.ts): enough for JSON and binary calls (method,
 * headers, body, status, response headers and bytes). No streaming.
 */
import { request } from 'node:http';

export function unixSocketFetch(socketPath: string): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => { headers[k] = v; });
    const body = init?.body === undefined || init.body === null ? undefined
      : typeof init.body === 'string' ? Buffer.from(init.body) : Buffer.from(init.body as Uint8Array);
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const req = request({ socketPath, path: url.pathname + url.search, method: init?.method ?? 'GET', headers: { host: url.host, ...headers } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          const status = res.statusCode ?? 500;
          const bytes = Buffer.concat(parts);
          resolve(new Response(status === 204 || status === 304 ? null : bytes, { status, headers: h }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (body) req.write(body);
      req.end();
    });
  }) as typeof fetch;
}
