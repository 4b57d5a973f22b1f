// What a client call fails with: the API's answer (ApiError), no answer at all (ConnectionError, TimeoutError), or
// options no call can be made with (InvalidOptionsError). Messages name the server, never the request's headers.

/** An error answer of the API: `{error: {code, message, details}}` and its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
    /** The wait the answer's Retry-After asked for, in milliseconds. */
    readonly retryAfterMs: number | undefined = undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * No answer from the server at all: connection refused or reset, unknown host, TLS failure, a blocked port. fetch
 * says only "fetch failed"; this names the server and the cause, and nothing of the request, whose headers carry the
 * token.
 */
export class ConnectionError extends Error {
  /** The system's error code (ECONNREFUSED, ECONNRESET, …), else what fetch said of the cause. */
  readonly reason: string;

  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    const reason = reasonOf(cause);
    super(`Cannot reach ${url} (${reason})`, { cause });
    this.name = 'ConnectionError';
    this.reason = reason;
  }
}

function reasonOf(failure: unknown): string {
  const cause = (failure as { cause?: { code?: unknown; message?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : String(cause?.message ?? failure);
}

/** The server took the request but gave no complete answer within the client's timeout. */
export class TimeoutError extends Error {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`${url} did not answer within ${timeoutMs / 1000} s`);
    this.name = 'TimeoutError';
  }
}

/** Options no call can be made with (a server URL that is none, a token no header can carry): the caller's mistake. */
export class InvalidOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOptionsError';
  }
}
