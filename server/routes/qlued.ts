// qlued's API v2 and v3, as qiskit-cold-atom, the qlued notebooks and django-qlued's tests use it
// (reference/qlued-api.md), with the fixes of its §4: no 500s, validated ids, per-user isolation,
// jobs checked at submission, "finished" results.
import Router from '@koa/router';
import type { Context } from 'koa';
import { BadHostError, InvalidJobError, NumberTooLargeError, StatusDictError, errorStatusDict, type FieldProblem } from '../../schemas/errors.ts';
import { toConfigOut } from '../../schemas/backend-config.ts';
import { isJobId } from '../../storage/keys.ts';
import { isQluedJobId } from '../../storage/sqooler/ids.ts';
import { readJsonBody, parseJson, type BodyLimits } from '../middleware/body.ts';
import { lastQueryValue } from '../middleware/query.ts';
import { chargeBodyCredential } from '../middleware/rate-limit.ts';
import type { BackendService, ResolvedBackend } from '../services/backends.ts';
import type { JobService } from '../services/jobs.ts';
import type { User, UserService } from '../services/users.ts';
import {
  assertNoProblems,
  badJobEncoding,
  invalidCredentials,
  missing,
  missingStatus,
  notDict,
  notModel,
  stringField,
  toStatusDict,
  unknownBackend,
} from './qlued-shapes.ts';
import { UnauthorizedError } from '../../schemas/errors.ts';
import { DOCS_CSP, renderDocs } from './native/docs.ts';
import { qluedOpenApi } from './qlued-openapi.ts';

export interface QluedDeps {
  backends: BackendService;
  jobs: JobService;
  users: UserService;
  limits: BodyLimits;
  baseUrl: string;
}

type Version = 'v2' | 'v3';

const invalidJob = (message: string) => new StatusDictError(406, 'invalid_job', errorStatusDict(message, `Invalid job: ${message}`));

const FORMAT_HINT = 'The string should have 1 or three parts separated by `_`!';

function queryString(ctx: Context, key: string, problems: FieldProblem[]): string {
  const value = lastQueryValue(ctx, key);
  if (value === undefined) problems.push(missing('query', key));
  return value ?? '';
}

/** A host name, IPv4 or bracketed IPv6 address, and an optional port: all a URL built from the Host header may hold. */
const HOST = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$/;

export function qluedRouter(deps: QluedDeps, version: Version): Router {
  const router = new Router({ prefix: `/api/${version}`, strict: true });
  const { backends, jobs, users } = deps;

  const urlFor = (ctx: Context, backend: ResolvedBackend) => {
    if (!deps.baseUrl && !HOST.test(ctx.host)) throw new BadHostError();
    return `${deps.baseUrl || `${ctx.protocol}://${ctx.host}`}/api/${version}/${backend.fullName}/`;
  };

  async function authenticate(token: string): Promise<User> {
    const user = await users.authenticate(token);
    if (!user) throw invalidCredentials();
    return user;
  }

  /**
   * v3 authenticates before it validates anything else, from the Bearer header only, parsed as django-ninja's
   * HttpBearer does: the scheme in any case, the key is everything after the first space. So only a missing header
   * or another scheme is "Unauthorized"; `Bearer`, `Bearer a b` or `bearer DUMMY` are invalid credentials.
   */
  async function bearerUser(ctx: Context): Promise<User> {
    const header = ctx.get('authorization');
    const [scheme, ...key] = header.split(' ');
    if (!header || scheme!.toLowerCase() !== 'bearer') throw new UnauthorizedError();
    return authenticate(key.join(' '));
  }

  async function backendOr404(name: string): Promise<ResolvedBackend> {
    const backend = await backends.resolve(name);
    if (!backend) throw unknownBackend();
    return backend;
  }

  /** Credentials and job id of a status/result request, checked in the order qlued checks them. */
  async function jobQuery(ctx: Context): Promise<{ user: User; backend: ResolvedBackend; jobId: string }> {
    const problems: FieldProblem[] = [];
    const v3User = version === 'v3' ? await bearerUser(ctx) : undefined;
    const jobId = queryString(ctx, 'job_id', problems);
    const token = version === 'v2' ? queryString(ctx, 'token', problems) : '';
    assertNoProblems(problems);
    const user = v3User ?? (await authenticate(token));
    const backend = await backendOr404(ctx.params.backend!);
    return { user, backend, jobId };
  }

  async function visibleStatus(user: User, backend: ResolvedBackend, jobId: string) {
    // Old qlued ids (sqooler's Dropbox form) still address jobs on a provider imported from qlued.
    const status = isJobId(jobId) || isQluedJobId(jobId) ? await jobs.status(user, backend, jobId) : undefined;
    if (!status) throw missingStatus(jobId);
    if (status.status === 'ERROR') throw new StatusDictError(406, 'job_failed', toStatusDict(status));
    return status;
  }

  const openApi = qluedOpenApi(version);
  router.get('/openapi.json', (ctx) => {
    ctx.body = openApi;
  });
  router.get('/docs', (ctx) => {
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = renderDocs(openApi);
  });

  router.get('/backends', async (ctx) => {
    const list = await backends.list();
    ctx.body = list.map((backend) => toConfigOut(backend.config, backend.provider, null));
  });

  router.get('/:backend/get_config', async (ctx) => {
    const name = ctx.params.backend!;
    const backend = await backends.resolve(name);
    if (!backend) throw unknownBackend(`Unknown back-end ${name}! ${FORMAT_HINT}`);
    ctx.body = toConfigOut(backend.config, backend.provider, urlFor(ctx, backend));
  });

  router.get('/:backend/get_backend_status', async (ctx) => {
    const backend = await backends.resolve(ctx.params.backend!);
    if (!backend) throw unknownBackend(`Unknown back-end! ${FORMAT_HINT}`);
    const { last_heartbeat: _last, ...status } = await backends.status(backend);
    ctx.body = status;
  });

  router.post('/:backend/post_job', async (ctx) => {
    const v3User = version === 'v3' ? await bearerUser(ctx) : undefined;
    const body = await readJsonBody(ctx, deps.limits);
    const problems: FieldProblem[] = [];
    let payload: unknown;
    let token = '';
    if (body === undefined) problems.push(missing('body', 'data'));
    else if (typeof body !== 'object' || body === null || Array.isArray(body)) problems.push(notModel('body', 'data'));
    else if (version === 'v2') {
      const jobText = stringField(body as Record<string, unknown>, 'job', ['body', 'data'], problems);
      token = stringField(body as Record<string, unknown>, 'token', ['body', 'data'], problems);
      payload = jobText;
    } else {
      payload = (body as Record<string, unknown>).payload;
      if (payload === undefined) problems.push(missing('body', 'data', 'payload'));
      else if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) problems.push(notDict('body', 'data', 'payload'));
    }
    assertNoProblems(problems);
    if (version === 'v2') await chargeBodyCredential(ctx, token);
    const user = v3User ?? (await authenticate(token));
    const backend = await backendOr404(ctx.params.backend!);
    if (version === 'v2') {
      try {
        payload = await parseJson(payload as string, deps.limits.maxDepth);
      } catch (error) {
        if (error instanceof NumberTooLargeError) throw invalidJob(`${['job', ...error.path].join('.')}: ${error.problems[0]!.msg}`);
        throw badJobEncoding();
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw badJobEncoding();
    }
    let job;
    try {
      job = await jobs.submit(user, backend, payload);
    } catch (error) {
      if (error instanceof InvalidJobError) throw invalidJob(error.message);
      throw error;
    }
    ctx.state.log.info({ jobId: job.id, backend: backend.name, user: user.username }, 'job submitted');
    ctx.body = { job_id: job.id, status: 'INITIALIZING', detail: 'Got your json.', error_message: 'None' };
  });

  router.get('/:backend/get_job_status', async (ctx) => {
    const { user, backend, jobId } = await jobQuery(ctx);
    ctx.body = toStatusDict(await visibleStatus(user, backend, jobId));
  });

  router.get('/:backend/get_job_result', async (ctx) => {
    const { user, backend, jobId } = await jobQuery(ctx);
    const status = await visibleStatus(user, backend, jobId);
    // qiskit-cold-atom polls get_job_result until `status` is "finished" or "error" (cold_atom_job.py
    // _wait_for_result), so a cancelled job, which never gets a result, says "error" here or its client waits forever.
    if (status.status === 'CANCELLED') throw new StatusDictError(406, 'job_cancelled', { ...toStatusDict(status), status: 'error' });
    if (status.status !== 'DONE') {
      ctx.body = toStatusDict(status);
      return;
    }
    const record = await jobs.job(user, backend, jobId);
    const result = record && (await jobs.result(record));
    if (!result) {
      throw new StatusDictError(406, 'result_missing', errorStatusDict(`The result of ${jobId} is missing.`, 'Could not find the result file.', jobId));
    }
    ctx.body = result;
  });

  return router;
}
