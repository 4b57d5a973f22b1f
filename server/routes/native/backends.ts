// /api/v1/backends: the published devices with their live status, and job submission to one of them.
import type { Context } from 'koa';
import { ForbiddenError, NotFoundError, RequestValidationError } from '../../../schemas/errors.ts';
import { backendDetailSchema, backendListSchema, jobDetailSchema, jobSubmissionSchema, type JobSubmission } from '../../../schemas/native.ts';
import type { ResolvedBackend } from '../../services/backends.ts';
import type { User } from '../../services/users.ts';
import type { NativeDeps } from './index.ts';
import { bodySchema, documented, errorBody, operation, type Operation } from './operation.ts';
import { backendDetail, backendSummary, jobDetail } from './views.ts';

export const submission = bodySchema<JobSubmission>('JobSubmission', jobSubmissionSchema);
export const jobDocument = documented('Job', jobDetailSchema);
export const backendName = {
  type: 'string',
  description: 'Display name (singlequdit) or full qlued name (alqor_singlequdit_simulator); a registered storage provider\'s backends by full name only.',
} as const;
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;
export const unreachable = { description: 'The backend\'s storage provider cannot be reached right now (storage_unavailable).', schema: errorBody, headers: { 'Retry-After': 'Seconds to wait.' } };

/**
 * The key, if the header was sent. Its lines are read apart: an empty or blank one (Node trims it to '') is a key the
 * client meant to send, not its absence, and two lines would otherwise be read as one key, their values joined by ', '.
 */
function idempotencyKey(ctx: Context): string | undefined {
  const lines = ctx.req.headersDistinct['idempotency-key'];
  if (lines === undefined) return undefined;
  const problem = (msg: string) => new RequestValidationError([{ type: 'pattern', loc: ['header', 'Idempotency-Key'], msg }]);
  if (lines.length !== 1) throw problem('must be sent once');
  const key = lines[0]!;
  if (!IDEMPOTENCY_KEY.test(key)) throw problem('must be 1–255 printable ASCII characters');
  return key;
}

/** Refuses a priority above the user's allowance (403, priority_not_allowed). */
export function assertPriorityAllowed(users: NativeDeps['users'], user: User, priority: number): void {
  const allowed = users.maxPriority(user);
  if (priority > allowed) {
    throw new ForbiddenError(`Priority ${priority} is above your allowance of ${allowed}`, 'priority_not_allowed', { max_priority: allowed });
  }
}

export async function backendOr404(deps: NativeDeps, name: string): Promise<ResolvedBackend> {
  const backend = await deps.backends.resolve(name);
  if (!backend) throw new NotFoundError('No such backend');
  return backend;
}

export function backendOperations(deps: NativeDeps): Operation[] {
  const { backends, jobs, users } = deps;

  return [
    operation({
      method: 'get',
      path: '/backends',
      operationId: 'listBackends',
      summary: 'Published backends',
      tag: 'Backends',
      auth: 'none',
      responses: {
        200: {
          description: 'In name order within a provider, the server\'s own first. The backends of a registered provider that cannot be read just now are left out and the provider is named in unreachable_providers.',
          schema: documented('BackendList', backendListSchema),
        },
      },
      async handle(ctx) {
        const listing = await backends.listEach(async (backend) => backendSummary(backend, await backends.liveness(backend)));
        ctx.body = { backends: listing.items, unreachable_providers: listing.unreachable };
      },
    }),
    operation({
      method: 'get',
      path: '/backends/{name}',
      operationId: 'getBackend',
      summary: 'A backend\'s config (with its job schema) and live status',
      tag: 'Backends',
      auth: 'none',
      params: { name: backendName },
      responses: {
        200: { description: 'Config and status.', schema: documented('Backend', backendDetailSchema) },
        404: { description: 'No such backend.', schema: errorBody },
        503: unreachable,
      },
      async handle(ctx, { params }) {
        const backend = await backendOr404(deps, params.name!);
        ctx.body = backendDetail(backend, await backends.status(backend));
      },
    }),
    operation({
      method: 'post',
      path: '/backends/{name}/jobs',
      operationId: 'submitJob',
      summary: 'Submit a job',
      description:
        'The payload is checked at once against the backend\'s job_schema, the work bounds in its config.limits ' +
        '(max_samples, max_result_bytes, max_hilbert_dimension, max_hamiltonian_nonzeros; a running job is also stopped ' +
        'after time_limit_s) and the server\'s limits. With an ' +
        'Idempotency-Key, repeating the request returns the same job (200) instead of creating another; the same ' +
        'key with a different request answers 409. Keys are remembered for 24 hours.',
      tag: 'Jobs',
      auth: 'required',
      params: { name: backendName },
      headers: { 'Idempotency-Key': 'Optional; 1–255 printable ASCII characters chosen by the client.' },
      body: submission,
      responses: {
        201: { description: 'Queued.', schema: jobDocument, headers: { Location: 'The job\'s URL.' } },
        200: { description: 'A replay of an earlier request with the same Idempotency-Key.', schema: jobDocument, headers: { 'Idempotent-Replayed': 'true' } },
        403: { description: 'The priority is above the caller\'s max_priority.', schema: errorBody },
        404: { description: 'No such backend, or the job made with this Idempotency-Key was deleted since (idempotency_job_deleted, details.job_id names it; the key is not used again until it expires).', schema: errorBody },
        409: {
          description: 'The backend\'s storage provider was deactivated (provider_inactive), or the Idempotency-Key was used for another request, or that request is still running 5 s later (idempotency_in_progress; until then a repeat waits for its job).',
          schema: errorBody,
        },
        422: {
          description:
            'Fields that break the schema, or a payload the backend refuses: invalid_job (details lists the first QSPOOL_MAX_PROBLEMS issues, the message ' +
            'says how many there are) or work_limit_exceeded (details name each broken bound of the backend\'s config.limits: rule, limit, value).',
          schema: errorBody,
        },
        429: { description: 'Too many queued jobs (quota_exceeded) or requests (rate_limited).', schema: errorBody, headers: { 'Retry-After': 'Seconds to wait (rate limit only).' } },
        503: unreachable,
      },
      async handle(ctx, { user, body, params }) {
        const key = idempotencyKey(ctx);
        const backend = await backendOr404(deps, params.name!);
        const priority = body.priority ?? 0;
        assertPriorityAllowed(users, user, priority);
        await jobs.check(backend, body.payload);
        // The user's default as it is now: a later change of default applies to later jobs only.
        const notify = body.notify ?? user.notify;
        const options = { meta: { tags: body.tags ?? [], priority, ...(notify ? { notify } : {}) } };
        const create = async (id?: string) => {
          await jobs.assertQueueQuota(user);
          return jobs.enqueue(user, backend, body.payload, id ? { ...options, id } : options);
        };
        const outcome = key
          ? await deps.idempotency.run(user.username, key, { backend: backend.name, body }, create, (id) => jobs.byId(user, id))
          : { job: await create(), replayed: false };
        const { job, replayed } = outcome;
        ctx.state.log.info({ jobId: job.id, backend: backend.name, user: user.username, replayed }, 'job submitted');
        ctx.status = replayed ? 200 : 201;
        ctx.set('Location', `/api/v1/jobs/${job.id}`);
        if (replayed) ctx.set('Idempotent-Replayed', 'true');
        ctx.body = jobDetail(job, await jobs.queuePosition(job));
      },
    }),
  ];
}
