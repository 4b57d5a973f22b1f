// /api/v1/admin/dead-letters: jobs that used up their attempts, for admins to list, inspect, requeue and purge. In
// the native API's list (and so its OpenAPI document), with the admin routes' role check.
import {
  deadLetterListSchema,
  deadLetterQuerySchema,
  deadLetterSchema,
  type DeadLetterQuery,
  type DeadLetterView,
} from '../../../schemas/dead-letter.ts';
import type { BackendService } from '../../services/backends.ts';
import { DeadLetterService } from '../../services/dead-letters.ts';
import type { JobService, ServedJob } from '../../services/jobs.ts';
import { jobDocument } from './backends.ts';
import { documented, errorBody, operation, querySchema, type Operation } from './operation.ts';
import { jobDetail } from './views.ts';

export interface DeadLetterDeps {
  jobs: JobService;
  backends: BackendService;
}

const deadLetter = documented('DeadLetter', deadLetterSchema);
const query = querySchema<DeadLetterQuery>('DeadLetterQuery', deadLetterQuerySchema);
const id = { id: { type: 'string', pattern: '^[0-9a-f]{24}$' } };
const adminOnly = { description: 'The caller is not an admin.', schema: errorBody };
const unknownJob = { description: 'No such job.', schema: errorBody };
const notDead = { description: 'The job is not dead-lettered (code not_dead_lettered).', schema: errorBody };

function deadLetterView(record: ServedJob): DeadLetterView {
  return {
    job: jobDetail(record, null),
    dead_lettered_at: record.deadLetter!.at,
    reason: record.deadLetter!.reason,
    failures: (record.failures ?? []).map((f) => ({ attempt: f.attempt, at: f.at, kind: f.kind, message: f.message, exit_code: f.exitCode ?? null })),
  };
}

export function deadLetterOperations(deps: DeadLetterDeps): Operation[] {
  const letters = new DeadLetterService(deps.jobs, deps.backends);
  return [
    operation<undefined, DeadLetterQuery, 'required'>({
      method: 'get',
      path: '/admin/dead-letters',
      operationId: 'listDeadLetters',
      summary: 'Jobs that used up their attempts, oldest first, a page at a time',
      tag: 'Admin',
      auth: 'required',
      role: 'admin',
      query,
      responses: { 200: { description: 'One page.', schema: documented('DeadLetterList', deadLetterListSchema) }, 403: adminOnly },
      async handle(ctx, { user, query: q }) {
        const page = await letters.list(user, { limit: q.limit ?? 50, ...(q.backend ? { backend: q.backend } : {}), ...(q.after ? { after: q.after } : {}) });
        ctx.body = { dead_letters: page.jobs.map(deadLetterView), next_after: page.nextAfter };
      },
    }),
    operation<undefined, Record<string, never>, 'required'>({
      method: 'get',
      path: '/admin/dead-letters/{id}',
      operationId: 'getDeadLetter',
      summary: 'A dead-lettered job with every failed attempt',
      tag: 'Admin',
      auth: 'required',
      role: 'admin',
      params: id,
      responses: { 200: { description: 'The dead letter.', schema: deadLetter }, 403: adminOnly, 404: unknownJob, 409: notDead },
      async handle(ctx, { user, params }) {
        ctx.body = deadLetterView(await letters.get(user, params.id!));
      },
    }),
    operation<undefined, Record<string, never>, 'required'>({
      method: 'post',
      path: '/admin/dead-letters/{id}/requeue',
      operationId: 'requeueDeadLetter',
      summary: 'Put a dead-lettered job back in its queue with a fresh set of attempts',
      description: 'The job keeps its id (so it runs before later submissions), its failed attempts stay in its history.',
      tag: 'Admin',
      auth: 'required',
      role: 'admin',
      params: id,
      responses: { 200: { description: 'Queued again.', schema: jobDocument }, 403: adminOnly, 404: unknownJob, 409: notDead },
      async handle(ctx, { user, params }) {
        const requeued = await letters.requeue(user, params.id!);
        ctx.state.log.info({ jobId: requeued.id, by: user.username }, 'dead letter requeued by admin');
        ctx.body = jobDetail(requeued, await deps.jobs.queuePosition(requeued));
      },
    }),
    operation<undefined, Record<string, never>, 'required'>({
      method: 'delete',
      path: '/admin/dead-letters/{id}',
      operationId: 'purgeDeadLetter',
      summary: 'Remove a dead-lettered job and every trace of it',
      tag: 'Admin',
      auth: 'required',
      role: 'admin',
      params: id,
      responses: { 204: { description: 'Purged.' }, 403: adminOnly, 404: unknownJob, 409: notDead },
      async handle(ctx, { user, params }) {
        await letters.purge(user, params.id!);
        ctx.state.log.info({ jobId: params.id, by: user.username }, 'dead letter purged by admin');
        ctx.status = 204;
      },
    }),
  ];
}
