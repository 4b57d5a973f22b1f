// Ordered key listings for the Dropbox provider, kept current with Dropbox's own change feed.
//
// `files/list_folder` returns entries in no documented order, so the oldest job can only be found by reading a whole
// folder. Instead of re-reading it for every claim, each process keeps the sorted keys of the namespaces it lists
// and a list_folder cursor; every list() first asks `files/list_folder/continue` for what changed since its last
// call, then answers from memory.
//
// Cost, honestly: the first list() of a namespace in a process reads the whole folder (⌈n / 2000⌉ requests,
// O(n) entries); every later list() is one request carrying only the entries that changed since the previous one,
// plus an O(log n) search. Memory is O(n) keys per cached namespace (at most `maxCached` namespaces).
// Why not shard by time like the local provider: Dropbox cannot delete a folder only if it is empty (delete_v2 is
// recursive), so drained shard folders could never be pruned safely and a stateless walk from the oldest shard
// would step through ever more empty folders.
import { decodeName } from './layout.ts';
import { isAnswer, type DropboxClient, type ListEntry, type ListPage } from './client.ts';

interface Listing {
  /** Keys present in the folder, ascending. */
  keys: string[];
  /** Where the change feed continues; undefined until the folder has been read (or while it does not exist). */
  cursor?: string;
  /** The latest refresh, which the next one waits for: changes must be applied in order. */
  current?: Promise<void>;
  /** A refresh queued but not started yet; callers join it, since it will see everything done before they came. */
  waiting?: Promise<void>;
}

/** Index of the first key strictly greater than `after`. */
function upperBound(keys: readonly string[], after: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! <= after) low = middle + 1;
    else high = middle;
  }
  return low;
}

function apply(keys: string[], entries: readonly ListEntry[]): void {
  for (const entry of entries) {
    // Folders are sub-namespaces (segments never contain '.'), not documents.
    const key = entry.tag === 'folder' ? undefined : decodeName(entry.name);
    if (key === undefined) continue;
    const at = upperBound(keys, key);
    const present = at > 0 && keys[at - 1] === key;
    if (entry.tag === 'file' && !present) keys.splice(at, 0, key);
    if (entry.tag === 'deleted' && present) keys.splice(at - 1, 1);
  }
}

export class NamespaceListings {
  private readonly listings = new Map<string, Listing>();

  constructor(
    private readonly client: DropboxClient,
    private readonly maxCached = 64,
  ) {}

  /** Up to `limit` keys of the folder greater than `after`, ascending, as of a moment after this call began. */
  async list(folder: string, after: string | undefined, limit: number): Promise<string[]> {
    const listing = this.listing(folder);
    await this.sync(listing, folder);
    const start = after === undefined ? 0 : upperBound(listing.keys, after);
    return listing.keys.slice(start, start + limit);
  }

  private listing(folder: string): Listing {
    let listing = this.listings.get(folder);
    if (listing) this.listings.delete(folder);
    else listing = { keys: [] };
    this.listings.set(folder, listing); // most recently used last
    while (this.listings.size > this.maxCached) this.listings.delete(this.listings.keys().next().value!);
    return listing;
  }

  private sync(listing: Listing, folder: string): Promise<void> {
    if (listing.waiting) return listing.waiting;
    const run = (listing.current ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        listing.waiting = undefined;
        await this.refresh(listing, folder);
      });
    listing.waiting = run;
    listing.current = run;
    return run;
  }

  private async refresh(listing: Listing, folder: string): Promise<void> {
    for (let cursor = listing.cursor; cursor !== undefined; ) {
      const page = await this.client.listContinue(cursor);
      if (!page.ok) {
        // An expired cursor, or the folder was deleted under us: read it afresh.
        if (isAnswer(page, 'reset/') || isAnswer(page, 'path/not_found/')) break;
        throw new Error(`Dropbox list_folder/continue on ${folder}: ${page.summary}`);
      }
      apply(listing.keys, page.value.entries);
      listing.cursor = page.value.cursor;
      if (!page.value.hasMore) return;
      cursor = page.value.cursor;
    }
    await this.readWhole(listing, folder);
  }

  private async readWhole(listing: Listing, folder: string): Promise<void> {
    const first = await this.client.listFolder(folder);
    if (!first.ok) {
      // A namespace nobody has written to yet has no folder: it is empty, and there is no feed to follow.
      if (!isAnswer(first, 'path/not_found/')) throw new Error(`Dropbox list_folder ${folder}: ${first.summary}`);
      listing.keys = [];
      listing.cursor = undefined;
      return;
    }
    let page: ListPage = first.value;
    const keys = new Set<string>();
    for (;;) {
      // Pages after the first carry what changed while the folder was being read, deletions included, to be applied
      // in order like any later change.
      for (const entry of page.entries) {
        const key = entry.tag === 'folder' ? undefined : decodeName(entry.name);
        if (key === undefined) continue;
        if (entry.tag === 'file') keys.add(key);
        else keys.delete(key);
      }
      if (!page.hasMore) break;
      const next = await this.client.listContinue(page.cursor);
      if (!next.ok) throw new Error(`Dropbox list_folder/continue on ${folder}: ${next.summary}`);
      page = next.value;
    }
    listing.keys = [...keys].sort();
    listing.cursor = page.cursor;
  }
}
