// Reading the job-event outbox that storage/lifecycle.ts appends to (`events/<time-ordered key>`): pages of events
// in key order, and keys that stand for an instant, to start a listing "from time T".
import type { StorageProvider } from '../../storage/contract.ts';
import { isJobId, jobIdTime } from '../../storage/keys.ts';
import { type JobEvent, ns } from '../../storage/records.ts';

export interface OutboxEntry {
  key: string;
  event: JobEvent;
}

/**
 * A key that sorts just before every event key recorded at or after `ms` (event keys start with 12 hex digits of
 * milliseconds), for `list({after})`.
 */
export function instantKey(ms: number): string {
  return Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
}

/** When the event behind a key was recorded. */
export function keyTime(key: string): number {
  return jobIdTime(key);
}

export function isEventKey(value: unknown): value is string {
  return isJobId(value);
}

/** Reads the events behind keys, in their order, skipping any pruned in the meantime. */
export async function readEvents(storage: StorageProvider, keys: string[]): Promise<OutboxEntry[]> {
  const docs = await Promise.all(keys.map((key) => storage.get<JobEvent>(ns.events, key)));
  return docs.flatMap((doc, i) => (doc ? [{ key: keys[i]!, event: doc.value }] : []));
}

/** One page of keys after `after` ('' for the beginning). */
export function listEventKeys(storage: StorageProvider, after: string, limit: number): Promise<string[]> {
  return storage.list(ns.events, { limit, ...(after ? { after } : {}) });
}

/**
 * Events after `after` that pass `filter`, at most `budget` keys read (a resume from far back must not scan the
 * outbox without bound). `complete` says whether the whole rest of the outbox was read; if not, `last` is the last
 * key read, where a further scan would go on. The event loop gets a turn
 * between pages: on a store that answers at once (the local one) every read resolves without one, and a resume from
 * far back held the server for up to 250 ms, more with a few at once (p99 770 ms for /healthz with 10).
 */
export async function scanEvents(
  storage: StorageProvider,
  after: string,
  filter: (event: JobEvent) => boolean,
  budget = 20_000,
): Promise<{ entries: OutboxEntry[]; complete: boolean; last: string }> {
  const entries: OutboxEntry[] = [];
  let from = after;
  for (let read = 0; read < budget; ) {
    const keys = await listEventKeys(storage, from, 500);
    entries.push(...(await readEvents(storage, keys)).filter((entry) => filter(entry.event)));
    if (keys.length < 500) return { entries, complete: true, last: keys[keys.length - 1] ?? from };
    read += keys.length;
    from = keys[keys.length - 1]!;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { entries, complete: false, last: from };
}
