// How stored users, tokens, jobs and backends look on the native API: snake_case documents matching
// schemas/accounts.ts and schemas/native.ts.
import type { TokenInfo, UserView } from '../../../schemas/accounts.ts';
import { DEFAULT_EMAIL_STATES } from '../../../schemas/notifications.ts';
import type { BackendDetail, BackendSummary, JobDetail, JobSummary } from '../../../schemas/native.ts';
import type { RuntimeRecord } from '../../../spooler/runtime/index.ts';
import type { JobIndexEntry, JobState } from '../../../storage/records.ts';
import type { BackendLiveStatus, ResolvedBackend } from '../../services/backends.ts';
import type { ServedJob } from '../../services/jobs.ts';
import type { TokenListing } from '../../services/tokens.ts';
import type { User } from '../../services/users.ts';

export function userView(user: User, maxPriority: number): UserView {
  return {
    username: user.username,
    email: user.email ?? null,
    email_verified: Boolean(user.email) && user.emailVerified !== false,
    display_name: user.displayName ?? null,
    notify: { email: [...(user.notify?.email ?? DEFAULT_EMAIL_STATES)] },
    role: user.role,
    disabled: user.disabled,
    ...(user.deleting ? { deleting: true as const } : {}),
    max_priority: maxPriority,
    weight: user.weight ?? 1,
    created_at: user.createdAt,
    updated_at: user.updatedAt ?? user.createdAt,
  };
}

export function tokenView(listing: TokenListing): TokenInfo {
  return { id: listing.id, name: listing.name, created_at: listing.createdAt, revoked_at: listing.revokedAt ?? null };
}

function tagsOf(meta: Record<string, unknown> | undefined): string[] {
  return Array.isArray(meta?.tags) ? meta.tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

const priorityOf = (meta: Record<string, unknown> | undefined) => (typeof meta?.priority === 'number' ? meta.priority : 0);

/** The name the job was submitted to (services/jobs.ts enqueue); null for a registered provider's job from before it was kept. */
function backendNameOf(entry: JobIndexEntry): string | null {
  if (entry.provider === undefined) return entry.backend;
  return typeof entry.meta?.backendName === 'string' ? entry.meta.backendName : null;
}

function latest(timestamps: Partial<Record<JobState, string>>, fallback: string): string {
  return Object.values(timestamps).sort().at(-1) ?? fallback;
}

export function jobSummary(id: string, entry: JobIndexEntry, state: JobState, timestamps: Partial<Record<JobState, string>>): JobSummary {
  return {
    id,
    backend: entry.backend,
    backend_name: backendNameOf(entry),
    ...(entry.provider === undefined ? {} : { provider: entry.provider }),
    owner: entry.owner,
    status: state,
    created_at: entry.createdAt,
    updated_at: latest(timestamps, entry.createdAt),
    tags: tagsOf(entry.meta),
    priority: priorityOf(entry.meta),
  };
}

/** meta.runtime as the spooler records it (spooler/runtime/index.ts RuntimeRecord), without the lab's command line. */
function runtimeView(meta: Record<string, unknown> | undefined): JobDetail['runtime'] {
  const run = meta?.runtime as Partial<RuntimeRecord> | undefined;
  if (!run || typeof run.id !== 'string') return null;
  return {
    id: run.id,
    exit_code: run.exitCode ?? null,
    signal: run.signal ?? null,
    timed_out: run.timedOut === true,
    stderr_tail: run.stderrTail ?? '',
    started_at: run.startedAt ?? '',
    ended_at: run.endedAt ?? '',
  };
}

export function jobDetail(record: ServedJob, queuePosition: number | null): JobDetail {
  const entry: JobIndexEntry = {
    backend: record.backend,
    owner: record.owner,
    ...(record.provider === undefined ? {} : { provider: record.provider }),
    createdAt: record.createdAt,
    ...(record.meta ? { meta: record.meta } : {}),
  };
  const timestamps = Object.fromEntries(Object.entries(record.timestamps).map(([state, at]) => [state.toLowerCase(), at]));
  return {
    ...jobSummary(record.id, entry, record.state, record.timestamps),
    timestamps,
    attempts: record.attempts,
    queue_position: queuePosition,
    cancel_requested: record.cancelRequested === true,
    history: record.detail,
    error_message: record.errorMessage ?? null,
    runtime: runtimeView(record.meta),
  };
}

export function backendSummary(backend: ResolvedBackend, status: Pick<BackendLiveStatus, 'operational' | 'last_heartbeat'>): BackendSummary {
  return {
    name: backend.name,
    full_name: backend.fullName,
    description: backend.config.description,
    version: backend.config.version,
    simulator: backend.config.simulator,
    operational: status.operational,
    last_heartbeat: status.last_heartbeat,
  };
}

export function backendDetail(backend: ResolvedBackend, status: BackendLiveStatus): BackendDetail {
  return {
    name: backend.name,
    full_name: backend.fullName,
    config: backend.config,
    status: {
      operational: status.operational,
      pending_jobs: status.pending_jobs,
      last_heartbeat: status.last_heartbeat,
      status_msg: status.status_msg,
    },
  };
}
