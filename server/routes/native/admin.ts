// /api/v1/admin: what only admins may do: users (disable, role, delete), storage providers (list, test, activate,
// deactivate), spooler heartbeats and requeueing finished jobs. Everyone's jobs are listed, cancelled and deleted
// through /api/v1/jobs, which already lets admins act on every job.
import {
  providerListSchema,
  providerSchema,
  providerTestSchema,
  spoolerListSchema,
  userChangeSchema,
  userPageQuerySchema,
  userPageSchema,
  type UserChange,
  type UserPageQuery,
} from '../../../schemas/admin.ts';
import { userSchema } from '../../../schemas/accounts.ts';
import { ForbiddenError, NotFoundError } from '../../../schemas/errors.ts';
import type { AccountDeletion } from '../../services/account-deletion.ts';
import type { BackendService } from '../../services/backends.ts';
import type { JobService } from '../../services/jobs.ts';
import type { ProviderRegistry, ProviderSummary } from '../../../storage/registry/index.ts';
import { probeProvider, probeVerdict } from '../../../storage/registry/probe.ts';
import type { StorageProvider } from '../../../storage/contract.ts';
import type { UserService } from '../../services/users.ts';
import { jobDocument } from './backends.ts';
import { bodySchema, documented, errorBody, operation, querySchema, type Operation } from './operation.ts';
import { jobDetail, userView } from './views.ts';

export interface AdminDeps {
  users: UserService;
  accountDeletion: AccountDeletion;
  jobs: JobService;
  backends: BackendService;
  providers: ProviderRegistry;
}

const userChange = bodySchema<UserChange>('UserChange', userChangeSchema);
const userPageQuery = querySchema<UserPageQuery>('UserPageQuery', userPageQuerySchema);
const provider = documented('StorageProvider', providerSchema);
const adminOnly = { description: 'The caller is not an admin.', schema: errorBody };
const providerName = { type: 'string', pattern: '^[a-z0-9]+$' } as const;
const unknownProvider = { description: 'No such storage provider.', schema: errorBody };

const usernameParam = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' } as const;
const deletionInProgress = documented('UserDeletion', {
  type: 'object',
  additionalProperties: false,
  required: ['username', 'remaining_jobs'],
  properties: {
    username: { type: 'string' },
    remaining_jobs: { type: 'integer', minimum: 0, description: 'Jobs still running (cancel requested) or being submitted; a later DELETE removes them.' },
  },
});

const providerView = ({ name, type, description, active, primary }: ProviderSummary) => ({ name, type, description, active, primary });

/** The registry's round trip (create, read, compare-and-swap, list, move, delete) on a provider, as a verdict. */
async function testProvider(providers: ProviderRegistry, name: string) {
  await providers.summary(name);
  let storage: StorageProvider;
  try {
    storage = await providers.open(name);
  } catch (error) {
    // A provider that cannot even be opened (unreachable, a login this server cannot decrypt) fails its test.
    return { name, ok: false, latency_ms: 0, message: `cannot open the provider: ${(error as Error).message}` };
  }
  const verdict = probeVerdict(await probeProvider(storage));
  return { name, ok: verdict.passed, latency_ms: verdict.ms, message: verdict.message };
}

export function adminOperations(deps: AdminDeps): Operation[] {
  const { users, accountDeletion, jobs, backends, providers } = deps;

  const toggle = (active: boolean) =>
    operation<undefined, Record<string, never>, 'required'>({
      method: 'post',
      path: `/admin/providers/{name}/${active ? 'activate' : 'deactivate'}`,
      operationId: active ? 'activateProvider' : 'deactivateProvider',
      summary: active ? 'Activate a storage provider' : 'Deactivate a storage provider: its backends are no longer listed',
      tag: 'Admin',
      auth: 'required',
      role: 'admin',
      params: { name: providerName },
      responses: { 200: { description: 'The provider as it is now.', schema: provider }, 403: adminOnly, 404: unknownProvider },
      async handle(ctx, { user, params }) {
        ctx.body = providerView(await providers.setActive(params.name!, active));
        ctx.state.log.info({ provider: params.name, active, by: user.username }, 'storage provider switched');
      },
    });

  return [
    operation<undefined, UserPageQuery, 'required'>({
      method: 'get',
      path: '/admin/users',
      operationId: 'listUsers',
      summary: 'Every user, a page at a time, in name order',
      tag: 'Admin',
      auth: 'required',
      role: 'admin',
      query: userPageQuery,
      responses: { 200: { description: 'One page.', schema: documented('UserPage', userPageSchema) }, 403: adminOnly },
      async handle(ctx, { query }) {
        const limit = query.limit ?? 100;
        const page = await users.listUsers({ limit, ...(query.after ? { after: query.after } : {}) });
        ctx.body = { users: page.map((u) => userView(u, users.maxPriority(u))), next_after: page.length === limit ? page.at(-1)!.username : null };
      },
    }),
    operation<UserChange, Record<string, never>, 'required'>({
      method: 'patch',
      path: '/admin/users/{username}',
      operationId: 'changeUser',
      summary: 'Disable or enable a user, change their role, max_priority or fair-share weight, or vouch for their e-mail address',
      description: 'Admins cannot disable or demote themselves, so a server always keeps the admin who is acting; they may set their own weight.',
      tag: 'Admin',
      auth: 'required',
      role: 'admin',
      params: { username: usernameParam },
      body: userChange,
      responses: {
        200: { description: 'The user as they are now.', schema: documented('User', userSchema) },
        403: { description: 'The caller is not an admin, or tried to disable or demote themselves.', schema: errorBody },
        404: { description: 'No such user.', schema: errorBody },
      },
      async handle(ctx, { user, params, body }) {
        const name = params.username!;
        if (name === user.username && (body.disabled === true || body.role === 'user')) {
          throw new ForbiddenError('You cannot disable or demote yourself', 'self_change');
        }
        if (!(await users.getUser(name))) throw new NotFoundError(`No user ${name}`);
        let changed = body.disabled === undefined ? undefined : await users.setDisabled(name, body.disabled);
        if (body.role !== undefined) changed = await users.setRole(name, body.role);
        if (body.max_priority !== undefined || body.weight !== undefined) {
          changed = await users.setAllowances(name, {
            ...(body.max_priority === undefined ? {} : { maxPriority: body.max_priority }),
            ...(body.weight === undefined ? {} : { weight: body.weight }),
          });
        }
        if (body.email_verified) changed = await users.vouchForEmail(name);
        ctx.state.log.info({ user: name, change: body, by: user.username }, 'user changed by admin');
        ctx.body = userView(changed!, users.maxPriority(changed!));
      },
    }),
    operation<undefined, Record<string, never>, 'required'>({
      method: 'delete',
      path: '/admin/users/{username}',
      operationId: 'deleteUser',
      summary: 'Delete a user and erase everything of theirs: jobs and results, tokens, webhooks, idempotency records, logs',
      description:
        'The account stops authenticating at once and the name cannot be registered until the deletion is done. Queued and finished jobs are removed; ' +
        'a running job is cancelled (its spooler stops it) and removed once it has ended, so the answer is 202 until then; the server then finishes the deletion by itself ' +
        '(a DELETE again finishes it at once, or answers 202 while jobs still run). An interrupted deletion (a crash, a storage outage) is likewise finished by the server, ' +
        'or resumes where it stands on the next DELETE. Without a user record it erases what an ' +
        'account of that name left behind. Admins cannot delete themselves.',
      tag: 'Admin',
      auth: 'required',
      role: 'admin',
      params: { username: usernameParam },
      responses: {
        202: { description: 'In progress: the account is disabled and being erased; jobs remain that are still running or being submitted.', schema: deletionInProgress },
        204: { description: 'Deleted: nothing of the account is left.' },
        403: { description: 'The caller is not an admin, or tried to delete themselves.', schema: errorBody },
        404: { description: 'No such user, and nothing left of one.', schema: errorBody },
      },
      async handle(ctx, { user, params }) {
        const name = params.username!;
        if (name === user.username) throw new ForbiddenError('You cannot delete yourself', 'self_change');
        const outcome = await accountDeletion.delete(name);
        ctx.state.log.info({ user: name, by: user.username, ...outcome }, outcome.done ? 'user deleted by admin' : 'user deletion in progress');
        if (outcome.done) ctx.status = 204;
        else {
          ctx.status = 202;
          ctx.body = { username: name, remaining_jobs: outcome.remaining };
        }
      },
    }),
    operation<undefined, Record<string, never>, 'required'>({
      method: 'get',
      path: '/admin/providers',
      operationId: 'listProviders',
      summary: 'Storage providers',
      tag: 'Admin',
      auth: 'required',
      role: 'admin',
      responses: { 200: { description: 'In name order.', schema: documented('StorageProviderList', providerListSchema) }, 403: adminOnly },
      async handle(ctx) {
        ctx.body = { providers: (await providers.summaries()).map(providerView) };
      },
    }),
    operation<undefined, Record<string, never>, 'required'>({
      method: 'post',
      path: '/admin/providers/{name}/test',
      operationId: 'testProvider',
      summary: 'Create, read, compare-and-swap, list, move and delete a probe document on a storage provider',
      tag: 'Admin',
      auth: 'required',
      role: 'admin',
      params: { name: providerName },
      responses: { 200: { description: 'The outcome (ok false with a message when storage failed).', schema: documented('StorageProviderTest', providerTestSchema) }, 403: adminOnly, 404: unknownProvider },
      async handle(ctx, { params }) {
        ctx.body = await testProvider(providers, params.name!);
      },
    }),
    toggle(true),
    toggle(false),
    operation<undefined, Record<string, never>, 'required'>({
      method: 'get',
      path: '/admin/spoolers',
      operationId: 'listSpoolers',
      summary: 'Every backend\'s spoolers and their last heartbeats (inactive providers included)',
      tag: 'Admin',
      auth: 'required',
      role: 'admin',
      responses: {
        200: {
          description: 'Backends in name order within a provider, the server\'s own first. The backends of a registered provider that cannot be read just now are left out and the provider is named in unreachable_providers.',
          schema: documented('SpoolerList', spoolerListSchema),
        },
        403: adminOnly,
      },
      async handle(ctx) {
        const now = Date.now();
        const listing = await backends.listEach(
          async (backend) => ({
            backend: backend.name,
            operational: (await backends.liveness(backend)).operational,
            spoolers: (await backends.heartbeats(backend)).map((beat) => ({
              id: beat.spooler,
              host: beat.host,
              pid: beat.pid,
              last_heartbeat: beat.at,
              age_seconds: Math.max(0, (now - Date.parse(beat.at)) / 1000),
              current_job: beat.currentJob,
            })),
          }),
          { includeInactive: true },
        );
        ctx.body = { backends: listing.items, unreachable_providers: listing.unreachable };
      },
    }),
    operation<undefined, Record<string, never>, 'required'>({
      method: 'post',
      path: '/admin/jobs/{id}/requeue',
      operationId: 'requeueJob',
      summary: 'Put a finished job (DONE, ERROR or CANCELLED) back in its queue',
      description: 'The job keeps its id (so it runs before later submissions) and its attempt count; its old result is removed.',
      tag: 'Admin',
      auth: 'required',
      role: 'admin',
      params: { id: { type: 'string', pattern: '^[0-9a-f]{24}$' } },
      responses: {
        200: { description: 'Queued again.', schema: jobDocument },
        403: adminOnly,
        404: { description: 'No such job.', schema: errorBody },
        409: { description: 'The job is queued or running, or its stored document was damaged and set aside (job_damaged).', schema: errorBody },
      },
      async handle(ctx, { user, params }) {
        const record = await jobs.byId(user, params.id!);
        if (!record) throw new NotFoundError('No such job');
        const requeued = await jobs.requeue(record);
        ctx.state.log.info({ jobId: record.id, by: user.username }, 'job requeued by admin');
        ctx.body = jobDetail(requeued, await jobs.queuePosition(requeued));
      },
    }),
  ];
}
