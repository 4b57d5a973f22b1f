// Every typed error of qspool, in one module. Each carries a stable code and the HTTP status the server maps
// it to, so storage, spoolers and routes throw and exactly one middleware (server/middleware/errors.ts) answers.
import type { StatusDict } from './status.ts';

export class QspoolError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: string, status: number, message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** A key file or its directory that group or others can read; the message carries the command that fixes it. */
export class InsecurePermissionsError extends QspoolError {
  constructor(path: string, mode: number, fix: string) {
    super('insecure_permissions', 500, `${path} is readable by group or others (mode ${octalMode(mode)}); run: ${fix}`, { path, fix });
  }
}

/** Permission bits as `ls` and chmod write them (`0644`). */
export const octalMode = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');

/** A key, namespace or id that could escape its namespace or is malformed (I8). */
export class InvalidKeyError extends QspoolError {
  constructor(message: string) {
    super('invalid_key', 400, message);
  }
}

/** The addressed document does not exist (or the caller may not know it exists). */
export class NotFoundError extends QspoolError {
  constructor(message = 'Not found', code = 'not_found', details?: unknown) {
    super(code, 404, message, details);
  }
}

/** A create-only write found the key taken, or a compare-and-swap saw another version. */
export class ConflictError extends QspoolError {
  constructor(message = 'Conflict', code = 'conflict', details?: unknown) {
    super(code, 409, message, details);
  }
}

/** A compare-and-swap write or delete lost to another writer: the document changed or went meanwhile. */
export const isRaceLoss = (error: unknown): boolean => error instanceof ConflictError || error instanceof NotFoundError;

/** A file given to `qspool storage restore` that is no intact qspool store this version reads. */
export class InvalidBackupError extends QspoolError {
  constructor(message: string) {
    super('invalid_backup', 422, message);
  }
}

/** The caller's lease on a running job was taken over; its result must not be published (I6 fencing). */
export class LeaseLostError extends QspoolError {
  constructor(jobId: string) {
    super('lease_lost', 409, `The lease on job ${jobId} was lost to another spooler`);
  }
}

/** An admin asked to requeue, purge or inspect as a dead letter a job that is not one. */
export class NotDeadLetteredError extends QspoolError {
  constructor(jobId: string, state: string) {
    super('not_dead_lettered', 409, `Job ${jobId} is ${state}, not dead-lettered`, { status: state });
  }
}

/** The mail server did not take a mail the caller asked for (or e-mail is off); worth retrying later. */
export class MailUnavailableError extends QspoolError {
  constructor(message: string) {
    super('mail_unavailable', 503, message);
  }
}

/** The storage backend cannot be reached or failed in a way worth retrying later. */
export class StorageUnavailableError extends QspoolError {
  readonly retryAfterSeconds: number;
  /**
   * Whether the message is written for callers. Storage providers' messages name file paths, hosts and drivers'
   * errors: those go to the operator's log, and callers, strangers included, get a message without them.
   */
  readonly forCallers: boolean;

  constructor(message: string, retryAfterSeconds = 5, { forCallers = false }: { forCallers?: boolean } = {}) {
    super('storage_unavailable', 503, message);
    this.retryAfterSeconds = retryAfterSeconds;
    this.forCallers = forCallers;
  }
}

/** A document or request exceeds a configured bound. */
export class LimitExceededError extends QspoolError {
  constructor(message: string, details?: unknown) {
    super('limit_exceeded', 413, message, details);
  }
}

/** A job that breaks its backend's rules; the message names the experiment, instruction and rule. */
export class InvalidJobError extends QspoolError {
  constructor(message: string, details?: unknown, code = 'invalid_job') {
    super(code, 422, message, details);
  }
}

/**
 * A job over one of its backend's published work bounds (max_samples, max_result_bytes, max_hilbert_dimension,
 * max_hamiltonian_nonzeros): details list each broken bound with its `rule`, `limit` and the job's `value`.
 */
export class WorkLimitError extends InvalidJobError {
  constructor(message: string, details: unknown) {
    super(message, details, 'work_limit_exceeded');
  }
}

/** One problem in a request's fields, in django-ninja's shape (qlued clients read this on 422). */
export interface FieldProblem {
  type: string;
  loc: (string | number)[];
  msg: string;
}

export class RequestValidationError extends QspoolError {
  constructor(readonly problems: FieldProblem[]) {
    super('invalid_request', 422, problems.map((p) => `${p.loc.join('.')}: ${p.msg}`).join('; '), problems);
  }
}

/**
 * A JSON number beyond a double's range (1e309, -1e309): read, it would be ±Infinity, which checks quoted as null and
 * JSON stores as null, so what was checked, stored and run would differ. Named as sent, at its place in the body.
 */
export class NumberTooLargeError extends RequestValidationError {
  constructor(
    readonly path: (string | number)[],
    readonly text: string,
  ) {
    const shown = text.length > 40 ? `${text.slice(0, 39)}…` : text;
    super([{ type: 'number_too_large', loc: ['body', ...path], msg: `${shown} is a number too large (beyond ±1.7976931348623157e308)` }]);
  }
}

export class UnparseableBodyError extends QspoolError {
  constructor(message = 'Cannot parse request body') {
    super('unparseable_body', 400, message);
  }
}

/** A Host header that is not `name[:port]`: nothing may be built from it (a URL the answer echoes, say). */
export class BadHostError extends QspoolError {
  constructor(message = 'The Host header is not a host name with an optional port') {
    super('bad_host', 400, message);
  }
}

/** An Expect header other than 100-continue, the only expectation HTTP defines. */
export class ExpectationFailedError extends QspoolError {
  constructor(expectation: string) {
    super('expectation_failed', 417, `Only "Expect: 100-continue" is understood, not ${JSON.stringify(expectation.slice(0, 40))}`);
  }
}

/** The client went away while sending its body: nobody reads the answer, and it is the client's doing, not a 5xx. */
export class RequestAbortedError extends QspoolError {
  constructor() {
    super('request_aborted', 400, 'The client closed the connection before its request body was complete');
  }
}

/**
 * A body sent compressed (Content-Encoding other than identity). The server inflates nothing, so no body can grow past
 * QSPOOL_MAX_BODY_BYTES once read; read as it is, a gzip body was a confusing 400 and JSON merely labelled gzip passed.
 */
export class UnsupportedEncodingError extends QspoolError {
  constructor(encoding: string) {
    super('unsupported_content_encoding', 415, `Request bodies are taken uncompressed; Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not accepted`);
  }
}

/** A body that is not UTF-8 and says it is in another charset: bodies are read as UTF-8 (valid UTF-8 is taken as such). */
export class UnsupportedCharsetError extends QspoolError {
  constructor(charset: string) {
    super('unsupported_charset', 415, `Request bodies are read as UTF-8; charset ${JSON.stringify(charset.slice(0, 40))} is not accepted`);
  }
}

/**
 * A body sent to an operation that takes none: most likely the client meant another operation or thinks the body
 * matters, and it must not be left to believe so. RFC 9110 gives content in GET and DELETE no semantics either.
 */
export class UnexpectedBodyError extends QspoolError {
  constructor(operation: string) {
    super('unexpected_body', 400, `${operation} takes no request body; send it without one`);
  }
}

export class BodyTooLargeError extends QspoolError {
  constructor(limit: number) {
    super('body_too_large', 413, `Request body exceeds ${limit} bytes`);
  }
}

export class UnauthorizedError extends QspoolError {
  constructor(message = 'Unauthorized', code = 'unauthorized') {
    super(code, 401, message);
  }
}

/** The caller is known but may not do this (e.g. a priority above their allowance, an admin-only action). */
export class ForbiddenError extends QspoolError {
  constructor(message: string, code = 'forbidden', details?: unknown) {
    super(code, 403, message, details);
  }
}

/** Too many requests for one credential (or address) in a short time; retry after the given delay. */
export class RateLimitedError extends QspoolError {
  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', 429, `Too many requests; retry in ${retryAfterSeconds} s`, { retry_after_seconds: retryAfterSeconds });
  }
}

/** A per-user quota (queued jobs, API tokens) is used up until some of it is freed. */
export class QuotaExceededError extends QspoolError {
  constructor(message: string, details?: unknown) {
    super('quota_exceeded', 429, message, details);
  }
}

/** A job's result was asked for while it has none (still queued or running, failed, cancelled). */
export class ResultNotReadyError extends QspoolError {
  constructor(state: string, errorMessage: string | null) {
    super('result_not_ready', 409, `The job is ${state}; only DONE jobs have a result`, { status: state, error_message: errorMessage });
  }
}

/** The cluster's metrics could not be gathered (a worker of `qspool serve --workers N` did not answer in time). */
export class MetricsUnavailableError extends QspoolError {
  constructor(message: string) {
    super('metrics_unavailable', 503, message);
  }
}

export class MethodNotAllowedError extends QspoolError {
  constructor(readonly allowed: string[]) {
    super('method_not_allowed', 405, `Method not allowed; use ${allowed.join(', ')}`);
  }
}

export class RouteNotFoundError extends QspoolError {
  constructor(path: string) {
    super('route_not_found', 404, `No route for ${path}`);
  }
}

/**
 * An answer that qlued gives as a status dict (`{job_id, status, detail, error_message}`) with a given HTTP status:
 * unknown backend, bad credentials, invalid job, ERROR jobs.
 */
export class StatusDictError extends QspoolError {
  constructor(
    status: number,
    code: string,
    readonly statusDict: StatusDict,
  ) {
    super(code, status, statusDict.error_message === 'None' ? statusDict.detail : statusDict.error_message);
  }
}

export function errorStatusDict(message: string, detail = message, jobId = 'None'): StatusDict {
  return { job_id: jobId, status: 'ERROR', detail, error_message: message };
}
