// A native API operation is one object: method, path, documentation, the schemas its query and body are validated
// with, its responses and its handler. Routers are mounted from these objects and the OpenAPI document is built
// from the very same objects, so what is documented is what is validated.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ForbiddenError, RequestValidationError, type FieldProblem } from '../../../schemas/errors.ts';
import { errorBodySchema } from '../../../schemas/native.ts';
import { ajv } from '../../../schemas/validators.ts';
import type { BearerAuth } from '../../auth/bearer.ts';
import { readJsonBody, type BodyLimits } from '../../middleware/body.ts';
import { refuseBody } from '../../middleware/no-body.ts';
import { queryProperties, readQuery } from '../../middleware/query-values.ts';
import type { User } from '../../services/users.ts';

export type JsonSchema = Readonly<Record<string, unknown>>;

/** A schema under its OpenAPI component name. */
export interface Documented {
  name: string;
  schema: JsonSchema;
}

/** A documented schema with the validator compiled from exactly that object. */
export interface Validated<T> extends Documented {
  validate: ValidateFunction<T>;
}

/** A query schema also tells how each parameter's text is read (query-values.ts). */
export interface ValidatedQuery<T> extends Validated<T> {
  properties: ReturnType<typeof queryProperties>;
}

// Query values arrive as text and are read by query-values.ts, not coerced here; this instance fills defaults.
const queryAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
addFormats.default(queryAjv, ['date-time']);

export const bodySchema = <T>(name: string, schema: JsonSchema): Validated<T> => ({ name, schema, validate: ajv.compile<T>(schema) });
export const querySchema = <T>(name: string, schema: JsonSchema): ValidatedQuery<T> => ({
  name,
  schema,
  properties: queryProperties(name, schema),
  validate: queryAjv.compile<T>(schema),
});
export const documented = (name: string, schema: JsonSchema): Documented => ({ name, schema });

export const errorBody = documented('Error', errorBodySchema);

/** `own`: a bearer credential the handler checks itself (logging out takes an ended or expired access token too). */
export type AuthMode = 'none' | 'optional' | 'required' | 'own';
type Caller<A extends AuthMode> = A extends 'required' ? User : User | undefined;

export interface Input<B, Q, A extends AuthMode> {
  user: Caller<A>;
  body: B;
  query: Q;
  params: Record<string, string>;
}

export interface ResponseSpec {
  description: string;
  schema?: Documented;
  /** Response headers worth documenting, name → description. */
  headers?: Record<string, string>;
  /** For the docs page and event streams; JSON otherwise. */
  contentType?: 'text/html' | 'text/event-stream';
}

export interface Operation<B = unknown, Q = unknown, A extends AuthMode = AuthMode> {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI-style, relative to /api/v1: `/jobs/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth: A;
  /** Only callers with this role: checked right after authentication, before the query or body is looked at. */
  role?: 'admin';
  /** Path parameters (`{id}`) with the schema they are documented by; handlers answer 404 for anything else. */
  params?: Record<string, JsonSchema>;
  body?: Validated<B>;
  query?: ValidatedQuery<Q>;
  /** Request headers worth documenting, name → description. */
  headers?: Record<string, string>;
  /** Success and operation-specific error answers; the ones every operation shares are added by `responsesOf`. */
  responses: Record<number, ResponseSpec>;
  handle(ctx: Context, input: Input<B, Q, A>): Promise<void>;
}

/** Keeps a typed operation's inference at the definition while letting routers hold a plain list. */
export const operation = <B = undefined, Q = Record<string, never>, A extends AuthMode = AuthMode>(op: Operation<B, Q, A>): Operation =>
  op;

/** Every answer an operation can give, including the errors all operations of its kind share. */
export function responsesOf(op: Operation): Record<number, ResponseSpec> {
  const error = (description: string): ResponseSpec => ({ description, schema: errorBody });
  const shared: Record<number, ResponseSpec> = {
    // Requests broken at the HTTP level, refused before any route (middleware/protocol.ts); 400 too, below.
    417: error('An Expect header other than 100-continue (expectation_failed).'),
    422: error('Fields that break the schema, unknown or repeated query parameters, or JSON numbers beyond a double\'s range (number_too_large), each named in details.'),
    429: { ...error('Too many requests for this credential.'), headers: { 'Retry-After': 'Seconds to wait.' } },
    // Credentials, rate limits and almost every operation read storage: when it cannot be reached, any of them says so.
    503: { ...error('Storage cannot be reached right now (storage_unavailable).'), headers: { 'Retry-After': 'Seconds to wait.' } },
  };
  if (op.auth === 'required' || op.auth === 'own') shared[401] = error('No, or a bad, expired or revoked credential; or a disabled user.');
  if (op.body) {
    shared[400] = error('The body is not JSON (or not UTF-8, or nested too deeply); or an HTTP/1.1 request without a Host header (bad_host).');
    shared[413] = error('The body is larger than the server accepts.');
    shared[415] = error('The body is compressed (a Content-Encoding other than identity), or is not UTF-8 and declares another charset: bodies are taken uncompressed, in UTF-8.');
  } else {
    shared[400] = error('A request body: this operation takes none (unexpected_body); or an HTTP/1.1 request without a Host header (bad_host).');
  }
  return { ...shared, ...op.responses };
}

/**
 * The problems listed, and one more counting the `total - listed.length` left out. A 2.6 MB body of 166,000 unknown
 * fields was answered with every one of them: 17.7 MB and 2.7 s of the only thread per request, and /healthz took up
 * to 2.8 s for everyone while six such requests were answered.
 */
function capped(listed: FieldProblem[], total: number, where: 'body' | 'query'): FieldProblem[] {
  const more = total - listed.length;
  return more > 0 ? [...listed, { type: 'too_many_problems', loc: [where], msg: `and ${more} more problems` }] : listed;
}

/** The first `max` of a schema's errors as field problems (mapping them all would cost what the cap saves). */
function problemsOf(errors: ErrorObject[] | null | undefined, where: 'body' | 'query', max: number): FieldProblem[] {
  const all = errors ?? [];
  const listed = all.slice(0, max).map((error) => {
    const path = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const named =
      error.keyword === 'required' ? [String(error.params.missingProperty)]
      : error.keyword === 'additionalProperties' ? [String(error.params.additionalProperty)]
      : [];
    const msg = error.keyword === 'additionalProperties' ? 'unknown field' : (error.message ?? 'is invalid');
    return { type: error.keyword, loc: [where, ...path, ...named], msg };
  });
  return capped(listed, all.length, where);
}

function validated<T>(value: unknown, schema: Validated<T>, where: 'body' | 'query', maxProblems: number): T {
  if (value === undefined) throw new RequestValidationError([{ type: 'missing', loc: [where], msg: 'Field required' }]);
  if (!schema.validate(value)) throw new RequestValidationError(problemsOf(schema.validate.errors, where, maxProblems));
  return value;
}

/** The query as a plain object; without a query schema any parameter is refused (typos fail loudly). */
function queryOf(ctx: Context, schema: ValidatedQuery<unknown> | undefined, maxProblems: number): unknown {
  if (schema) {
    const { values, problems } = readQuery(ctx.query, schema.properties);
    if (problems.length > 0) throw new RequestValidationError(capped(problems.slice(0, maxProblems), problems.length, 'query'));
    return validated(values, schema, 'query', maxProblems);
  }
  const query: Record<string, unknown> = { ...ctx.query };
  const unknown = Object.keys(query);
  if (unknown.length > 0) {
    const listed = unknown.slice(0, maxProblems).map((name) => ({ type: 'additionalProperties', loc: ['query', name], msg: 'unknown field' }));
    throw new RequestValidationError(capped(listed, unknown.length, 'query'));
  }
  return {};
}

export interface MountDeps {
  auth: BearerAuth;
  limits: BodyLimits;
}

export const koaPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

export function mount(router: Router, op: Operation, deps: MountDeps): void {
  router[op.method](koaPath(op.path), async (ctx) => {
    // Authentication first: without valid credentials nothing about the request is looked at; nor without the role.
    const user = op.auth === 'required' ? await deps.auth.required(ctx) : op.auth === 'optional' ? await deps.auth.caller(ctx) : undefined;
    if (op.role === 'admin' && user?.role !== 'admin') throw new ForbiddenError('This needs the admin role', 'admin_required');
    const query = queryOf(ctx, op.query, deps.limits.maxProblems);
    if (!op.body) await refuseBody(ctx, `${op.method.toUpperCase()} /api/v1${op.path}`);
    const body = op.body ? validated(await readJsonBody(ctx, deps.limits), op.body, 'body', deps.limits.maxProblems) : undefined;
    await op.handle(ctx, { user, body, query, params: ctx.params as Record<string, string> });
  });
}
