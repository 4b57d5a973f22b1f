// Deletes the stale documents of a namespace of limit state a page at a time, round and round, each at the version
// it was judged stale at: a replica that wrote the document meanwhile keeps it.
import { ConflictError, NotFoundError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';

/** Documents looked at per sweep at most. */
const SWEEP_PAGE = 500;

export class NamespaceSweep<T> {
  /** Where the next sweep continues. */
  private sweptTo = '';

  constructor(
    private readonly storage: StorageProvider,
    private readonly namespace: string,
    private readonly isStale: (document: T) => boolean,
  ) {}

  /** Deletes the stale documents among the next page of keys; resolves how many it deleted. */
  async sweep(): Promise<number> {
    const { storage, namespace } = this;
    const keys = await storage.list(namespace, { ...(this.sweptTo ? { after: this.sweptTo } : {}), limit: SWEEP_PAGE });
    this.sweptTo = keys.length < SWEEP_PAGE ? '' : keys[keys.length - 1]!;
    let deleted = 0;
    for (const key of keys) {
      const found = await storage.get<T>(namespace, key);
      if (!found || !this.isStale(found.value)) continue;
      const removed = await storage.delete(namespace, key, found.version).catch((error: unknown) => {
        if (error instanceof ConflictError || error instanceof NotFoundError) return false;
        throw error;
      });
      if (removed) deleted += 1;
    }
    return deleted;
  }
}
