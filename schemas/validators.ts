// AJV validators, compiled once, and the translation of AJV errors into messages that name the experiment,
// the instruction and the rule ("experiment_0, instruction 2 (rlx): parameter omega must be <= 6.28…").
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { backendConfigSchema, type BackendConfig } from './backend-config.ts';
import type { Job } from './job.ts';
import { resultSchema, type Result } from './result.ts';
import { statusSchema, type StatusDict } from './status.ts';

// verbose: errors carry their parent schema, whose `title` names the parameter that broke a rule.
export const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });

export const validateStatus = ajv.compile<StatusDict>(statusSchema);
export const validateResult = ajv.compile<Result>(resultSchema);
export const validateBackendConfig = ajv.compile<BackendConfig>(backendConfigSchema);

export interface ValidationIssue {
  /** JSON pointer into the job, e.g. /experiment_0/instructions/2/2/0 */
  path: string;
  message: string;
}

const jobValidators = new Map<string, ValidateFunction>();

/** Compiles (once) a backend's job schema; throws if the schema itself is invalid. */
export function compiledJobValidator(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = jobValidators.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    jobValidators.set(key, validate);
  }
  return validate;
}

function valueAt(root: unknown, segments: string[]): unknown {
  let value = root;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function describeRule(error: ErrorObject, job: unknown, segments: string[]): string {
  const value = valueAt(job, segments);
  const shown = JSON.stringify(value);
  switch (error.keyword) {
    case 'enum':
      if (segments.length === 4 && segments[3] === '0') return `Instruction ${String(value)} not allowed.`;
      if (segments.length === 4 && segments[3] === '1') {
        return `${shown} not in the coupling map ${JSON.stringify(error.params.allowedValues)}`;
      }
      return `${shown} is not allowed here (allowed: ${JSON.stringify(error.params.allowedValues)})`;
    case 'const':
      return `${shown} must be ${JSON.stringify(error.params.allowedValue)}`;
    case 'additionalProperties':
      return `unknown field ${JSON.stringify(error.params.additionalProperty)}`;
    case 'required':
      return `missing field ${JSON.stringify(error.params.missingProperty)}`;
    case 'maxProperties':
      return `too many experiments: at most ${error.params.limit} allowed`;
    default:
      return `${shown === undefined ? 'value' : shown} ${error.message ?? 'is invalid'}`;
  }
}

/** Where in the job an error sits, in words: experiment, instruction index and name, field. */
function describeLocation(job: unknown, segments: string[], title?: string): string {
  const [experiment, field, index, slot, param] = segments;
  if (!experiment) return 'job';
  if (field !== 'instructions' || index === undefined) return field ? `${experiment}, ${field}` : experiment;
  const name = valueAt(job, [experiment, 'instructions', index, '0']);
  const where = `${experiment}, instruction ${index}${typeof name === 'string' ? ` (${name})` : ''}`;
  if (slot === '1') return `${where}: wires`;
  if (slot === '2') return `${where}: parameter ${title ?? param ?? ''}`.trimEnd();
  return where;
}

function formatError(error: ErrorObject, job: unknown): ValidationIssue {
  // An experiment name that breaks `propertyNames`: the schema's title states the allowed names.
  if (error.propertyName !== undefined) {
    const rule = (error.parentSchema as { title?: string } | undefined)?.title ?? 'experiment_<n>';
    return { path: `/${error.propertyName}`, message: `${error.propertyName}: experiment names must be ${rule}` };
  }
  const segments = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const rule = describeRule(error, job, segments);
  const location = describeLocation(job, segments, (error.parentSchema as { title?: string } | undefined)?.title);
  return { path: error.instancePath || '/', message: `${location}: ${rule}` };
}

/** The device's whole wire array `0,1,…,n−1` as joined text; the schema bounds num_wires by the device's n. */
function wholeArray(schema: Record<string, unknown>): string | undefined {
  const experiment = schema.additionalProperties as { properties?: { num_wires?: { maximum?: unknown } } } | undefined;
  const wires = experiment?.properties?.num_wires?.maximum;
  return typeof wires === 'number' ? Array.from({ length: wires }, (_, w) => w).join() : undefined;
}

/** Checks a job against a backend's schema, then the rules a schema cannot state (wires inside num_wires). */
export function validateJob(schema: Record<string, unknown>, job: unknown): ValidationIssue[] {
  const validate = compiledJobValidator(schema);
  if (!validate(job)) {
    // `if` and `propertyNames` only repeat what the error inside them already says.
    const issues = (validate.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'propertyNames').map((e) => formatError(e, job));
    const unique = new Map(issues.map((issue) => [`${issue.path} ${issue.message}`, issue]));
    return [...unique.values()];
  }
  const issues: ValidationIssue[] = [];
  const array = wholeArray(schema);
  for (const [name, experiment] of Object.entries(job as Job)) {
    // Text-form experiments (the qubit backend) are checked by their backend.
    if (!Array.isArray(experiment.instructions)) continue;
    experiment.instructions.forEach(([gate, wires], index) => {
      // A gate on the whole device array acts on the wires the experiment has: the reference clients send
      // rydberg_block on [0…4] in 2-wire experiments (corpus spooler-rydberg-*), and sqooler runs them so.
      if (array !== undefined && wires.join() === array) return;
      const outside = wires.filter((wire) => wire >= experiment.num_wires);
      if (outside.length > 0) {
        issues.push({
          path: `/${name}/instructions/${index}/1`,
          message: `${name}, instruction ${index} (${gate}): wires ${JSON.stringify(outside)} outside num_wires ${experiment.num_wires}`,
        });
      }
    });
  }
  return issues;
}

export function summarizeIssues(issues: ValidationIssue[], max = 5): string {
  const shown = issues.slice(0, max).map((issue) => issue.message);
  const more = issues.length > max ? ` (and ${issues.length - max} more)` : '';
  return shown.join('; ') + more;
}
