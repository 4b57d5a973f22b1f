// Jobs as users see them: submission (validated at once against the backend's published schema and work bounds and
// the server's limits, within the user's queue quota; never with device code, so any spooler's backend is checked alike), and reads and changes that honour per-user isolation: another user's
// job is indistinguishable from an unknown id; admins see everything. A job lives on its backend's storage provider;
// the id index on the primary says which one.
import { assertPublishedRules, assertValid, assertWithinBounds } from '../../spooler/execute.ts';
import type { BackendConfig } from '../../schemas/backend-config.ts';
import { ConflictError, InvalidJobError, StorageUnavailableError, UnauthorizedError } from '../../schemas/errors.ts';
import type { ValidationIssue } from '../../schemas/validators.ts';
import { summarizeIssues, validateJobAsync } from '../../schemas/validators.ts';
import type { JobIndexEntry, JobRecord, JobState, StatusRecord } from '../../storage/records.ts';
import { entriesAhead } from '../../storage/entries-ahead.ts';
import type { RemovalOptions } from '../../storage/lifecycle.ts';
import { isQluedJobId } from '../../storage/sqooler/ids.ts';
import { sqoolerIndexEntry } from '../../storage/sqooler/index-entry.ts';
import { assertAcceptsJobs, type ResolvedBackend } from './backends.ts';
import type { JobIndex } from './job-index.ts';
import type { ProviderSite, SiteJobs, SiteLookup } from './providers.ts';
import { QueueQuota } from './queue-quota.ts';
import type { User } from './users.ts';

/** Server-wide bounds on every job, applied before (and in addition to) the backend's own schema. */
export interface JobLimits {
  maxExperiments: number;
  maxInstructions: number;
  maxShots: number;
  maxQueuedPerUser: number;
  /** Work bounds for backends whose spoolers publish none (older versions). */
  maxSamples: number;
  maxResultBytes: number;
  timeLimitS: number;
  /** Problems an invalid job's answer lists. */
  maxProblems: number;
}

export interface JobServiceOptions {
  limits: JobLimits;
  index: JobIndex;
  /**
   * Whether the submitting account still stands (not deleted nor being deleted), asked after each enqueue: a request
   * authenticated just before an account deletion began may write its job after the deletion listed the account's
   * jobs (account-deletion.ts). Absent: not asked.
   */
  stillStands?: (user: User) => Promise<boolean>;
}

export interface SubmitOptions {
  meta?: Record<string, unknown>;
  /** An id reserved in advance (idempotent submission). */
  id?: string;
}

/**
 * A job record as the server hands it around: `provider` names the registered storage provider that holds it, and
 * is absent for jobs on the server's own storage. It is never written back (the lifecycle writes what it reads).
 */
export interface ServedJob extends JobRecord {
  provider?: string;
}

function served(record: JobRecord, site: ProviderSite): ServedJob {
  return site.primary ? record : { ...record, provider: site.name };
}

/**
 * A damaged job's stand-in (storage/damaged.ts) written by a lab's spooler, which cannot read the job index on the
 * server's storage, lacks what the submission said: served from the job's index entry, as the job list serves it.
 */
function withIndexed(job: ServedJob, entry: JobIndexEntry): ServedJob {
  if (!job.setAside || job.meta !== undefined) return job;
  return { ...job, createdAt: entry.createdAt, ...(entry.meta ? { meta: entry.meta } : {}) };
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

/**
 * The job is stored by now: a store that cannot say whether the account still stands must not turn it into an error
 * its client would retry, a second job. Kept, it is one a deletion still finds (it ends only once the name's job
 * index is empty) or, the deletion done, one that keeps the name from being registered until `qspool user delete`.
 */
function standsUnknown(error: unknown): true {
  if (error instanceof StorageUnavailableError) return true;
  throw error;
}

export class JobService {
  private readonly quota: QueueQuota;

  constructor(
    private readonly sites: SiteLookup,
    private readonly options: JobServiceOptions,
  ) {
    this.quota = new QueueQuota(sites.primary.storage, options.index, options.limits.maxQueuedPerUser);
  }

  /** The lifecycle on the provider that holds the job. */
  async lifecycleOf(job: ServedJob): Promise<SiteJobs> {
    return (await this.sites.get(job.provider)).lifecycle;
  }

  /**
   * Throws ConflictError for a backend whose provider was deactivated, then InvalidJobError naming the broken rules
   * (the first maxProblems, and how many): the backend's schema first (its messages name the backend's own limits),
   * then its published work bounds (WorkLimitError) and rules (text length in instructions, Pauli), then the server's limits where they are stricter. The schema
   * check yields to other requests between steps; the body limit bounds the work of them all.
   */
  async check(backend: ResolvedBackend, payload: unknown): Promise<void> {
    assertAcceptsJobs(backend);
    const { limits } = this.options;
    assertValid(await validateJobAsync(backend.config.job_schema, payload, limits.maxProblems));
    assertWithinBounds(this.withBounds(backend.config), payload);
    assertPublishedRules(backend.config, payload, limits.maxProblems);
    const issues = limitIssues(payload as Record<string, unknown>, limits);
    if (issues.length > 0) throw new InvalidJobError(summarizeIssues(issues), issues.slice(0, limits.maxProblems));
  }

  /** The config with the server's default work bounds when its spooler published none. */
  private withBounds(config: BackendConfig): BackendConfig {
    const { maxSamples, maxResultBytes, timeLimitS } = this.options.limits;
    return config.limits ? config : { ...config, limits: { max_samples: maxSamples, max_result_bytes: maxResultBytes, time_limit_s: timeLimitS } };
  }

  /** Refuses a submission that would take the user past their quota of queued jobs, counted across replicas. */
  async assertQueueQuota(user: User): Promise<void> {
    await this.quota.assertRoom(user.username);
  }

  /** Validates, checks the quota and enqueues. */
  async submit(user: User, backend: ResolvedBackend, payload: unknown, options: SubmitOptions = {}): Promise<ServedJob> {
    await this.check(backend, payload);
    await this.assertQueueQuota(user);
    return this.enqueue(user, backend, payload, options);
  }

  /**
   * Enqueues a job whose checks already passed, on the backend's provider. A registered provider's job keeps the full
   * name it was submitted to (meta.backendName): the record names only the display name, and two providers' backends
   * of one display name are told apart by it, which a reader could not rebuild without the backend's config.
   */
  async enqueue(user: User, backend: ResolvedBackend, payload: unknown, options: SubmitOptions = {}): Promise<ServedJob> {
    const weight = user.weight === undefined ? {} : { weight: user.weight };
    const meta = backend.site.primary ? options.meta : { ...options.meta, backendName: backend.fullName };
    const { lifecycle } = backend.site;
    const record = await lifecycle.enqueue({
      backend: backend.display,
      owner: user.username,
      payload,
      ...options,
      ...(meta ? { meta } : {}),
      ...weight,
    });
    if (this.options.stillStands && !(await this.options.stillStands(user).catch(standsUnknown))) {
      // The deletion marked the account before it listed its jobs, so this job is one it may have missed: withdrawn
      // here. Claimed in the meantime, it is cancelled through the normal path; its index entry then remains for the
      // deletion's next run (or, the deletion done, refuses the name's registration until `qspool user delete`).
      const refused = (error: unknown) => {
        if (!(error instanceof ConflictError)) throw error;
      };
      await lifecycle.purge(record.backend, record.id).catch(async (error: unknown) => {
        refused(error);
        await lifecycle.cancel(record.backend, record.id).catch(refused);
      });
      throw new UnauthorizedError('This account is disabled', 'user_disabled');
    }
    return served(record, backend.site);
  }

  async status(user: User, backend: ResolvedBackend, id: string): Promise<StatusRecord | undefined> {
    const status = await backend.site.lifecycle.getStatus(backend.display, id);
    return status && canSee(user, status.owner) ? status : undefined;
  }

  async job(user: User, backend: ResolvedBackend, id: string): Promise<ServedJob | undefined> {
    return this.jobOn(user, backend.site, backend.display, id);
  }

  async result(record: ServedJob): Promise<unknown> {
    return (await this.lifecycleOf(record)).getResult(record);
  }

  /**
   * Where a job visible to the user lives, by id alone (the index is on the primary for every provider's jobs, with
   * the jobs imported from qlued under the ids qlued gave them).
   */
  async locate(user: User, id: string): Promise<JobIndexEntry | undefined> {
    const { lifecycle, storage } = this.sites.primary;
    const entry = isQluedJobId(id) ? await sqoolerIndexEntry(storage, id) : await lifecycle.indexEntry(id);
    return entry && canSee(user, entry.owner) ? entry : undefined;
  }

  /** The job record by id alone, if the user may see it (and its provider is still registered). */
  async byId(user: User, id: string): Promise<ServedJob | undefined> {
    const entry = await this.locate(user, id);
    if (!entry) return undefined;
    const site = await this.sites.find(entry.provider);
    const job = site && (await this.jobOn(user, site, entry.backend, id));
    return job && withIndexed(job, entry);
  }

  private async jobOn(user: User, site: ProviderSite, backend: string, id: string): Promise<ServedJob | undefined> {
    const found = await site.lifecycle.find(backend, id);
    return found && canSee(user, found.value.owner) ? served(found.value, site) : undefined;
  }

  /** 1 for the job a spooler takes next; null unless queued. */
  async queuePosition(record: ServedJob): Promise<number | null> {
    if (record.state !== 'QUEUED') return null;
    const lifecycle = await this.lifecycleOf(record);
    // A scheduled job's place is its schedule entry's (priority, then fair share; before aging); others queue by id.
    if (record.schedule) {
      return Math.min(await entriesAhead(lifecycle.storage, record.backend, record.schedule, Date.now(), MAX_COUNTED_POSITION, record.id), MAX_COUNTED_POSITION - 1) + 1;
    }
    let ahead = 0;
    for (let after: string | undefined; ahead < MAX_COUNTED_POSITION; ) {
      const keys = await lifecycle.listQueued(record.backend, { limit: 1000, ...(after ? { after } : {}) });
      const before = keys.filter((key) => key < record.id);
      ahead += before.length;
      if (before.length < keys.length || keys.length < 1000) break;
      after = keys[keys.length - 1];
    }
    return Math.min(ahead, MAX_COUNTED_POSITION - 1) + 1;
  }

  /** Queued: cancelled at once. Running: flagged for its spooler. Finished: ConflictError. */
  async cancel(record: ServedJob): Promise<JobState> {
    return (await this.lifecycleOf(record)).cancel(record.backend, record.id);
  }

  async purge(record: ServedJob, options: RemovalOptions = {}): Promise<void> {
    await (await this.lifecycleOf(record)).purge(record.backend, record.id, options);
  }

  /** An administrator's retry of a finished job (with `deadLettered`, of a dead letter only), on its provider. */
  async requeue(record: ServedJob, options: RemovalOptions = {}): Promise<ServedJob> {
    const site = await this.sites.get(record.provider);
    const requeued = await site.lifecycle.requeue(record.backend, record.id, options);
    // Queued without a submission's slot: counted now, so its owner's next submissions cannot go past the quota. The
    // job is queued whatever this meets: a store that cannot be reached now leaves it to the next count.
    await this.quota.reentered(requeued.owner).catch((error: unknown) => {
      if (!(error instanceof StorageUnavailableError)) throw error;
    });
    return served(requeued, site);
  }
}
