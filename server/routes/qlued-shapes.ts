// How qlued (django-ninja) words its answers: field-problem lists, status dicts, and the projection of our
// stored status onto the four-key status dict.
import { errorStatusDict, RequestValidationError, StatusDictError, type FieldProblem } from '../../schemas/errors.ts';
import type { StatusDict } from '../../schemas/status.ts';
import type { StatusRecord } from '../../storage/records.ts';

export const missing = (...loc: string[]): FieldProblem => ({ type: 'missing', loc, msg: 'Field required' });
export const notString = (...loc: string[]): FieldProblem => ({ type: 'string_type', loc, msg: 'Input should be a valid string' });
export const notDict = (...loc: string[]): FieldProblem => ({ type: 'dict_type', loc, msg: 'Input should be a valid dictionary' });
export const notModel = (...loc: string[]): FieldProblem => ({
  type: 'model_attributes_type',
  loc,
  msg: 'Input should be a valid dictionary or object to extract fields from',
});

/** A required string field of an object; records a problem instead of throwing, so all problems are reported. */
export function stringField(source: Record<string, unknown>, key: string, loc: string[], problems: FieldProblem[]): string {
  const value = source[key];
  if (value === undefined) problems.push(missing(...loc, key));
  else if (typeof value !== 'string') problems.push(notString(...loc, key));
  return typeof value === 'string' ? value : '';
}

export function assertNoProblems(problems: FieldProblem[]): void {
  if (problems.length > 0) throw new RequestValidationError(problems);
}

export const invalidCredentials = () =>
  new StatusDictError(401, 'invalid_credentials', errorStatusDict('Invalid credentials!'));

export const unknownBackend = (detail = 'Unknown back-end!') =>
  new StatusDictError(404, 'unknown_backend', errorStatusDict('Unknown back-end!', detail));

export const badJobEncoding = () =>
  new StatusDictError(406, 'bad_job_encoding', errorStatusDict('The encoding of your json seems not work out!'));

export const missingStatus = (jobId: string) =>
  new StatusDictError(406, 'job_not_found', {
    job_id: jobId,
    status: 'ERROR',
    detail: 'Could not find the status file.',
    error_message: `Missing status file for ${jobId}.`,
  });

export function toStatusDict(status: StatusRecord): StatusDict {
  return { job_id: status.job_id, status: status.status, detail: status.detail, error_message: status.error_message };
}
