// Idempotent submission: `Idempotency-Key` → the same job on replay, 409 when the key comes back with another
// request. The record `idempotency/<user>/<sha256(key)>` is created (create-only, so one of several concurrent
// requests wins) with a job id chosen in advance, before the job is enqueued under that id; a replay that finds the
// job missing long after (the first request died in between) enqueues it itself, under the same id.
import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { newJobId } from '../../storage/keys.ts';
import { idempotencyNamespace } from '../../storage/namespaces.ts';
import type { JobRecord } from '../../storage/records.ts';

export interface IdempotencyRecord {
  /** SHA-256 of what was asked (backend and body), members sorted; a different request with the same key is a conflict. */
  request: string;
  jobId: string;
  createdAt: string;
  done: boolean;
}

export interface IdempotentOutcome {
  job: JobRecord;
  replayed: boolean;
}

/** Keys are remembered this long; after that the same key starts a new job. */
export const RETENTION_MS = 24 * 3600_000;
/** A reservation this old whose job never appeared belongs to a request that died; a replay takes it over. */
const ABANDONED_MS = 30_000;
/**
 * A request still enqueueing renews its reservation this often, so it never looks abandoned while it lives (a slow
 * store, retries): a retry taking it over would enqueue the same job id beside it.
 */
const RENEW_EVERY_MS = ABANDONED_MS / 3;
/**
 * How long a request whose key another request reserved this recently waits for that one's job before answering 409:
 * a client that sends one submission from several threads at once (a retry racing its original) gets the job from each.
 */
const WAIT_FOR_HOLDER_MS = 5_000;
/** Reads while waiting: the first soon (a submission takes milliseconds), then doubling, so a wait costs a few dozen reads. */
const FIRST_WAIT_STEP_MS = 10;
const MAX_WAIT_STEP_MS = 250;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A JSON object's members have no order: each object's are written sorted, so a retry that sends them in another order
 * is the same request. Native JSON.stringify with a replacer (40 ms for a 2.4 MB job, a recursive writer 150-280 ms,
 * all of it on the only thread).
 */
const sortedMembers = (_key: string, value: unknown) =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : value;

export class IdempotencyStore {
  private readonly renewEveryMs: number;
  private readonly waitForHolderMs: number;

  constructor(
    private readonly storage: StorageProvider,
    private readonly now: () => number = Date.now,
    options: { renewEveryMs?: number; waitForHolderMs?: number } = {},
  ) {
    this.renewEveryMs = options.renewEveryMs ?? RENEW_EVERY_MS;
    this.waitForHolderMs = options.waitForHolderMs ?? WAIT_FOR_HOLDER_MS;
  }

  /**
   * Runs `create(jobId)` at most once per (user, key, request); replays get the job it created. `find` reads a
   * job by id (undefined if missing). The caller validates the request before, so refusals store nothing.
   */
  async run(
    username: string,
    key: string,
    request: unknown,
    create: (jobId: string) => Promise<JobRecord>,
    find: (jobId: string) => Promise<JobRecord | undefined>,
  ): Promise<IdempotentOutcome> {
    const namespace = idempotencyNamespace(username);
    const docKey = sha256(key);
    const fingerprint = sha256(JSON.stringify(request, sortedMembers));
    // Real time, not `now`: the wait is spent on real timers, whatever clock judges expiry.
    const waitUntil = Date.now() + this.waitForHolderMs;
    let step = FIRST_WAIT_STEP_MS;
    for (;;) {
      const existing = await this.storage.get<IdempotencyRecord>(namespace, docKey);
      const expired = existing && this.now() - Date.parse(existing.value.createdAt) > RETENTION_MS;
      if (!existing || expired) {
        // The id comes from the real clock: it orders the job in its queue, whatever clock judges expiry here.
        const record: IdempotencyRecord = { request: fingerprint, jobId: newJobId(), createdAt: new Date(this.now()).toISOString(), done: false };
        const version = await this.claim(namespace, docKey, record, existing?.version);
        if (version === undefined) continue;
        return { job: await this.finish(namespace, docKey, { record, version }, create, find), replayed: false };
      }
      const { value } = existing;
      if (value.request !== fingerprint) {
        throw new ConflictError('This Idempotency-Key was used for a different request', 'idempotency_key_reused');
      }
      const job = await find(value.jobId);
      if (job) return { job, replayed: true };
      if (value.done) {
        // Its own code: a client must tell "your job is gone, and the key stays spent" from "no such backend".
        throw new NotFoundError(`The job created with this Idempotency-Key (${value.jobId}) was deleted`, 'idempotency_job_deleted', { job_id: value.jobId });
      }
      if (this.now() - Date.parse(value.createdAt) < ABANDONED_MS) {
        // Read again after a step: the holder's job, or its key freed by a failure (this request then takes it). Only
        // for a young reservation: an older one is more likely a dead server's, which no wait here would outlast.
        if (Date.now() < waitUntil && this.now() - Date.parse(value.createdAt) < this.waitForHolderMs) {
          await new Promise((resolve) => setTimeout(resolve, step));
          step = Math.min(step * 2, MAX_WAIT_STEP_MS);
          continue;
        }
        throw new ConflictError('A request with this Idempotency-Key is still being processed; retry shortly', 'idempotency_in_progress');
      }
      const takeover = { ...value, createdAt: new Date(this.now()).toISOString() };
      const version = await this.claim(namespace, docKey, takeover, existing.version);
      if (version === undefined) continue;
      return { job: await this.finish(namespace, docKey, { record: takeover, version }, create, find), replayed: false };
    }
  }

  /**
   * Create-only, or compare-and-swap over a stale record: exactly one concurrent request wins, and gets the version it
   * wrote (undefined for the others), which its later writes to the record are made at.
   */
  private async claim(namespace: string, key: string, record: IdempotencyRecord, version?: string): Promise<string | undefined> {
    try {
      if (version === undefined) return await this.storage.put(namespace, key, record, { ifAbsent: true });
      return await this.storage.replace(namespace, key, record, version);
    } catch (error) {
      if (error instanceof ConflictError || error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /**
   * Creates the job under the reservation at `version`, renewing it meanwhile. Should a replay take the reservation
   * over all the same (this process stalled past ABANDONED_MS), the record has another version, which this request
   * leaves alone.
   */
  private async finish(
    namespace: string,
    key: string,
    reservation: { record: IdempotencyRecord; version: string },
    create: (jobId: string) => Promise<JobRecord>,
    find: (jobId: string) => Promise<JobRecord | undefined>,
  ): Promise<JobRecord> {
    const { record } = reservation;
    const held: { version: string | undefined } = { version: reservation.version };
    const stopRenewing = this.keepReserved(namespace, key, record, held);
    let job: JobRecord;
    try {
      job = await create(record.jobId);
    } catch (error) {
      await stopRenewing();
      // The job can exist all the same: the request that took over made it under this id (so this enqueue conflicts),
      // or the enqueue wrote it before failing. It is the key's job: answering with it is what a replay would do.
      const made = await find(record.jobId).catch(() => undefined);
      if (made) {
        await this.markDone(namespace, key, record, held.version);
        return made;
      }
      // Nothing was created (quota, storage trouble): free the key so the client can retry it, unless it was taken over.
      if (held.version !== undefined) await this.storage.delete(namespace, key, held.version).catch(() => undefined);
      throw error;
    }
    await stopRenewing();
    await this.markDone(namespace, key, record, held.version);
    return job;
  }

  /**
   * Rewrites the reservation's time every renewEveryMs at the version held, until the returned stop (which waits for a
   * renewal in flight). A renewal that finds another version stops: the reservation was taken over.
   */
  private keepReserved(namespace: string, key: string, record: IdempotencyRecord, held: { version: string | undefined }): () => Promise<void> {
    let renewal: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewal = renewal
        .then(async () => {
          if (held.version === undefined) return;
          held.version = await this.claim(namespace, key, { ...record, createdAt: new Date(this.now()).toISOString() }, held.version);
        })
        // Storage trouble: the next renewal tries again with the version still held.
        .catch(() => undefined);
    }, this.renewEveryMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      return renewal;
    };
  }

  /** At the reservation's version: a request that took it over writes its own. */
  private async markDone(namespace: string, key: string, record: IdempotencyRecord, version: string | undefined): Promise<void> {
    if (version !== undefined) await this.claim(namespace, key, { ...record, done: true }, version);
  }
}
