// POST /api/v1/backends/{name}/estimate: a dry run. The body is a submission, checked exactly as submitJob checks it
// (same 403 and 422 answers); the answer is the job's expected queue wait, run time and result size, and nothing is
// queued.
import { jobEstimateSchema, type JobEstimateView } from '../../../schemas/estimate.ts';
import { EstimateService } from '../../services/estimate.ts';
import { assertPriorityAllowed, backendName, backendOr404, submission, unreachable } from './backends.ts';
import type { NativeDeps } from './index.ts';
import { documented, errorBody, operation, type Operation } from './operation.ts';

export function estimateOperations(deps: NativeDeps): Operation[] {
  // One per server: it keeps each backend's recent run times between requests.
  const estimates = new EstimateService(deps.backends);
  return [
    operation({
      method: 'post',
      path: '/backends/{name}/estimate',
      operationId: 'estimateJob',
      summary: 'Estimate a job\'s queue wait, run time and result size without queueing it',
      description:
        'Send what you would send to submitJob. The job is checked exactly as a submission is, and nothing is queued. ' +
        'Run time is learnt from the backend\'s recent finished jobs (run_time_basis says how); queue wait counts the jobs ' +
        'a spooler would take first (by the priority given and fair share between users) and those running now.',
      tag: 'Jobs',
      auth: 'required',
      params: { name: backendName },
      body: submission,
      responses: {
        200: { description: 'The estimate.', schema: documented('JobEstimate', jobEstimateSchema) },
        403: { description: 'The priority is above the caller\'s max_priority.', schema: errorBody },
        404: { description: 'No such backend.', schema: errorBody },
        409: { description: 'The backend\'s storage provider was deactivated (provider_inactive).', schema: errorBody },
        422: { description: 'The job would be refused at submission: invalid_job or work_limit_exceeded, as for submitJob.', schema: errorBody },
        503: unreachable,
      },
      async handle(ctx, { user, body, params }) {
        const backend = await backendOr404(deps, params.name!);
        const priority = body.priority ?? 0;
        assertPriorityAllowed(deps.users, user, priority);
        await deps.jobs.check(backend, body.payload);
        const estimate = await estimates.estimate(backend, body.payload, { owner: user.username, priority, ...(user.weight === undefined ? {} : { weight: user.weight }) });
        const view: JobEstimateView = {
          backend: params.name!,
          size: {
            experiments: estimate.size.experiments,
            instructions: estimate.size.instructions,
            shots: estimate.size.shots,
            hilbert_dimension: estimate.size.hilbertDimension,
          },
          run_time_s: estimate.runSeconds,
          run_time_basis: estimate.model.basis,
          history_jobs: estimate.model.samples,
          queue_wait_s: estimate.waitSeconds,
          queued_ahead: estimate.queued,
          running: estimate.running,
          spoolers: estimate.spoolers,
          time_limit_s: backend.config.limits?.time_limit_s ?? null,
          result_bytes: estimate.resultBytes,
        };
        ctx.body = view;
      },
    }),
  ];
}
