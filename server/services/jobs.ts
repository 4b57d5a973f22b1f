// Jobs as users see them: submission (validated at once against the backend's published schema and the server's
// limits, within the user's queue quota), and reads and changes that honour per-user isolation: another user's
// job is indistinguishable from an unknown id; admins see everything.
import type { BackendDefinition } from '../../spooler/backend.ts';
import { checkJob } from '../../spooler/execute.ts';
import { InvalidJobError, QuotaExceededError } from '../../schemas/errors.ts';
import type { ValidationIssue } from '../../schemas/validators.ts';
import { summarizeIssues } from '../../schemas/validators.ts';
import type { JobLifecycle } from '../../storage/lifecycle.ts';
import type { JobIndexEntry, JobRecord, JobState, StatusRecord } from '../../storage/records.ts';
import type { ResolvedBackend } from './backends.ts';
import type { JobIndex } from './job-index.ts';
import type { User } from './users.ts';

/** Server-wide bounds on every job, applied before (and in addition to) the backend's own schema. */
export interface JobLimits {
  maxExperiments: number;
  maxInstructions: number;
  maxShots: number;
  maxQueuedPerUser: number;
}

export interface JobServiceOptions {
  /** Built-in backend code by display name, for checks a schema cannot state (Hilbert-space size). */
  definitions: ReadonlyMap<string, BackendDefinition>;
  limits: JobLimits;
  index: JobIndex;
}

export interface SubmitOptions {
  meta?: Record<string, unknown>;
  /** An id reserved in advance (idempotent submission). */
  id?: string;
}

/** Queue positions are counted up to here; deeper jobs report this number. */
const MAX_COUNTED_POSITION = 10_000;

export function canSee(user: User, owner: string): boolean {
  return user.role === 'admin' || user.username === owner;
}

function limitIssues(payload: Record<string, unknown>, limits: JobLimits): ValidationIssue[] {
  const experiments = Object.entries(payload);
  if (experiments.length > limits.maxExperiments) {
    return [{ path: '/', message: `job: ${experiments.length} experiments exceed the server limit of ${limits.maxExperiments}` }];
  }
  const issues: ValidationIssue[] = [];
  for (const [name, experiment] of experiments) {
    if (experiment === null || typeof experiment !== 'object') continue;
    const { instructions, shots } = experiment as { instructions?: unknown; shots?: unknown };
    if (Array.isArray(instructions) && instructions.length > limits.maxInstructions) {
      issues.push({ path: `/${name}/instructions`, message: `${name}: ${instructions.length} instructions exceed the server limit of ${limits.maxInstructions}` });
    }
    if (typeof shots === 'number' && shots > limits.maxShots) {
      issues.push({ path: `/${name}/shots`, message: `${name}: ${shots} shots exceed the server limit of ${limits.maxShots}` });
    }
  }
  return issues;
}

export class JobService {
  constructor(
    readonly lifecycle: JobLifecycle,
    private readonly options: JobServiceOptions,
  ) {}

  /**
   * Throws InvalidJobError naming every broken rule: the backend's schema first (its messages name the backend's
   * own limits), then the server's limits where they are stricter. The body limit bounds the work of both.
   */
  check(backend: ResolvedBackend, payload: unknown): void {
    checkJob(this.options.definitions.get(backend.display), backend.config, payload);
    const issues = limitIssues(payload as Record<string, unknown>, this.options.limits);
    if (issues.length > 0) throw new InvalidJobError(summarizeIssues(issues), issues);
  }

  /** Refuses a submission that would take the user past their quota of queued jobs (a soft bound under races). */
  async assertQueueQuota(user: User): Promise<void> {
    const limit = this.options.limits.maxQueuedPerUser;
    const queued = await this.options.index.countQueued(user.username, limit);
    if (queued >= limit) {
      throw new QuotaExceededError(`You have ${limit} queued jobs, the most allowed; wait for some to run or cancel them`, { limit });
    }
  }

  /** Validates, checks the quota and enqueues. */
  async submit(user: User, backend: ResolvedBackend, payload: unknown, options: SubmitOptions = {}): Promise<JobRecord> {
    this.check(backend, payload);
    await this.assertQueueQuota(user);
    return this.enqueue(user, backend, payload, options);
  }

  /** Enqueues a job whose checks already passed. */
  enqueue(user: User, backend: ResolvedBackend, payload: unknown, options: SubmitOptions = {}): Promise<JobRecord> {
    return this.lifecycle.enqueue({ backend: backend.display, owner: user.username, payload, ...options });
  }

  async status(user: User, backend: string, id: string): Promise<StatusRecord | undefined> {
    const status = await this.lifecycle.getStatus(backend, id);
    return status && canSee(user, status.owner) ? status : undefined;
  }

  async job(user: User, backend: string, id: string): Promise<JobRecord | undefined> {
    const found = await this.lifecycle.find(backend, id);
    return found && canSee(user, found.value.owner) ? found.value : undefined;
  }

  async result(record: JobRecord): Promise<unknown> {
    return this.lifecycle.getResult(record);
  }

  /** Where a job visible to the user lives, by id alone. */
  async locate(user: User, id: string): Promise<JobIndexEntry | undefined> {
    const entry = await this.lifecycle.indexEntry(id);
    return entry && canSee(user, entry.owner) ? entry : undefined;
  }

  /** The job record by id alone, if the user may see it. */
  async byId(user: User, id: string): Promise<JobRecord | undefined> {
    const entry = await this.locate(user, id);
    return entry && (await this.job(user, entry.backend, id));
  }

  /** 1 for the job a spooler takes next (queues are FIFO); null unless queued. */
  async queuePosition(record: JobRecord): Promise<number | null> {
    if (record.state !== 'QUEUED') return null;
    let ahead = 0;
    for (let after: string | undefined; ahead < MAX_COUNTED_POSITION; ) {
      const keys = await this.lifecycle.listQueued(record.backend, { limit: 1000, ...(after ? { after } : {}) });
      const before = keys.filter((key) => key < record.id);
      ahead += before.length;
      if (before.length < keys.length || keys.length < 1000) break;
      after = keys[keys.length - 1];
    }
    return Math.min(ahead, MAX_COUNTED_POSITION - 1) + 1;
  }

  /** Queued: cancelled at once. Running: flagged for its spooler. Finished: ConflictError. */
  async cancel(record: JobRecord): Promise<JobState> {
    return this.lifecycle.cancel(record.backend, record.id);
  }

  async purge(record: JobRecord): Promise<void> {
    await this.lifecycle.purge(record.backend, record.id);
  }
}
