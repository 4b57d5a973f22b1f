// Parsed copies of documents that are read on every request but rarely written (backend configs), checked against
// the store's current version at each read, so a change is seen at once by every process, as without the cache.
// The saving is the copy and parse of a large document; it needs the provider's getIfChanged, and without it every
// read is a plain get. Cached values are frozen: they are shared by every caller.
import type { StorageProvider } from './contract.ts';

interface Entry {
  version: string;
  value: unknown;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export class VersionedCache {
  /** Per opened storage (two local stores may hold the same keys). */
  private readonly stores = new WeakMap<StorageProvider, Map<string, Entry>>();

  /** At most `maxEntries` documents per storage are kept; past that the oldest entry makes room. */
  constructor(private readonly maxEntries = 1000) {}

  /** The document's current value (frozen), or undefined when it does not exist. */
  async get<T>(storage: StorageProvider, namespace: string, key: string): Promise<T | undefined> {
    if (!storage.getIfChanged) return (await storage.get<T>(namespace, key))?.value;
    let entries = this.stores.get(storage);
    if (!entries) this.stores.set(storage, (entries = new Map()));
    const address = `${namespace}\u0000${key}`;
    const known = entries.get(address);
    const found = known ? await storage.getIfChanged<T>(namespace, key, known.version) : await storage.get<T>(namespace, key);
    if (found === 'unchanged') return known!.value as T;
    if (!found) {
      entries.delete(address);
      return undefined;
    }
    if (!known && entries.size >= this.maxEntries) entries.delete(entries.keys().next().value!);
    entries.set(address, { version: found.version, value: deepFreeze(found.value) });
    return found.value;
  }
}
