// A job's entry in the server's job index, for any id a sqooler-layout job can be asked for by. The index is kept in
// key order and listed by it (server/services/job-index.ts), and qspool's ids begin with their creation time; a job
// imported under the id qlued gave it is filed under `<its creation time, 12 hex digits>-<its qlued id>`, which the
// id alone determines (./ids.ts), so it sorts among qspool's jobs by creation and time filters select it.
// qlued's Dropbox ids admit `@` and `+` in their usernames, which no store accepts in a key (storage/keys.ts): such a
// job cannot be indexed (./import.ts leaves it out and says so), so asking for it finds nothing rather than failing
// as a bad key.
import type { StorageProvider } from '../contract.ts';
import { isKey, isJobId } from '../keys.ts';
import { type JobIndexEntry, ns } from '../records.ts';
import { isQluedJobId, qluedJobId } from './ids.ts';

const QLUED_KEY = /^[0-9a-f]{12}-/;

/** The key the job index files a job under, or undefined for an id no job can be indexed by. */
export function indexKey(id: string): string | undefined {
  if (isJobId(id)) return id;
  const old = qluedJobId(id);
  if (!old) return undefined;
  const key = `${Math.max(0, Date.parse(old.createdAt)).toString(16).padStart(12, '0')}-${id}`;
  return isKey(key) ? key : undefined;
}

/** The job id an index key stands for (qspool's ids are their own keys). */
export function idOfIndexKey(key: string): string {
  const old = key.slice(13);
  return QLUED_KEY.test(key) && isQluedJobId(old) && indexKey(old) === key ? old : key;
}

/** Whether the value is the index key of an id qlued gave out (a listing's cursor may hold one). */
export function isQluedIndexKey(value: string): boolean {
  return idOfIndexKey(value) !== value;
}

/** The index entry of a qspool or qlued job id (undefined for any other value, and for ids never indexed). */
export async function sqoolerIndexEntry(index: StorageProvider, id: string): Promise<JobIndexEntry | undefined> {
  const key = indexKey(id);
  return key === undefined ? undefined : (await index.get<JobIndexEntry>(ns.jobIndex, key))?.value;
}
