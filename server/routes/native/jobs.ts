// /api/v1/jobs: the caller's jobs (every job, for admins) by id alone: list, status, result, cancel, delete.
// Another user's job answers exactly like an id that does not exist.
import { ForbiddenError, NotFoundError, RequestValidationError, ResultNotReadyError } from '../../../schemas/errors.ts';
import { jobIdPathSchema, jobListQuerySchema, jobListSchema, signatureReportSchema, type JobListQuery } from '../../../schemas/native.ts';
import { resultSchema } from '../../../schemas/result.ts';
import { verifyJobResult } from '../../../spooler/signing/verify.ts';
import type { JobRecord, JobState } from '../../../storage/records.ts';
import type { User } from '../../services/users.ts';
import { jobDocument } from './backends.ts';
import type { NativeDeps } from './index.ts';
import { documented, errorBody, operation, querySchema, type Operation } from './operation.ts';
import { jobDetail, jobSummary } from './views.ts';

const listQuery = querySchema<JobListQuery>('JobListQuery', jobListQuerySchema);
const jobIdParam = { id: jobIdPathSchema } as const;
const notFound = { description: 'No job with this id that the caller may see.', schema: errorBody };
const signatureReport = documented('SignatureReport', signatureReportSchema);

/** Milliseconds of a date-time the schema accepted; a few valid RFC 3339 forms (leap seconds) have none in JS. */
function instant(name: string, value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RequestValidationError([{ type: 'format', loc: ['query', name], msg: 'must be a date-time JavaScript can represent' }]);
  return ms;
}

export function jobOperations(deps: NativeDeps): Operation[] {
  const { jobs, backends } = deps;

  async function visibleJob(user: User, id: string): Promise<JobRecord> {
    const record = await jobs.byId(user, id);
    if (!record) throw new NotFoundError('No such job');
    return record;
  }

  return [
    operation({
      method: 'get',
      path: '/jobs',
      operationId: 'listJobs',
      summary: 'List jobs, oldest first, a page at a time',
      description:
        'The caller\'s jobs (admins: everyone\'s, or one user\'s with `owner`), in creation order. Pages never skip or ' +
        'repeat a job while new ones arrive: follow next_cursor until it is null. Jobs on a registered storage provider that ' +
        'cannot be read just now are left out and their providers named in unreachable_providers; the cursor keeps them and ' +
        'a later page lists them, first, once the provider answers. 503 when every job a page meets is on such a provider.',
      tag: 'Jobs',
      auth: 'required',
      query: listQuery,
      responses: { 200: { description: 'One page.', schema: documented('JobList', jobListSchema) }, 403: { description: '`owner` needs an admin.', schema: errorBody } },
      async handle(ctx, { user, query }) {
        if (query.owner !== undefined && user.role !== 'admin' && query.owner !== user.username) {
          throw new ForbiddenError('Only admins may list other users\' jobs', 'admin_required');
        }
        const page = await deps.jobIndex.list(
          {
            owner: user.role === 'admin' ? (query.owner ?? null) : user.username,
            // A name no provider can have matches no job.
            ...(query.backend === undefined ? {} : { backend: backends.parseName(query.backend) ?? { provider: '', display: '' } }),
            ...(query.status === undefined ? {} : { states: query.status.split(',') as JobState[] }),
            ...(query.tag === undefined ? {} : { tag: query.tag }),
            ...(query.created_after === undefined ? {} : { createdAfter: instant('created_after', query.created_after) }),
            ...(query.created_before === undefined ? {} : { createdBefore: instant('created_before', query.created_before) }),
          },
          query.limit ?? 50,
          query.cursor,
        );
        ctx.body = {
          jobs: page.jobs.map(({ id, entry, status }) => jobSummary(id, entry, status.status, status.timestamps)),
          next_cursor: page.nextCursor,
          unreachable_providers: page.unreachable,
        };
      },
    }),
    operation({
      method: 'get',
      path: '/jobs/{id}',
      operationId: 'getJob',
      summary: 'A job\'s status, history, per-state timestamps, attempts and queue position',
      tag: 'Jobs',
      auth: 'required',
      params: jobIdParam,
      responses: { 200: { description: 'The job.', schema: jobDocument }, 404: notFound },
      async handle(ctx, { user, params }) {
        const record = await visibleJob(user, params.id!);
        ctx.body = jobDetail(record, await jobs.queuePosition(record));
      },
    }),
    operation({
      method: 'get',
      path: '/jobs/{id}/result',
      operationId: 'getJobResult',
      summary: 'The result of a DONE job (qiskit\'s Result format)',
      tag: 'Jobs',
      auth: 'required',
      params: jobIdParam,
      responses: {
        200: { description: 'The result.', schema: documented('Result', resultSchema) },
        404: notFound,
        409: { description: 'The job is not DONE (details.status says what it is).', schema: errorBody },
      },
      async handle(ctx, { user, params }) {
        const record = await visibleJob(user, params.id!);
        if (record.state !== 'DONE') throw new ResultNotReadyError(record.state, record.errorMessage ?? null);
        const result = await jobs.result(record);
        if (!result) throw new NotFoundError('The result of this job is missing from storage');
        ctx.body = result;
      },
    }),
    operation({
      method: 'get',
      path: '/jobs/{id}/signature',
      operationId: 'getJobSignature',
      summary: 'Whether the job\'s result carries a valid signature by its backend\'s published key',
      description: 'qlued clients keep reading plain results; this is where anyone holding the job can check one.',
      tag: 'Jobs',
      auth: 'required',
      params: jobIdParam,
      responses: { 200: { description: 'The verdict (also for unsigned or unfinished jobs).', schema: signatureReport }, 404: notFound },
      async handle(ctx, { user, params }) {
        const record = await visibleJob(user, params.id!);
        const report = await verifyJobResult(await jobs.lifecycleOf(record), record, deps.trustedKeys);
        ctx.body = { job_id: record.id, backend: record.backend, status: record.state, ...report };
      },
    }),
    operation({
      method: 'post',
      path: '/jobs/{id}/cancel',
      operationId: 'cancelJob',
      summary: 'Cancel a job',
      description:
        'A queued job is cancelled at once (200). A running job is flagged and its spooler stops at its next check (202); ' +
        'one that ended CANCELLED by the time of the answer answers 200, and one that finished first ends DONE or ERROR.',
      tag: 'Jobs',
      auth: 'required',
      params: jobIdParam,
      responses: {
        200: { description: 'Cancelled.', schema: jobDocument },
        202: { description: 'Running; cancel requested.', schema: jobDocument },
        404: notFound,
        409: { description: 'The job has already finished (job_finished; details.status says how: CANCELLED for a repeated cancel).', schema: errorBody },
      },
      async handle(ctx, { user, params }) {
        const record = await visibleJob(user, params.id!);
        const state = await jobs.cancel(record);
        ctx.state.log.info({ jobId: record.id, user: user.username, state }, 'job cancel');
        const updated = (await jobs.byId(user, record.id)) ?? record;
        // The status follows the job answered: a running job whose spooler saw the flag at once is CANCELLED already.
        ctx.status = state === 'CANCELLED' || updated.state === 'CANCELLED' ? 200 : 202;
        ctx.body = jobDetail(updated, null);
      },
    }),
    operation({
      method: 'delete',
      path: '/jobs/{id}',
      operationId: 'deleteJob',
      summary: 'Delete a job that is not running, with its status and result',
      tag: 'Jobs',
      auth: 'required',
      params: jobIdParam,
      responses: {
        204: { description: 'Deleted.' },
        404: notFound,
        409: { description: 'The job is running; cancel it first.', schema: errorBody },
      },
      async handle(ctx, { user, params }) {
        const record = await visibleJob(user, params.id!);
        await jobs.purge(record);
        ctx.state.log.info({ jobId: record.id, user: user.username }, 'job deleted');
        ctx.status = 204;
      },
    }),
  ];
}
