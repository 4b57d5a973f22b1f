// The per-provider storage contract: a small set of document operations with precise guarantees.
// Everything about jobs (states, leases, statuses) is built once on top of it in lifecycle.ts.

/** A stored JSON document with an opaque version used for compare-and-swap. */
export interface StoredDocument<T = unknown> {
  value: T;
  version: string;
}

export interface ListOptions {
  /** Return only keys strictly greater than this one. */
  after?: string;
  /** Maximum number of keys to return (providers may cap it; default 1000). */
  limit?: number;
}

export interface MoveOptions {
  /** Content for the document at its destination; the source content is kept when omitted. */
  value?: unknown;
  /** Move only if the source is still at this version (ConflictError otherwise). */
  expectedVersion?: string;
}

/**
 * Synchronous document operations inside one atomic transaction (StorageProvider.transaction): the same operations
 * and errors as the provider's own, seeing the transaction's earlier writes.
 */
export interface Transaction {
  get<T = unknown>(namespace: string, key: string): StoredDocument<T> | undefined;
  list(namespace: string, options?: ListOptions): string[];
  /** The greatest key in the namespace as this transaction sees it, its own writes included. */
  lastKey(namespace: string): string | undefined;
  put(namespace: string, key: string, value: unknown, options?: { ifAbsent?: boolean }): string;
  replace(namespace: string, key: string, value: unknown, expectedVersion: string): string;
  move(from: string, to: string, key: string, options?: MoveOptions): string;
  delete(namespace: string, key: string, expectedVersion?: string): boolean;
}

/**
 * A storage provider. Namespaces and keys are validated with storage/keys.ts before any access.
 * All writes are single-document and atomic: a reader sees the old or the new document, never a mix (I5).
 */
export interface StorageProvider {
  /** Provider type, e.g. `local`, `s3`. */
  readonly type: string;

  /**
   * Write a document. With `ifAbsent`, succeed only if the key does not exist (ConflictError otherwise);
   * exactly one of several concurrent create-only writers wins. Resolves with the new version once durable.
   */
  put(namespace: string, key: string, value: unknown, options?: { ifAbsent?: boolean }): Promise<string>;

  /** Read a document, or undefined if the key does not exist. */
  get<T = unknown>(namespace: string, key: string): Promise<StoredDocument<T> | undefined>;

  /**
   * Optional: like `get`, but answers 'unchanged' without reading the value when the document is still at
   * `knownVersion`. For caches of large documents read on every request (backend configs), which must never serve a
   * stale one; a provider offers it when the check is much cheaper than the read (storage/versioned-cache.ts).
   */
  getIfChanged?<T = unknown>(namespace: string, key: string, knownVersion: string): Promise<StoredDocument<T> | undefined | 'unchanged'>;

  /**
   * Optional: a value that changes, in the same commit and for every process, whenever a document in one of these
   * areas (a namespace's first segment: `tokens` covers `tokens` and `tokens/x`) is written, moved or deleted. For
   * caches of small documents read on every request (credentials): read the revision first, then the documents, and
   * a copy tagged with the revision read now is current (storage/revision-cache.ts).
   */
  revision?(areas: readonly string[]): Promise<string>;

  /**
   * Compare-and-swap: overwrite only if the current version equals `expectedVersion`.
   * NotFoundError if the key is gone, ConflictError if another writer changed it first.
   */
  replace(namespace: string, key: string, value: unknown, expectedVersion: string): Promise<string>;

  /**
   * Move a document to another namespace under the same key. Exactly one of several concurrent movers of the
   * same source wins; the others get NotFoundError (source gone) or ConflictError (version changed, or the
   * destination already exists). After a crash the document is found in the source or the destination,
   * never lost; a provider that can leave both must resolve that itself on the next access.
   */
  move(from: string, to: string, key: string, options?: MoveOptions): Promise<string>;

  /** Delete a document (only at `expectedVersion` when given). Resolves true if this call removed it. */
  delete(namespace: string, key: string, expectedVersion?: string): Promise<boolean>;

  /**
   * Keys of a namespace in ascending byte order. The cost of a small page must not grow with the size of the
   * namespace for keys that start with a job id (I4): claiming the oldest job lists one key.
   */
  list(namespace: string, options?: ListOptions): Promise<string[]>;

  /**
   * Optional: run `work` as one atomic, durable transaction. Its writes become visible together or not at all (a
   * throw undoes them and rejects with the error); concurrent transactions are serialised, so what `work` reads
   * cannot change under it. `work` must be synchronous and do no other I/O. Providers that can do this cheaply offer
   * it, and the job lifecycle then writes each transition as one transaction. With `durable: false` the promise
   * resolves once the transaction is committed (visible to every process) instead of once it is durable; the flush
   * still follows. For writers whose callers learn nothing from waiting (a spooler's own transitions).
   */
  transaction?<T>(work: (tx: Transaction) => T, options?: { durable?: boolean }): Promise<T>;

  /** Optional: call `onChange` soon after documents in the namespace change (used to wake idle spoolers). */
  watch?(namespace: string, onChange: () => void): () => void;

  /** Release connections, watchers and timers. */
  close(): Promise<void>;
}
