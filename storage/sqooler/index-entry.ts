// A job's entry in the server's job index, for any id a sqooler-layout job can be asked for by. qlued's Dropbox ids
// (./ids.ts) admit `@` and `+` in their usernames, which no store accepts in a key (storage/keys.ts): such a job
// cannot have been indexed (./import.ts leaves it out and says so), so asking for it finds nothing rather than
// failing as a bad key.
import type { StorageProvider } from '../contract.ts';
import { assertKey, isJobId } from '../keys.ts';
import { type JobIndexEntry, ns } from '../records.ts';
import { isQluedJobId } from './ids.ts';

/** Whether the id can be a key of the job index: qspool's ids always, qlued's unless their username rules it out. */
export function isIndexable(id: string): boolean {
  if (isJobId(id)) return true;
  if (!isQluedJobId(id)) return false;
  try {
    assertKey(id);
    return true;
  } catch {
    return false;
  }
}

/** The index entry of a qspool or qlued job id (undefined for any other value, and for ids never indexed). */
export async function sqoolerIndexEntry(index: StorageProvider, id: string): Promise<JobIndexEntry | undefined> {
  if (!isIndexable(id)) return undefined;
  return (await index.get<JobIndexEntry>(ns.jobIndex, id))?.value;
}
