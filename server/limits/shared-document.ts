// Read-change-write of one small document on the shared store with compare-and-swap, for state several server
// replicas update at once (rate buckets, queue quotas). Works on every StorageProvider: a create-only put for a
// new document, a versioned replace for an existing one, and a fresh read whenever another replica wrote first.
import { ConflictError, NotFoundError, StorageUnavailableError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';

/** What a change decides: the document to write (none: leave it as it is) and what the caller gets back. */
export interface Change<T, R> {
  write?: T;
  result: R;
}

/** Attempts before giving up; each lost race means another replica's write succeeded, so the system progressed. */
const MAX_ATTEMPTS = 20;

/**
 * Applies `change` to the current document (undefined when there is none) until its write wins. `change` may run
 * several times and must depend only on what it is given.
 */
export async function changeShared<T, R>(
  storage: StorageProvider,
  namespace: string,
  key: string,
  change: (current: T | undefined) => Change<T, R>,
): Promise<R> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const current = await storage.get<T>(namespace, key);
    const { write, result } = change(current?.value);
    if (write === undefined) return result;
    try {
      if (current) await storage.replace(namespace, key, write, current.version);
      else await storage.put(namespace, key, write, { ifAbsent: true });
      return result;
    } catch (error) {
      if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
    }
  }
  throw new StorageUnavailableError(`Too much contention on ${namespace}/${key}; retry shortly`, 1);
}
