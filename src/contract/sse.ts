/**
 * Server-Sent Events parsing (WHATWG HTML §9.2 "event stream interpretation"): lines end in LF,
 * CRLF or CR; `event`, `data` (joined with LF), `id`, `retry` fields; `:` starts a comment; a blank
 * line dispatches. Pure and incremental: feed it text chunks as they arrive, in any split.
 */

export interface SseEvent {
  event: string;
  data: string;
  /** The last event id seen so far (persists across events, as the spec says). */
  id: string | null;
}

export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #hasData = false;
  #lastId: string | null = null;
  /** Reconnection delay the server asked for, if any. */
  retryMs: number | null = null;
  /** Bound on a single line, so a hostile stream cannot grow memory without end. */
  readonly maxLineBytes: number;

  constructor(options: { maxLineBytes?: number } = {}) {
    this.maxLineBytes = options.maxLineBytes ?? 64 * 1024 * 1024;
  }

  get lastEventId(): string | null {
    return this.#lastId;
  }

  /** Feeds a chunk; returns the events it completed. Throws if a line exceeds maxLineBytes. */
  push(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.#buffer);
      if (!m) break;
      // A CR at the very end may be the first half of CRLF: wait for more.
      if (m[0] === '\r' && m.index === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, m.index);
      this.#buffer = this.#buffer.slice(m.index + m[0].length);
      const ev = this.#line(line);
      if (ev) out.push(ev);
    }
    if (this.#buffer.length > this.maxLineBytes) throw new Error(`SSE line longer than ${this.maxLineBytes} bytes`);
    return out;
  }

  #line(line: string): SseEvent | null {
    if (line === '') {
      if (!this.#hasData) { this.#event = ''; return null; }
      const ev = { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#lastId };
      this.#event = '';
      this.#data = [];
      this.#hasData = false;
      return ev;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event': this.#event = value; break;
      case 'data': this.#data.push(value); this.#hasData = true; break;
      case 'id': if (!value.includes('\0')) this.#lastId = value; break;
      case 'retry': if (/^\d+$/.test(value)) this.retryMs = Number(value); break;
      default: break; // unknown fields are ignored (spec)
    }
    return null;
  }
}
