/**
 * The typed API client shared by the CLI, the agent and the web console: `client.call('createSite',
 * { body })` is checked against the route table at compile time. Uses global fetch only, so it runs
 * in Node and browsers. Non-2xx answers throw ApiError carrying the server's stable `code`.
 */
import { api, pathOf, type Api, type InputOf, type OperationId, type OutputOf, type RouteDef } from './api.js';
import { ApiError } from './errors.js';

export interface ClientOptions {
  /** e.g. http://127.0.0.1:8470 */
  baseUrl: string;
  /** Bearer token: session, API token, or agent credential. */
  token?: string;
  fetch?: typeof fetch;
  /** Extra headers on every call. */
  headers?: Record<string, string>;
}

export interface CallOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A typed client over the route table. */
export class ApiClient {
  readonly #base: string;
  readonly #fetch: typeof fetch;
  token: string | undefined;
  readonly #headers: Record<string, string>;

  constructor(options: ClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
    this.token = options.token;
    this.#headers = options.headers ?? {};
  }

  /** Full URL of an operation (for SSE clients and links). */
  urlOf<K extends OperationId>(op: K, input?: Partial<InputOf<Api[K]>>): string {
    const route: RouteDef = api[op];
    const url = new URL(this.#base + pathOf(route, input?.params as Record<string, string> | undefined));
    for (const [k, v] of Object.entries((input?.query ?? {}) as Record<string, unknown>)) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url.toString();
  }

  /** Headers an authenticated call carries. */
  authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  /** Calls an operation and returns its decoded 2xx answer. */
  async call<K extends OperationId>(op: K, input: InputOf<Api[K]>, options: CallOptions = {}): Promise<OutputOf<Api[K]>> {
    const res = await this.raw(op, input, options);
    return (await decodeAnswer(api[op], res)) as OutputOf<Api[K]>;
  }

  /** Calls an operation and returns the Response untouched (for 304 handling, streams). Throws ApiError on 4xx/5xx. */
  async raw<K extends OperationId>(op: K, input: InputOf<Api[K]>, options: CallOptions = {}): Promise<Response> {
    const route: RouteDef = api[op];
    const headers: Record<string, string> = { ...this.#headers, ...this.authHeaders(), ...options.headers };
    let body: BodyInit | undefined;
    if (input.body !== undefined) {
      if (route.bodyKind === 'binary') {
        headers['content-type'] = 'application/octet-stream';
        body = input.body as Uint8Array as unknown as BodyInit;
      } else {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(input.body);
      }
    }
    const res = await this.#fetch(this.urlOf(op, input as Partial<InputOf<Api[K]>>), { method: route.method, headers, body, signal: options.signal });
    if (res.status >= 400) throw await apiErrorOf(res);
    return res;
  }
}

async function decodeAnswer(route: RouteDef, res: Response): Promise<unknown> {
  if (res.status === 204 || res.status === 304) return undefined;
  if (route.responseKind === 'binary') return new Uint8Array(await res.arrayBuffer());
  if (route.responseKind === 'text') return res.text();
  return res.json();
}

/** Turns an error answer into ApiError (the body is the server's `{ code, message, field }`). */
export async function apiErrorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { code?: string; message?: string; field?: string };
    return new ApiError(res.status, body.code ?? `HTTP_${res.status}`, body.message ?? text, body.field);
  } catch {
    return new ApiError(res.status, `HTTP_${res.status}`, text.slice(0, 200) || res.statusText);
  }
}

/** Shorthand constructor. */
export function createClient(options: ClientOptions): ApiClient {
  return new ApiClient(options);
}
