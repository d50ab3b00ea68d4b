/**
 * An incremental parser for Server-Sent Events (WHATWG HTML "9.2.6 Interpreting an event stream"):
 * the policy stream is `retry: 2000`, then `id: <etag>` / `event: policy` / `data: <json>` frames
 * and `: ping` comments. Pure: feed it text chunks as they arrive (split anywhere, even inside a
 * line or a CRLF), get back the complete events. Lines are bounded so a broken server cannot grow
 * memory without limit.
 */

export interface SseEvent {
  /** `event:` field, "message" when absent. */
  type: string;
  /** `data:` lines joined with "\n". */
  data: string;
  /** The last event id seen so far (persists across events, as the spec says). */
  lastEventId: string;
}

export interface SseFeedResult {
  events: SseEvent[];
  /** Set when the stream sent `retry:` with a valid number of ms. */
  retryMs?: number;
  /** Comment lines (": ping"): a keep-alive proves the connection is alive. */
  comments: number;
}

export class SseParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SseParseError';
  }
}

export class SseParser {
  #buffer = '';
  #pendingCr = false;
  #type = '';
  #data: string[] = [];
  #dataBytes = 0;
  #lastEventId = '';

  /** @param maxEventBytes bound on one event's data (a policy document is at most a few MiB). */
  constructor(readonly maxEventBytes = 16 * 1024 * 1024) {}

  /** Parses a chunk; throws SseParseError when an event grows past maxEventBytes. */
  feed(chunk: string): SseFeedResult {
    const out: SseFeedResult = { events: [], comments: 0 };
    let text = chunk;
    // A CR at the end of the previous chunk may be the first half of a CRLF.
    if (this.#pendingCr) {
      this.#pendingCr = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    this.#buffer += text;
    if (this.#buffer.length > this.maxEventBytes + 1024) throw new SseParseError(`an event stream line is longer than ${this.maxEventBytes} bytes`);
    let start = 0;
    for (;;) {
      const m = /\r\n|\r|\n/g;
      m.lastIndex = start;
      const hit = m.exec(this.#buffer);
      if (!hit) break;
      if (hit[0] === '\r' && hit.index === this.#buffer.length - 1) {
        // Could be CRLF split across chunks: take the line now, swallow a leading LF next time.
        this.#line(this.#buffer.slice(start, hit.index), out);
        start = hit.index + 1;
        this.#pendingCr = true;
        break;
      }
      this.#line(this.#buffer.slice(start, hit.index), out);
      start = hit.index + hit[0].length;
    }
    this.#buffer = this.#buffer.slice(start);
    return out;
  }

  #line(line: string, out: SseFeedResult): void {
    if (line === '') {
      this.#dispatch(out);
      return;
    }
    if (line.startsWith(':')) {
      out.comments++;
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#type = value;
        break;
      case 'data':
        this.#dataBytes += value.length + 1;
        if (this.#dataBytes > this.maxEventBytes) throw new SseParseError(`an event is larger than ${this.maxEventBytes} bytes`);
        this.#data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) out.retryMs = Number(value);
        break;
      default:
        // Unknown fields are ignored (spec).
        break;
    }
  }

  #dispatch(out: SseFeedResult): void {
    if (this.#data.length > 0) {
      out.events.push({ type: this.#type || 'message', data: this.#data.join('\n'), lastEventId: this.#lastEventId });
    }
    this.#type = '';
    this.#data = [];
    this.#dataBytes = 0;
  }
}
