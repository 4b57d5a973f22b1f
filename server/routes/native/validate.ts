// POST /api/v1/backends/{name}/validate: what submitting this body would be told about its payload, without
// queueing anything. The Submit page checks jobs with it before sending: the same code as submission (the
// backend's published job_schema, then the server's limits), so the page and the server never disagree. The
// browser cannot run AJV itself under the pages' Content-Security-Policy (AJV compiles schemas with `new Function`).
import { jobValidationSchema } from '../../../schemas/admin.ts';
import { InvalidJobError, NotFoundError } from '../../../schemas/errors.ts';
import { jobSubmissionSchema, type JobSubmission } from '../../../schemas/native.ts';
import type { ValidationIssue } from '../../../schemas/validators.ts';
import type { BackendService } from '../../services/backends.ts';
import type { JobService } from '../../services/jobs.ts';
import { backendName } from './backends.ts';
import { bodySchema, documented, errorBody, operation, type Operation } from './operation.ts';

const submission = bodySchema<JobSubmission>('JobSubmission', jobSubmissionSchema);

export function validateOperations(deps: { backends: BackendService; jobs: JobService }): Operation[] {
  return [
    operation<JobSubmission, Record<string, never>, 'required'>({
      method: 'post',
      path: '/backends/{name}/validate',
      operationId: 'validateJob',
      summary: 'Check a job submission without queueing it',
      description: 'Answers 200 whether or not the payload is valid; `issues` name the experiment and instruction of every problem.',
      tag: 'Jobs',
      auth: 'required',
      params: { name: backendName },
      body: submission,
      responses: {
        200: { description: 'The verdict.', schema: documented('JobValidation', jobValidationSchema) },
        404: { description: 'No such backend.', schema: errorBody },
      },
      async handle(ctx, { params, body }) {
        const backend = await deps.backends.resolve(params.name!);
        if (!backend) throw new NotFoundError('No such backend');
        let issues: ValidationIssue[] = [];
        try {
          await deps.jobs.check(backend, body.payload);
        } catch (error) {
          if (!(error instanceof InvalidJobError)) throw error;
          issues = (error.details as ValidationIssue[] | undefined) ?? [{ path: '/', message: error.message }];
        }
        ctx.body = { valid: issues.length === 0, issues };
      },
    }),
  ];
}
