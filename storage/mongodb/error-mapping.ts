// Turns MongoDB driver errors into qspool's typed errors: a duplicate address is a ConflictError, anything that
// says "the server cannot be reached or is changing primaries right now" is StorageUnavailableError (retry
// later), an oversized document is LimitExceededError. Everything else passes through untouched, so programming
// errors stay visible instead of being disguised as outages.
import { MongoError, MongoErrorLabel, MongoInvalidArgumentError, MongoNetworkError, MongoOperationTimeoutError,
  MongoServerSelectionError, MongoWriteConcernError } from 'mongodb';
import { ConflictError, LimitExceededError, QspoolError, StorageUnavailableError } from '../../schemas/errors.ts';

/** DuplicateKey, and the two codes older servers used for it. */
const DUPLICATE_KEY_CODES: ReadonlySet<number> = new Set([11000, 11001, 12582]);

/**
 * Server codes of a node that is down, unreachable, stepping down or not primary: the same operation may succeed
 * on retry, once a primary is reachable again.
 */
const UNAVAILABLE_CODES: ReadonlySet<number> = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  64, // WriteConcernFailed / WriteConcernTimeout
  89, // NetworkTimeout
  91, // ShutdownInProgress
  133, // FailedToSatisfyReadPreference
  134, // ReadConcernMajorityNotAvailableYet
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10058, // LegacyNotPrimary
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Labels the driver attaches to errors it would itself consider transient. */
const UNAVAILABLE_LABELS: readonly string[] = [
  MongoErrorLabel.RetryableWriteError,
  MongoErrorLabel.ResetPool,
  MongoErrorLabel.PoolRequestedRetry,
  MongoErrorLabel.InterruptInUseConnections,
  MongoErrorLabel.SystemOverloadedError,
];

/** BSONObjectTooLarge, and "document after update is larger than 16 MiB". */
const TOO_LARGE_CODES: ReadonlySet<number> = new Set([10334, 17419, 17420]);

function codeOf(error: MongoError): number | undefined {
  const code = Number(error.code);
  return Number.isInteger(code) ? code : undefined;
}

export function isDuplicateKey(error: unknown): boolean {
  if (!(error instanceof MongoError)) return false;
  const code = codeOf(error);
  return code !== undefined && DUPLICATE_KEY_CODES.has(code);
}

export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof MongoError)) return false;
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoOperationTimeoutError ||
    error instanceof MongoWriteConcernError
  ) {
    return true;
  }
  const code = codeOf(error);
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) return true;
  return UNAVAILABLE_LABELS.some((label) => error.hasErrorLabel(label));
}

function isTooLarge(error: MongoError): boolean {
  const code = codeOf(error);
  if (code !== undefined && TOO_LARGE_CODES.has(code)) return true;
  return error instanceof MongoInvalidArgumentError && /larger than the maximum size/i.test(error.message);
}

/**
 * The error to throw for a failed driver call on the document at `address` (`<namespace>/<key>`, used in
 * messages). A duplicate key can only come from the unique `{ns, key}` index, so it always means "the address is
 * taken": a create-only put or a move onto an existing destination.
 */
export function mapMongoError(error: unknown, address: string): unknown {
  if (error instanceof QspoolError || !(error instanceof MongoError)) return error;
  let mapped: QspoolError | undefined;
  if (isDuplicateKey(error)) mapped = new ConflictError(`${address} already exists`, 'already_exists');
  else if (isUnavailable(error)) mapped = new StorageUnavailableError(`MongoDB is unavailable: ${error.message}`);
  else if (isTooLarge(error)) mapped = new LimitExceededError(`${address} exceeds MongoDB's 16 MiB document limit`);
  if (!mapped) return error;
  mapped.cause = error;
  return mapped;
}
