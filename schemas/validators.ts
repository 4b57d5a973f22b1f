// AJV validators, compiled once, and the translation of AJV errors into messages that name the experiment,
// the instruction and the rule ("experiment_0, instruction 2 (rlx): parameter omega must be less than or equal to 6.28…").
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Job } from './job.ts';
import { linearRegExp } from './linear-regexp.ts';

// verbose: errors carry their parent schema, whose `title` names the parameter that broke a rule.
export const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });

/** Job schemas are written by labs, so their patterns run on a linear-time engine (linear-regexp.ts). */
const jobAjv = new Ajv({ allErrors: true, strict: false, verbose: true, code: { regExp: linearRegExp } });

export interface ValidationIssue {
  /** JSON pointer into the job, e.g. /experiment_0/instructions/2/2/0 */
  path: string;
  message: string;
}

/**
 * For problems that are only counted (past the listed ones): no messages, no schema references. A large invalid job
 * has one error per instruction, and their garbage was most of its checking time.
 */
const countingAjv = new Ajv({ allErrors: true, strict: false, messages: false, code: { regExp: linearRegExp } });
const jobValidators = new Map<string, ValidateFunction>();
const countingValidators = new Map<string, ValidateFunction>();

/** By schema object: a cached (frozen) config hands in the same one each time, sparing the text key below. */
const bySchemaObject = new WeakMap<Ajv, WeakMap<object, ValidateFunction>>();

function compiledOnce(cache: Map<string, ValidateFunction>, instance: Ajv, schema: Record<string, unknown>): ValidateFunction {
  let known = bySchemaObject.get(instance);
  if (!known) bySchemaObject.set(instance, (known = new WeakMap()));
  let validate = known.get(schema);
  if (validate) return validate;
  const key = JSON.stringify(schema);
  validate = cache.get(key);
  if (!validate) {
    validate = instance.compile(schema);
    cache.set(key, validate);
  }
  if (Object.isFrozen(schema)) known.set(schema, validate);
  return validate;
}

/** Compiles (once) a backend's job schema; throws if the schema itself is invalid. */
export function compiledJobValidator(schema: Record<string, unknown>): ValidateFunction {
  return compiledOnce(jobValidators, jobAjv, schema);
}

function valueAt(root: unknown, segments: string[]): unknown {
  let value = root;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

const BOUND_WORDS: Record<string, string> = {
  maximum: 'less than or equal to',
  minimum: 'greater than or equal to',
  exclusiveMaximum: 'less than',
  exclusiveMinimum: 'greater than',
};

function describeRule(error: ErrorObject, job: unknown, segments: string[]): string {
  const value = valueAt(job, segments);
  // A rule on a whole list (maxItems) would otherwise quote the list: messages stay one line long.
  const text = JSON.stringify(value);
  const shown = text !== undefined && text.length > 80 ? `${text.slice(0, 77)}…` : text;
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
    // Bounds in words, as the reference spoolers' pydantic models state them ("less than or equal to 1000000").
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum':
      return `${shown} must be ${BOUND_WORDS[error.keyword]} ${error.params.limit}`;
    case 'pattern':
    case 'maxLength': {
      const title = (error.parentSchema as { title?: string } | undefined)?.title;
      return title ? `${shown} must be ${title}` : `${shown} ${error.message}`;
    }
    default:
      return `${shown === undefined ? 'value' : shown} ${error.message ?? 'is invalid'}`;
  }
}

/** What is wrong with an experiment's name, in the reference spoolers' words first, then the rule. */
function experimentNameProblem(name: string, rule: string): string {
  const limit = /max_experiments (\d+)/.exec(rule)?.[1];
  const number = /^experiment_(0|[1-9]\d*)$/.exec(name)?.[1];
  if (number !== undefined && limit !== undefined && Number(number) >= Number(limit)) {
    return `Experiment number too high. Must be less than ${limit}: experiment names must be ${rule}`;
  }
  if (!name.startsWith('experiment_')) return `Experiment name must start with experiment_: experiment names must be ${rule}`;
  return `experiment names must be ${rule}`;
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
    return { path: `/${error.propertyName}`, message: `${error.propertyName}: ${experimentNameProblem(error.propertyName, rule)}` };
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

/** What a check found: the first problems (at most the asked-for number) and how many there are in all. */
export interface ValidationReport {
  issues: ValidationIssue[];
  total: number;
}

/** Collects problems, listing only the first `max` (formatting every one of 10⁵ errors is what made answers huge). */
class Tally {
  readonly issues: ValidationIssue[] = [];
  total = 0;

  constructor(private readonly max: number) {}

  get full(): boolean {
    return this.issues.length >= this.max;
  }

  /**
   * Counts one validation's errors and lists the first; `place` maps an error's path within a slice to the job.
   * Messages repeated for one value are listed once; once the list is full, errors are only counted (cheaply: a large
   * invalid job has one per instruction).
   */
  addErrors(errors: readonly ErrorObject[], job: unknown, place: (path: string) => string = (path) => path): void {
    for (const error of errors) {
      // `if` and `propertyNames` only repeat what the error inside them already says.
      if (error.keyword === 'if' || error.keyword === 'propertyNames') continue;
      if (this.full) {
        this.total += 1;
        continue;
      }
      const issue = formatError({ ...error, instancePath: place(error.instancePath) }, job);
      if (this.issues.some((listed) => listed.path === issue.path && listed.message === issue.message)) continue;
      this.total += 1;
      this.issues.push(issue);
    }
  }

  add(issue: () => ValidationIssue): void {
    this.total += 1;
    if (this.issues.length < this.max) this.issues.push(issue());
  }
}

/**
 * Instructions validated in one step. A large job is validated in steps of this size, each a few milliseconds,
 * with the event loop free between them, so one 2 MB job cannot hold up every other request for seconds.
 */
const STEP_INSTRUCTIONS = 250;

type ExperimentLike = { instructions?: unknown; num_wires?: unknown };

function instructionArrays(job: unknown): [string, unknown[]][] {
  if (job === null || typeof job !== 'object' || Array.isArray(job)) return [];
  return Object.entries(job as Record<string, ExperimentLike | null>).flatMap(([name, e]) =>
    e !== null && typeof e === 'object' && Array.isArray(e.instructions) ? [[name, e.instructions] as [string, unknown[]]] : [],
  );
}

/** The schema's bound on instructions per experiment (the qubit schema nests it in an anyOf). */
function instructionLimit(schema: Record<string, unknown>): number | undefined {
  type Node = { maxItems?: number; anyOf?: Node[] };
  const rule = (schema.additionalProperties as { properties?: { instructions?: Node } } | undefined)?.properties?.instructions;
  return rule?.maxItems ?? rule?.anyOf?.find((branch) => branch.maxItems !== undefined)?.maxItems;
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The schema check in steps (yielding between them): the job without its long instruction lists first, then each
 * list a slice at a time, with the slice's error paths moved back to their place in the whole job.
 */
function* schemaSteps(validate: ValidateFunction, schema: Record<string, unknown>, job: unknown, tally: Tally): Generator<void> {
  const arrays = instructionArrays(job);
  if (arrays.reduce((sum, [, list]) => sum + list.length, 0) <= STEP_INSTRUCTIONS) {
    if (!validate(job)) tally.addErrors(validate.errors ?? [], job);
    return;
  }
  const long = new Set(arrays.filter(([, list]) => list.length > STEP_INSTRUCTIONS).map(([name]) => name));
  const experiments = job as Record<string, ExperimentLike>;
  const skeleton = Object.fromEntries(Object.entries(experiments).map(([name, e]) => [name, long.has(name) ? { ...e, instructions: [] } : e]));
  if (!validate(skeleton)) tally.addErrors(validate.errors ?? [], job);
  const limit = instructionLimit(schema);
  for (const name of long) {
    const list = experiments[name]!.instructions as unknown[];
    if (limit !== undefined && list.length > limit) {
      tally.add(() => ({ path: `/${escapePointer(name)}/instructions`, message: `${name}, instructions: ${list.length} instructions exceed max_instructions ${limit}` }));
    }
    const prefix = `/${escapePointer(name)}/instructions/`;
    for (let offset = 0; offset < list.length; offset += STEP_INSTRUCTIONS) {
      yield;
      const slice = { [name]: { ...experiments[name], instructions: list.slice(offset, offset + STEP_INSTRUCTIONS) } };
      const check = tally.full ? compiledOnce(countingValidators, countingAjv, schema) : validate;
      if (check(slice)) continue;
      const within = (check.errors ?? []).filter((error) => error.instancePath.startsWith(prefix));
      tally.addErrors(within, job, (path) => {
        const rest = path.slice(prefix.length);
        const index = Number.parseInt(rest, 10);
        return `${prefix}${index + offset}${rest.slice(String(index).length)}`;
      });
    }
  }
}

/** Checks a job against a backend's schema, then the rules a schema cannot state (wires inside num_wires). */
function* jobSteps(schema: Record<string, unknown>, job: unknown, maxListed: number): Generator<void, ValidationReport> {
  const tally = new Tally(maxListed);
  yield* schemaSteps(compiledJobValidator(schema), schema, job, tally);
  if (tally.total > 0) return tally;
  const array = wholeArray(schema);
  for (const [name, experiment] of Object.entries(job as Job)) {
    // Text-form experiments (the qubit backend) are checked by their backend.
    if (!Array.isArray(experiment.instructions)) continue;
    experiment.instructions.forEach(([gate, wires], index) => {
      // A gate on the whole device array acts on the wires the experiment has: the reference clients send
      // rydberg_block on [0…4] in 2-wire experiments (corpus spooler-rydberg-*), and sqooler runs them so.
      if (array !== undefined && wires.join() === array) return;
      const outside = wires.filter((wire) => wire >= experiment.num_wires);
      if (outside.length === 0) return;
      tally.add(() => ({
        path: `/${name}/instructions/${index}/1`,
        message: `${name}, instruction ${index} (${gate}): wires ${JSON.stringify(outside)} outside num_wires ${experiment.num_wires}`,
      }));
    });
  }
  return tally;
}

/** The whole check at once (the spooler's, on its own thread). */
export function validateJob(schema: Record<string, unknown>, job: unknown, maxListed: number): ValidationReport {
  const steps = jobSteps(schema, job, maxListed);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/** The same check with the event loop free between steps (the server's, beside other requests). */
export async function validateJobAsync(schema: Record<string, unknown>, job: unknown, maxListed: number): Promise<ValidationReport> {
  const steps = jobSteps(schema, job, maxListed);
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The first `max` messages; `total` (default: the issues given) says how many more there are. */
export function summarizeIssues(issues: ValidationIssue[], max = 5, total = issues.length): string {
  const shown = issues.slice(0, max).map((issue) => issue.message);
  const more = total > shown.length ? ` (and ${total - shown.length} more)` : '';
  return shown.join('; ') + more;
}
