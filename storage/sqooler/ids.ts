// Job ids qlued gave out before qspool took over its storage. On local storage and MongoDB they are 24 hex digits
// (sqooler's `uuid4().hex[:24]`, an ObjectId), which qspool's own ids also are. On Dropbox they have the form of
// sqooler's DropboxProviderExtended.create_job_id (schemas/qlued-job-id.ts). Such an id is used as a file name and
// its username as a folder name (Result/<display>/<username>/), so it is accepted only whole, each part from a
// closed alphabet: no separators, no `.` or `..` as a folder.
import { QLUED_JOB_ID_PATTERN } from '../../schemas/qlued-job-id.ts';

const QLUED_ID = new RegExp(QLUED_JOB_ID_PATTERN);

export interface QluedJobId {
  display: string;
  /** The qlued user who posted the job, as sqooler's paths name it. */
  username: string;
  /** When qlued created the id (its clock: UTC since sqooler, local time before), ISO 8601. */
  createdAt: string;
}

/** The parts of an old qlued Dropbox job id, or undefined if the value is not one. */
export function qluedJobId(value: unknown): QluedJobId | undefined {
  const match = typeof value === 'string' ? QLUED_ID.exec(value) : null;
  if (!match) return undefined;
  const [, date, time, display, username] = match as unknown as [string, string, string, string, string];
  const iso = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4, 6)}Z`;
  const createdAt = Number.isNaN(Date.parse(iso)) ? new Date(0).toISOString() : iso;
  return { display, username, createdAt };
}

export function isQluedJobId(value: unknown): value is string {
  return qluedJobId(value) !== undefined;
}
