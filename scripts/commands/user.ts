// `qspool user add|list|set|disable|delete|token`: user administration straight on the server's storage. Tables for people,
// `--json` for scripts, in the API's documents (server/routes/native/views.ts), so a script reads one set of names.
import Table from 'cli-table3';
import { registrationSchema, tokenCreateSchema } from '../../schemas/accounts.ts';
import { ajv } from '../../schemas/validators.ts';
import { configuredSecretKey } from '../../server/auth/server-key.ts';
import { buildServices } from '../../server/index.ts';
import { tokenView, userView } from '../../server/routes/native/views.ts';
import type { User } from '../../server/services/users.ts';
import { UserService } from '../../server/services/users.ts';
import { openRuntime } from '../runtime.ts';
import { assertStoreExists, integerOption, numberOption, noteNewStore, UsageError } from './usage.ts';
import { print, type JsonOption } from './output.ts';

/** `create`: the command may make the store (adding the first user before the server ever ran). */
async function withUsers<T>(action: (users: UserService) => Promise<T>, { create = false } = {}): Promise<T> {
  if (create) noteNewStore();
  else assertStoreExists();
  const runtime = await openRuntime({ LOG_LEVEL: 'warn' });
  const { config } = runtime;
  try {
    return await action(new UserService(runtime.storage, { scryptLogN: config.QSPOOL_SCRYPT_LOG_N, defaultMaxPriority: config.QSPOOL_USER_MAX_PRIORITY }));
  } finally {
    await runtime.storage.close();
  }
}

/** The server's services on its store, for what takes more than users (jobs on every registered provider). */
async function withServices<T>(action: (services: ReturnType<typeof buildServices>) => Promise<T>): Promise<T> {
  assertStoreExists();
  const runtime = await openRuntime({ LOG_LEVEL: 'warn' });
  const services = buildServices(runtime.storage, runtime.config, runtime.logger, await configuredSecretKey(runtime.config));
  try {
    return await action(services);
  } finally {
    await services.providers.close();
    await runtime.storage.close();
  }
}

function table(head: string[], rows: string[][]): string {
  const out = new Table({ head, style: { head: [], border: [] } });
  out.push(...rows);
  return out.toString();
}

/** The API's own check of an address (schemas/accounts.ts): these commands write to storage without passing it. */
const isEmail = ajv.compile<string>(registrationSchema.properties.email);
const isTokenName = ajv.compile<string>(tokenCreateSchema.properties.name);

const userRow = (user: User) => [user.username, user.role, user.email ?? '', user.deleting ? 'deleting' : user.disabled ? 'disabled' : 'active', user.createdAt];

export async function runUserAdd(name: string, options: JsonOption & { admin?: boolean; email?: string }): Promise<void> {
  if (options.email && !isEmail(options.email)) throw new UsageError(`--email: ${JSON.stringify(options.email)} is not an e-mail address`);
  await withUsers(async (users) => {
    const user = await users.createUser(name, { role: options.admin ? 'admin' : 'user', ...(options.email ? { email: options.email } : {}) });
    const token = await users.issueToken(name, 'cli');
    print(options, { ...userView(user, users.maxPriority(user)), token }, () => `Created ${user.role} ${name}\nAPI token: ${token}`);
  }, { create: true });
}

export async function runUserList(options: JsonOption): Promise<void> {
  await withUsers(async (users) => {
    const all: User[] = [];
    for (let page = await users.listUsers({ limit: 1000 }); page.length > 0; ) {
      all.push(...page);
      page = page.length < 1000 ? [] : await users.listUsers({ after: page[page.length - 1]!.username, limit: 1000 });
    }
    print(options, all.map((user) => userView(user, users.maxPriority(user))), () => (all.length === 0 ? 'No users.' : table(['username', 'role', 'email', 'state', 'created'], all.map(userRow))));
  });
}

/** Sets what an admin decides about a user's jobs: the highest priority they may ask for, their fair-share weight. */
export async function runUserSet(name: string, options: JsonOption & { maxPriority?: string; weight?: string }): Promise<void> {
  if (options.maxPriority === undefined && options.weight === undefined) throw new UsageError('Nothing to set: give --max-priority and/or --weight');
  const maxPriority = options.maxPriority === undefined ? undefined : integerOption('--max-priority', options.maxPriority, 0, 9);
  const weight = options.weight === undefined ? undefined : numberOption('--weight', options.weight, 0.01, 100);
  await withUsers(async (users) => {
    const user = await users.setAllowances(name, { ...(maxPriority === undefined ? {} : { maxPriority }), ...(weight === undefined ? {} : { weight }) });
    print(options, userView(user, users.maxPriority(user)), () => `${name}: max priority ${users.maxPriority(user)}, fair-share weight ${user.weight ?? 1}`);
  });
}

export async function runUserDisable(name: string, options: JsonOption & { enable?: boolean }): Promise<void> {
  await withUsers(async (users) => {
    const user = await users.setDisabled(name, !options.enable);
    print(options, userView(user, users.maxPriority(user)), () => `${name} is now ${user.disabled ? 'disabled: every request with its credentials answers 401' : 'active'}`);
  });
}

/** Erases a user and everything of theirs (server/services/account-deletion.ts); a running server finishes what jobs still running hold up. */
export async function runUserDelete(name: string, options: JsonOption): Promise<void> {
  await withServices(async ({ accountDeletion }) => {
    const outcome = await accountDeletion.delete(name);
    print(options, { username: name, done: outcome.done, remaining_jobs: outcome.remaining }, () =>
      outcome.done
        ? `Deleted ${name}: the account and all its jobs, results, tokens, webhooks and records are gone`
        : `${name} is disabled and being deleted: ${outcome.remaining} job(s) still running (cancel requested) or being submitted; a running qspool server finishes the deletion once they have stopped (or run this again then)`,
    );
  });
}

export async function runUserToken(name: string, options: JsonOption & { label?: string; list?: boolean; revoke?: string }): Promise<void> {
  // An empty --revoke "" used to fall through to issuing a new token: the opposite of what was asked.
  if (options.list && options.revoke !== undefined) throw new UsageError('--list and --revoke exclude each other');
  if (options.label !== undefined && (options.list || options.revoke !== undefined)) throw new UsageError('--label names a new token: not with --list or --revoke');
  if (options.label !== undefined && !isTokenName(options.label)) {
    throw new UsageError(`--label: ${JSON.stringify(options.label)} is not a token name: 1–64 letters, digits, spaces and _.:-, starting with a letter or digit`);
  }
  await withUsers(async (users) => {
    const user = await users.getUser(name);
    if (!user) throw new Error(`No user ${name}`);
    if (options.revoke !== undefined) {
      const revoked = await users.tokens.revoke(user, options.revoke);
      print(options, tokenView(revoked), () => `Revoked token ${revoked.id} (${revoked.name}) of ${name}`);
    } else if (options.list) {
      const listings = (await users.tokens.list(user)).map(tokenView);
      const rows = listings.map((t) => [t.id, t.name, t.created_at, t.revoked_at ?? '']);
      print(options, listings, () => (rows.length === 0 ? `${name} has no API tokens.` : table(['id', 'name', 'created', 'revoked'], rows)));
    } else {
      const { token, listing } = await users.newToken(name, options.label ?? 'cli');
      print(options, { ...tokenView(listing), token }, () => `API token for ${name} (${listing.name}, id ${listing.id}): ${token}`);
    }
  });
}
