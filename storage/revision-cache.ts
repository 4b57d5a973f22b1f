// Values derived from small documents that every request reads and almost nobody writes (who owns this API token,
// which backend a name means), kept while the store's revision of the areas they come from is unchanged. A request
// then costs one revision read instead of several reads and parses, and a change (a revoked token, a disabled user, a
// deactivated provider) is still seen by the very next request in every process: the revision is read before the
// documents, so a value is tagged with a revision no newer than what it was computed from. Without the provider's
// revision every call computes afresh. Only found values are kept (a stream of unknown tokens cannot fill it);
// they are shared by every caller, so they are frozen.
import type { StorageProvider } from './contract.ts';
import { StorageUnavailableError } from '../schemas/errors.ts';

interface Entry<V> {
  revision: string;
  value: V;
}

export class RevisionCache<V extends object> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly storage: StorageProvider,
    private readonly areas: readonly string[],
    private readonly maxEntries = 10_000,
  ) {}

  async get(key: string, compute: () => Promise<V | undefined>): Promise<V | undefined> {
    if (!this.storage.revision) return compute();
    let revision: string;
    try {
      revision = await this.storage.revision(this.areas);
    } catch (error) {
      // A store that cannot start a counter (full, read-only) may still answer reads: go without the cache.
      if (error instanceof StorageUnavailableError) return compute();
      throw error;
    }
    const known = this.entries.get(key);
    if (known?.revision === revision) return known.value;
    const value = await compute();
    if (value === undefined) {
      this.entries.delete(key);
      return undefined;
    }
    // Map order is insertion order: re-inserting keeps the live entries at the end, so the oldest goes first.
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { revision, value: Object.freeze(value) });
    return value;
  }
}
