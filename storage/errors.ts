// Typed errors shared by every layer. Each carries a stable code and the HTTP status the server maps it to,
// so routes and spoolers throw and exactly one middleware turns them into responses.

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

/** A key, namespace or id that could escape its namespace or is malformed (I8). */
export class InvalidKeyError extends QspoolError {
  constructor(message: string) {
    super('invalid_key', 400, message);
  }
}

/** The addressed document does not exist (or the caller may not know it exists). */
export class NotFoundError extends QspoolError {
  constructor(message = 'Not found') {
    super('not_found', 404, message);
  }
}

/** A create-only write found the key taken, or a compare-and-swap saw another version. */
export class ConflictError extends QspoolError {
  constructor(message = 'Conflict', code = 'conflict') {
    super(code, 409, message);
  }
}

/** The caller's lease on a running job was taken over; its result must not be published (I6 fencing). */
export class LeaseLostError extends QspoolError {
  constructor(jobId: string) {
    super('lease_lost', 409, `The lease on job ${jobId} was lost to another spooler`);
  }
}

/** The storage backend cannot be reached or failed in a way worth retrying later. */
export class StorageUnavailableError extends QspoolError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds = 5) {
    super('storage_unavailable', 503, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A document or request exceeds a configured bound. */
export class LimitExceededError extends QspoolError {
  constructor(message: string, details?: unknown) {
    super('limit_exceeded', 413, message, details);
  }
}
