// The documents the job lifecycle keeps in storage, and where each kind lives (the documented layout).
import type { FailureKind } from '../schemas/dead-letter.ts';

export type JobState = 'QUEUED' | 'RUNNING' | 'DONE' | 'ERROR' | 'CANCELLED';
export const FINAL_STATES: readonly JobState[] = ['DONE', 'ERROR', 'CANCELLED'];

export type { FailureKind };

/** One failed attempt, kept on the job so admins see every try of a dead-lettered job. */
export interface FailedAttempt {
  attempt: number;
  at: string;
  kind: FailureKind;
  message: string;
  exitCode?: number;
}

export interface Lease {
  /** Spooler instance that holds the job. */
  holder: string;
  /** Fencing token: the attempt number this lease belongs to. */
  token: number;
  /** Milliseconds since the epoch after which anyone may take the job back. */
  expiresAt: number;
}

/** The job itself; which state namespace holds it is the truth about its state. */
export interface JobRecord {
  id: string;
  backend: string;
  owner: string;
  state: JobState;
  /** The submitted job document (experiments), as the client sent it. */
  payload: unknown;
  createdAt: string;
  /** Per-state timestamps (ISO 8601), set when the job entered that state. */
  timestamps: Partial<Record<JobState, string>>;
  /** Claims so far, including the current one. */
  attempts: number;
  /** Increases with every transition; status projections never go backwards. */
  seq: number;
  /** Human-readable history, joined with "; " for qlued's `detail`. */
  detail: string[];
  errorMessage?: string;
  lease?: Lease;
  cancelRequested?: boolean;
  /** Its key in the backend's schedule (storage/schedule.ts); absent on jobs queued before scheduling existed. */
  schedule?: string;
  /** Key of the result document in `results/<backend>` for DONE jobs. */
  resultKey?: string;
  /** Submission extras (tags, priority, notification choices, runtime records). */
  meta?: Record<string, unknown>;
  /** The owner's fair-share weight when the job was queued (storage/schedule.ts); 1 when absent. */
  weight?: number;
  /** A retried job is not claimed before this time (ms since the epoch). */
  notBefore?: number;
  /** Attempts that failed, oldest first. */
  failures?: FailedAttempt[];
  /** Attempts made before an administrator last requeued the job: retries count from there. */
  attemptOffset?: number;
  /** Set when the job used up its attempts: it lives in `jobs/dead/<backend>`, its status ERROR. */
  deadLetter?: { at: string; reason: FailureKind };
  /** Set on the ERROR record that stands in for a job whose stored document was damaged and set aside (damaged.ts). */
  setAside?: { at: string };
}

/** What `status/<backend>/<id>` holds: the qlued status dict plus what the server needs to answer without the job. */
export interface StatusRecord {
  job_id: string;
  status: JobState;
  detail: string;
  error_message: string;
  backend: string;
  owner: string;
  seq: number;
  attempts: number;
  timestamps: Partial<Record<JobState, string>>;
}

/** Heartbeat of one spooler instance, in `heartbeats/<backend>/<spooler id>`. */
export interface HeartbeatRecord {
  spooler: string;
  backend: string;
  host: string;
  pid: number;
  at: string;
  currentJob: string | null;
}

/**
 * What `index/jobs/<id>` and `index/owner/<owner>/<id>` hold: the immutable facts of a job, written at enqueue, so
 * the server can find a job by id alone and list one user's jobs without touching anyone else's.
 */
export interface JobIndexEntry {
  backend: string;
  owner: string;
  /** The registered storage provider that holds the job; absent for the storage the indexes are on. */
  provider?: string;
  createdAt: string;
  meta?: Record<string, unknown>;
}

/**
 * What `events/<key>` holds: one state change of one job, appended by the transition's winner (the notification
 * outbox). Keys are time-ordered ids written at append time, so listing the namespace reads changes in the order
 * they were recorded; `id` is the same for every copy of one transition, so readers can drop duplicates.
 */
export interface JobEvent {
  /** `<job id>-<seq>`: stable for the transition, whoever records it and however often. */
  id: string;
  jobId: string;
  backend: string;
  owner: string;
  state: JobState;
  seq: number;
  attempts: number;
  /** When the job entered the state (ISO 8601). */
  at: string;
  /** The line this transition added to the job's history. */
  detail: string;
  errorMessage: string | null;
  /** A QUEUED event that puts a job back in the queue (lost lease, stopping spooler), not its submission. */
  requeued: boolean;
  /** The submission's notification choices (`meta.notify`), so notifiers need not read the job. */
  notify?: unknown;
}

const jobEventId = (jobId: string, seq: number) => `${jobId}-${seq}`;

/** The event of the transition that left the job as `record`; `fallbackAt` when the record has no time for its state. */
export function jobEventOf(record: JobRecord, fallbackAt: string): JobEvent {
  return {
    id: jobEventId(record.id, record.seq),
    jobId: record.id,
    backend: record.backend,
    owner: record.owner,
    state: record.state,
    seq: record.seq,
    attempts: record.attempts,
    at: record.timestamps[record.state] ?? fallbackAt,
    detail: record.detail.at(-1) ?? '',
    errorMessage: record.errorMessage ?? null,
    requeued: record.state === 'QUEUED' && record.seq > 1,
  };
}

/**
 * Storage layout. Jobs move between the four state namespaces; everything else is keyed by job id,
 * backend name or spooler id.
 */
export const ns = {
  queued: (backend: string) => `jobs/queued/${backend}`,
  running: (backend: string) => `jobs/running/${backend}`,
  finished: (backend: string) => `jobs/finished/${backend}`,
  deleted: (backend: string) => `jobs/deleted/${backend}`,
  /** Dead letters: jobs that used up their attempts, kept apart from cancelled and failed ones for admins. */
  dead: (backend: string) => `jobs/dead/${backend}`,
  /** Documents found in a queue or among the running jobs that are no job a transition can take (damaged.ts). */
  damaged: (backend: string) => `jobs/damaged/${backend}`,
  status: (backend: string) => `status/${backend}`,
  results: (backend: string) => `results/${backend}`,
  heartbeats: (backend: string) => `heartbeats/${backend}`,
  jobIndex: 'index/jobs',
  ownerIndex: (owner: string) => `index/owner/${owner}`,
  configs: 'configs',
  keys: 'keys',
  events: 'events',
} as const;

/** Where a record lives: its state's namespace, or the dead letters for a job that used up its attempts. */
export function placeOf(record: Pick<JobRecord, 'state' | 'backend' | 'deadLetter'>): string {
  return record.deadLetter ? ns.dead(record.backend) : stateNamespace(record.state, record.backend);
}

export function stateNamespace(state: JobState, backend: string): string {
  switch (state) {
    case 'QUEUED':
      return ns.queued(backend);
    case 'RUNNING':
      return ns.running(backend);
    case 'DONE':
      return ns.finished(backend);
    case 'ERROR':
    case 'CANCELLED':
      return ns.deleted(backend);
  }
}
