// What a store holds, in the terms an operator checks a backup by: its jobs per state and its newest event (the last
// change it saw, with its time), read in one statement each.
import type Database from 'better-sqlite3';
import { ns } from '../records.ts';

export interface StoreSummary {
  /** Jobs per state namespace (`queued`, `running`, `finished`, `deleted`, `dead`, `damaged`); absent states hold none. */
  jobs: Record<string, number>;
  /** The outbox's newest event: its key and when its change happened; undefined when the outbox is empty. */
  newestEvent: { key: string; at: string | undefined } | undefined;
}

export function summarizeStore(db: Database.Database): StoreSummary {
  // Every job namespace is `jobs/<state>/<backend>`: the state is what lies between the first two slashes.
  const counts = db
    .prepare<[], [string, number]>(
      `SELECT substr(namespace, 6, instr(substr(namespace, 6), '/') - 1) AS state, count(*) FROM documents
       WHERE namespace >= 'jobs/' AND namespace < 'jobs0' GROUP BY state ORDER BY state`,
    )
    .raw()
    .all();
  const newest = db.prepare<[string], { key: string; value: string }>('SELECT key, value FROM documents WHERE namespace = ? ORDER BY key DESC LIMIT 1').get(ns.events);
  return { jobs: Object.fromEntries(counts), newestEvent: newest && { key: newest.key, at: eventTime(newest.value) } };
}

function eventTime(value: string): string | undefined {
  try {
    const at = (JSON.parse(value) as { at?: unknown } | null)?.at;
    return typeof at === 'string' ? at : undefined;
  } catch {
    return undefined;
  }
}
