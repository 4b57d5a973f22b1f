// The documents, filters, updates and index the MongoDB provider sends to the server, as pure functions, so
// that what reaches MongoDB is checked by unit tests even where no server can run.
import { BSON, ObjectId, type CreateIndexesOptions, type Document, type FindOptions, type IndexSpecification } from 'mongodb';
import { LimitExceededError } from '../../schemas/errors.ts';

/**
 * One stored document. `(ns, key)` is its address and is unique per collection; `_id` is MongoDB's own
 * ObjectId and never used, because `_id` is immutable and a move must change the address in place.
 */
export interface MongoDocument {
  ns: string;
  key: string;
  /** Replaced by a fresh ObjectId on every write; never reused, so compare-and-swap cannot suffer ABA. */
  version: string;
  /** Absent when the value is `undefined` (as JSON would drop it). */
  value?: unknown;
}

/** The one index: it enforces one document per address and serves every lookup, page and claim in O(log n). */
export const ADDRESS_INDEX: { spec: IndexSpecification; options: CreateIndexesOptions } = {
  spec: { ns: 1, key: 1 },
  options: { name: 'ns_1_key_1', unique: true },
};

export const DEFAULT_LIST_LIMIT = 1000;
export const MAX_LIST_LIMIT = 10_000;

/** Only what `get` returns travels back. */
export const READ_PROJECTION: Document = { _id: 0, version: 1, value: 1 };
/** Existence checks and conditional updates need no content back. */
export const ID_PROJECTION: Document = { _id: 1 };

export function newVersion(): string {
  return new ObjectId().toHexString();
}

/**
 * Values are stored as their JSON reading, exactly as the local provider stores them: `undefined` properties
 * vanish instead of becoming BSON null, Dates become ISO strings, NaN becomes null.
 */
function jsonValue(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

/** MongoDB's limit on a stored document (BSONObjMaxUserSize), which includes the `_id` the document gets. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
/** What that `_id` (an ObjectId: type byte, "_id\0", 12 bytes) adds to the documents the provider builds. */
const ID_FIELD_BYTES = 17;

/**
 * A complete document. Every write of a value sends one of these as an insert or a whole-document replacement,
 * never as `$set: {value}`: MongoDB accepts `$`-prefixed and dotted field names nested in inserted and
 * replacing documents, but not in update operators, and user payloads may contain such names.
 */
export function documentOf(ns: string, key: string, value: unknown, version: string): MongoDocument {
  const stored = jsonValue(value);
  const document: MongoDocument = stored === undefined ? { ns, key, version } : { ns, key, version, value: stored };
  // Checked here because nothing downstream reports it as such: the driver serialises commands into a fixed 17 MiB
  // buffer and throws a bare RangeError past it, and a server refuses a smaller oversized insert with BadValue (2),
  // a code that also means many other things. BSON is larger than the JSON it came from (arrays of short strings
  // nearly double), so a result within QSPOOL_MAX_RESULT_BYTES can still be over.
  if (BSON.calculateObjectSize(document) + ID_FIELD_BYTES > MAX_DOCUMENT_BYTES) {
    throw new LimitExceededError(`${ns}/${key} exceeds MongoDB's 16 MiB document limit`);
  }
  return document;
}

/** Matches the document at an address, and only at `version` when one is given (compare-and-swap). */
export function addressFilter(ns: string, key: string, version?: string): Document {
  return version === undefined ? { ns, key } : { ns, key, version };
}

/**
 * A move that keeps the content: the document's namespace is its state, so rewriting `ns` is the whole move,
 * in one atomic single-document update. The unique address index rejects it if the destination is taken.
 */
export function moveUpdate(to: string, version: string): Document {
  return { $set: { ns: to, version } };
}

export function listLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIST_LIMIT;
  return Math.max(1, Math.min(Math.floor(limit), MAX_LIST_LIMIT));
}

/** One page of keys in ascending byte order: an index range scan on `{ns, key}`, no in-memory sort. */
export function listQuery(ns: string, options: { after?: string; limit?: number }): { filter: Document; options: FindOptions } {
  return {
    filter: options.after === undefined ? { ns } : { ns, key: { $gt: options.after } },
    options: { sort: { key: 1 }, limit: listLimit(options.limit), projection: { _id: 0, key: 1 } },
  };
}
