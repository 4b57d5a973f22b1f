// Turns errors from @aws-sdk/client-s3 into what the provider acts on. A failed conditional write is either a
// plain "precondition failed" or "indeterminate" (the write may or may not have landed: RGW answers some losers of
// an If-Match race with 500, AWS with 409 ConditionalRequestConflict, and a lost connection says nothing); both are
// settled by re-reading the object (documents.ts). Everything that means "S3 cannot be used right now" becomes
// StorageUnavailableError; anything else passes through unchanged, so programming errors stay visible.
import { LimitExceededError, QspoolError, StorageUnavailableError } from '../../schemas/errors.ts';

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

function shape(error: unknown): SdkErrorShape {
  return error !== null && typeof error === 'object' ? (error as SdkErrorShape) : {};
}

export function statusOf(error: unknown): number | undefined {
  const status = shape(error).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function nameOf(error: unknown): string {
  const { name } = shape(error);
  return typeof name === 'string' ? name : '';
}

/** Node socket errors and the SDK's own timeouts: the request never got an answer. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND',
  'EAI_AGAIN', 'ESOCKETTIMEDOUT', 'EADDRNOTAVAIL', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'UND_ERR_SOCKET',
]);
const NETWORK_NAMES: ReadonlySet<string> = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);

/** Throttling answers (S3's 503 SlowDown is also a 5xx). */
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded',
  'ServiceUnavailable', 'RequestThrottled',
]);

/**
 * Answers that mean the store is unusable as configured (wrong keys, clock, bucket): like the local provider's
 * EACCES, they are reported as an outage with the reason, not as a missing document.
 */
const MISCONFIGURED_NAMES: ReadonlySet<string> = new Set([
  'NoSuchBucket', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed', 'InvalidBucketName', 'PermanentRedirect',
]);

function isNetworkError(error: unknown): boolean {
  // Timeouts by name whatever the status: S3 answers an upload whose body stopped arriving with 400 RequestTimeout
  // ("Your socket connection to the server was not read from or written to within the timeout period").
  if (NETWORK_NAMES.has(nameOf(error))) return true;
  if (statusOf(error) !== undefined) return false;
  const { code } = shape(error);
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

export function isUnavailable(error: unknown): boolean {
  const status = statusOf(error);
  if (isNetworkError(error) || THROTTLING_NAMES.has(nameOf(error)) || MISCONFIGURED_NAMES.has(nameOf(error))) return true;
  return status !== undefined && (status >= 500 || status === 429 || status === 403);
}

/** A missing object (GET/HEAD). NoSuchBucket is not one: it is a misconfiguration. */
export function isMissingObject(error: unknown): boolean {
  const name = nameOf(error);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404;
}

export type WriteFailure = 'precondition' | 'indeterminate';

/**
 * How a failed conditional PUT failed, or undefined when the error is not about the condition at all.
 * 412: the condition did not hold. 404 on If-Match: AWS's way of saying the object is gone (RGW says 412).
 * 409 ConditionalRequestConflict (AWS), 5xx (RGW's race losers get 500), throttling and lost connections: the
 * write may or may not have happened.
 */
export function classifyWriteFailure(error: unknown, conditional: boolean): WriteFailure | undefined {
  const status = statusOf(error);
  if (status === 412 || nameOf(error) === 'PreconditionFailed') return 'precondition';
  if (conditional && isMissingObject(error)) return 'precondition';
  if (status === 409 || (status !== undefined && status >= 500) || isNetworkError(error)) return 'indeterminate';
  if (THROTTLING_NAMES.has(nameOf(error)) || status === 429) return 'indeterminate';
  return undefined;
}

function describe(error: unknown): string {
  const name = nameOf(error);
  const status = statusOf(error);
  const { message, code } = shape(error);
  const text = typeof message === 'string' && message !== 'UnknownError' ? message : '';
  return [name || (typeof code === 'string' ? code : 'Error'), status === undefined ? '' : `(HTTP ${status})`, text]
    .filter(Boolean)
    .join(' ');
}

/** The error to throw for a failed S3 call on `what` (an address or namespace, for the message). */
export function mapS3Error(error: unknown, what: string): unknown {
  if (error instanceof QspoolError) return error;
  let mapped: QspoolError | undefined;
  if (isUnavailable(error)) mapped = new StorageUnavailableError(`S3 is unavailable for ${what}: ${describe(error)}`);
  else if (nameOf(error) === 'EntityTooLarge') mapped = new LimitExceededError(`${what} exceeds the S3 object size limit`);
  if (!mapped) return error;
  mapped.cause = error;
  return mapped;
}

/** An indeterminate write whose re-read shows that neither we nor anyone else changed the object: S3 failed it. */
export function unavailableWrite(what: string): StorageUnavailableError {
  return new StorageUnavailableError(`S3 did not complete a write of ${what}; try again`);
}
