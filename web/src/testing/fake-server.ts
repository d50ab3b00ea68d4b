/**
 * An in-memory stand-in for the control plane in component tests: a `fetch` that answers by
 * `METHOD /path` with JSON (or an SSE body), and records every request. Imported only by tests.
 */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string>;
}

export type FakeAnswer = { status?: number; body?: unknown; sse?: ReadableStream<Uint8Array> };
export type FakeHandler = (req: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

export interface FakeServer {
  fetch: typeof fetch;
  requests: FakeRequest[];
  /** Replaces or adds a route. */
  on(route: string, handler: FakeHandler): void;
  /** Makes every call fail as if the network were down (true) or answer again (false). */
  setDown(down: boolean): void;
}

export function fakeServer(routes: Record<string, FakeHandler | FakeAnswer['body']>): FakeServer {
  const table = new Map<string, FakeHandler>();
  const add = (route: string, h: FakeHandler | unknown) => table.set(route, typeof h === 'function' ? (h as FakeHandler) : () => ({ body: h }));
  for (const [route, h] of Object.entries(routes)) add(route, h);
  if (!table.has('GET /healthz')) add('GET /healthz', { status: 'ok', version: 'test' });
  const requests: FakeRequest[] = [];
  let down = false;
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, 'http://console.test');
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((init?.headers ?? {}) as Record<string, string>)) headers[k.toLowerCase()] = v;
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body;
    const req: FakeRequest = { method, path: url.pathname, query: url.searchParams, body, headers };
    requests.push(req);
    if (down) throw new TypeError('fetch failed');
    const handler: FakeHandler = table.get(`${method} ${url.pathname}`) ?? (() => ({ status: 404, body: { code: 'SERVER_ERR_NOT_FOUND', message: `no route ${method} ${url.pathname}` } }));
    const a = await handler(req);
    if (a.sse) return new Response(a.sse, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    return new Response(a.body === undefined ? null : JSON.stringify(a.body), { status: a.status ?? 200, headers: { 'content-type': 'application/json' } });
  };
  return {
    fetch: fetchImpl as typeof fetch,
    requests,
    on: (route, handler) => add(route, handler),
    setDown: (d) => { down = d; },
  };
}

/** An SSE body that stays open; `send` writes one event, `close` ends it. */
export function sseStream(): { stream: ReadableStream<Uint8Array>; send(event: string, data: unknown, id?: number): void; close(): void } {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start(c) { ctl = c; } });
  const enc = new TextEncoder();
  return {
    stream,
    send: (event, data, id) => ctl.enqueue(enc.encode(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)),
    close: () => ctl.close(),
  };
}

/** Stores a session so the App opens logged in. */
export function signIn(): void {
  window.sessionStorage.setItem('peerboot.session', JSON.stringify({ token: 'pbs.test.token', username: 'admin', expiresAt: new Date(Date.now() + 3_600_000).toISOString() }));
}
