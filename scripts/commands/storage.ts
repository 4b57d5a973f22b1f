// `qspool storage add|list|show|test|activate|deactivate|remove|migrate`: the registry of storage providers.
// Tables for people, --json for scripts; logins are shown with their secrets replaced by "***".
import Table from 'cli-table3';
import { SingleBar } from 'cli-progress';
import { readFileSync, statSync } from 'node:fs';
import { InvalidKeyError, NotFoundError } from '../../schemas/errors.ts';
import { USERS_NS } from '../../server/services/users.ts';
import { refuseIfOpenSync } from '../../storage/private-files.ts';
import { importQlued } from '../../storage/sqooler/import.ts';
import { migrate } from '../../storage/registry/migrate.ts';
import { probeProvider, probeVerdict } from '../../storage/registry/probe.ts';
import type { ProviderSummary } from '../../storage/registry/index.ts';
import { openRegistry } from '../runtime.ts';
import { assertStoreExists, noteNewStore, UsageError } from './usage.ts';
import { print, type JsonOption } from './output.ts';

function providerTable(providers: ProviderSummary[]): string {
  const table = new Table({ head: ['name', 'type', 'layout', 'active', 'owner', 'description'], style: { head: [], border: [] } });
  for (const p of providers) table.push([p.primary ? `${p.name} (primary)` : p.name, p.type, p.layout, p.active ? 'yes' : 'no', p.owner, p.description]);
  return table.toString();
}

/** `create`: the command may make the store (registering a provider before the server ever ran). */
async function withRegistry<T>(action: (registry: Awaited<ReturnType<typeof openRegistry>>['registry']) => Promise<T>, { create = false } = {}): Promise<T> {
  if (create) noteNewStore();
  else assertStoreExists();
  const { registry, close } = await openRegistry();
  try {
    return await action(registry);
  } finally {
    await close();
  }
}

/**
 * The login as given: JSON text, `-` for standard input, or `@file`. A login on the command line holds its secrets
 * where every user of the host can read them (the process list, shell history); a file or a pipe keeps them out. A
 * file group or others can read is refused, as the store file and key files are.
 */
function readLogin(value: string): string {
  if (value === '-') return readFileSync(0, 'utf8');
  if (!value.startsWith('@')) return value;
  const file = value.slice(1);
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) throw new UsageError(`--login ${value}: ${file} is not a file`);
  refuseIfOpenSync(file, '600');
  return readFileSync(file, 'utf8');
}

function parseLogin(value: string): unknown {
  try {
    return JSON.parse(readLogin(value));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new InvalidKeyError('--login must be a JSON object (or - for standard input, or @file), e.g. \'{"base_path": "/srv/lab1"}\'');
  }
}

export async function storageAdd(options: JsonOption & { name: string; type: string; login: string; owner?: string; description?: string; inactive?: boolean; layout?: string }) {
  const login = parseLogin(options.login);
  const info = await withRegistry((registry) =>
    registry.add({
      name: options.name,
      type: options.type,
      login,
      active: !options.inactive,
      ...(options.owner ? { owner: options.owner } : {}),
      ...(options.description ? { description: options.description } : {}),
      ...(options.layout ? { layout: options.layout } : {}),
    }),
    { create: true },
  );
  print(options, info, () => `Added storage provider ${info.name} (${info.type}, ${info.layout} layout, ${info.active ? 'active' : 'inactive'})`);
}

/** `--map-user qluedname=qspooluser`, repeatable: qlued usernames to qspool users. */
function parseUserMap(pairs: string[]): Record<string, string> {
  const users: Record<string, string> = {};
  for (const pair of pairs) {
    const [qlued, qspool, ...rest] = pair.split('=');
    if (!qlued || !qspool || rest.length > 0) throw new InvalidKeyError(`--map-user takes qluedname=qspooluser, not ${JSON.stringify(pair)}`);
    users[qlued] = qspool;
  }
  return users;
}

/**
 * `import-qlued`: a qlued deployment's provider, its login dict unchanged, its jobs given to the qspool users their
 * qlued users map to (`--map-user`, else the namesake), the rest to `--jobs-owner`.
 */
export async function storageImportQlued(options: JsonOption & { name: string; type: string; login: string; jobsOwner?: string; mapUser?: string[]; description?: string }) {
  const login = parseLogin(options.login);
  const users = parseUserMap(options.mapUser ?? []);
  const report = await withRegistry(async (registry) => {
    const primary = await registry.open(registry.primaryName);
    const isUser = async (name: string) => (await primary.get(USERS_NS, name)) !== undefined;
    for (const name of [...(options.jobsOwner ? [options.jobsOwner] : []), ...Object.values(users)]) {
      if (!(await isUser(name))) throw new NotFoundError(`No user named ${name}; create it first (qspool user add)`);
    }
    return importQlued(registry, {
      provider: { name: options.name, type: options.type, login, ...(options.jobsOwner ? { owner: options.jobsOwner } : {}), ...(options.description ? { description: options.description } : {}) },
      ...(options.jobsOwner ? { owner: options.jobsOwner } : {}),
      users,
      isUser,
    });
  });
  const unowned = Object.entries(report.unowned).map(([user, count]) => `${count} of ${user || 'no recorded user'}`);
  print(options, report, () =>
    `Imported ${report.provider} (sqooler layout): backends ${report.backends.join(', ') || 'none yet'}; ${report.indexed} jobs indexed${report.known ? `, ${report.known} already known` : ''}${unowned.length ? `; left out (no qspool user; use --map-user or --jobs-owner): ${unowned.join(', ')}` : ''}${report.unindexable.length ? `; left out (a username with @ or +, which no key may hold): ${report.unindexable.join(', ')}` : ''}`,
  );
}

export async function storageList(options: JsonOption) {
  const providers = await withRegistry((registry) => registry.list());
  print(options, providers, () => providerTable(providers));
}

export async function storageShow(name: string, options: JsonOption) {
  const info = await withRegistry((registry) => registry.show(name));
  print(options, info, () => `${providerTable([info])}\nlogin: ${JSON.stringify(info.login)}`);
}

export async function storageSetActive(name: string, active: boolean, options: JsonOption) {
  const info = await withRegistry((registry) => registry.setActive(name, active));
  print(options, info, () => `${info.name} is now ${info.active ? 'active' : 'inactive'}`);
}

export async function storageRemove(name: string, options: JsonOption) {
  await withRegistry((registry) => registry.remove(name));
  print(options, { removed: name }, () => `Removed storage provider ${name}`);
}

export async function storageTest(name: string, options: JsonOption) {
  const steps = await withRegistry(async (registry) => probeProvider(await registry.open(name)));
  const { passed } = probeVerdict(steps);
  print(options, { name, passed, steps }, () => {
    const table = new Table({ head: ['step', 'ok', 'ms', 'error'], style: { head: [], border: [] } });
    for (const s of steps) table.push([s.step, s.ok ? 'yes' : 'NO', s.ms, s.error ?? '']);
    return `${table.toString()}\n${passed ? `${name}: credentials and permissions work` : `${name}: FAILED`}`;
  });
  if (!passed) process.exitCode = 1;
}

export async function storageMigrate(options: JsonOption & { from: string; to: string }) {
  // Copying a provider onto itself rewrote every document in place, giving each a new version under any process
  // that holds one (a spooler's lease, a compare-and-swap in flight), and reported it as a migration.
  if (options.from === options.to) throw new UsageError(`--from and --to both name ${options.from}: a provider cannot be migrated onto itself`);
  const result = await withRegistry(async (registry) => {
    const [from, to] = await Promise.all([registry.open(options.from), registry.open(options.to)]);
    const bar = !options.json && process.stderr.isTTY ? new SingleBar({ format: '{bar} {value}/{total} documents  {namespace}' }) : undefined;
    let started = false;
    // Stopped on failure too, so the error is printed on a line of its own rather than after the bar.
    const outcome = await migrate(from, to, `${options.from}-to-${options.to}`, ({ namespace, copied, total }) => {
      if (bar && !started) bar.start(total, copied, { namespace });
      started = true;
      bar?.update(copied, { namespace });
    }, options.to).finally(() => bar?.stop());
    return outcome;
  });
  print(options, { from: options.from, to: options.to, ...result }, () =>
    `Copied ${result.copied} documents from ${options.from} to ${options.to}${result.resumed ? ' (resumed)' : ''}`,
  );
}
