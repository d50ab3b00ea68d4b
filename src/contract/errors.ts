/**
 * The control plane's error codes: one registry shared by the server (which maps a code to its HTTP
 * status in exactly one error handler) and every client (which branches on `code`, never on text).
 */
export const serverErrorStatus = {
  SERVER_ERR_VALIDATION: 400,
  SERVER_ERR_UNAUTHENTICATED: 401,
  SERVER_ERR_TOKEN_EXPIRED: 401,
  SERVER_ERR_BAD_CREDENTIALS: 401,
  SERVER_ERR_FORBIDDEN: 403,
  SERVER_ERR_NOT_FOUND: 404,
  SERVER_ERR_CONFLICT: 409,
  SERVER_ERR_REFERENCED: 409,
  SERVER_ERR_MISSING_CHUNKS: 409,
  SERVER_ERR_PACKAGE_INCOMPLETE: 422,
  SERVER_ERR_DIGEST_MISMATCH: 422,
  SERVER_ERR_PAYLOAD_TOO_LARGE: 413,
  SERVER_ERR_UNSUPPORTED_MEDIA: 415,
  SERVER_ERR_RATE_LIMITED: 429,
  SERVER_ERR_INTERNAL: 500,
  SERVER_ERR_UNAVAILABLE: 503,
} as const;

export type ServerErrorCode = keyof typeof serverErrorStatus;

/** The JSON body of every 4xx/5xx answer. `field` names the offending input, e.g. `body.subnets[1]`. */
export interface ApiErrorBody {
  code: ServerErrorCode;
  message: string;
  field?: string;
}

/** A fault with a stable code; thrown by services, turned into an HTTP answer by the server's one error handler. */
export class ServerError extends Error {
  /** HTTP status from the registry (a plain property: frameworks may read or copy it). */
  statusCode: number;
  constructor(readonly code: ServerErrorCode, message: string, readonly field?: string) {
    super(message);
    this.name = 'ServerError';
    this.statusCode = serverErrorStatus[code];
  }
}

/**
 * A fault in one input field, worded so the message names the field exactly as `field` does
 * (`body.unknownComputers.profileId is required …`): one form for people and programs alike.
 * `text` continues the sentence after the field's name.
 */
export function fieldError(field: string, text: string, code: ServerErrorCode = 'SERVER_ERR_VALIDATION'): ServerError {
  return new ServerError(code, `${field} ${text}`, field);
}

/** What the typed client throws for a non-2xx answer. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string) {
    super(message);
    this.name = 'ApiError';
  }
}
