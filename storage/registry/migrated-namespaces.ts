// Which namespaces a migration copies. Everything a server or spooler needs to go on as before must be here: a
// namespace left out is not an error anywhere, just state that silently disappears on the new store (a queued job
// without its schedule entry is never claimed, a user's webhooks and idempotency records vanish, every outbox event
// is notified again from a dispatch cursor of zero). What is left out on purpose is listed with its reason.
//   heartbeats/<backend>   spoolers are stopped for a migration; their signs of life on the old store mean nothing
//   limits/rate/*          per-minute request counters, worthless a minute later
//   migrations             a migration's own cursor, kept on the target
import type { StorageProvider } from '../contract.ts';
import { deferredNs } from '../deferral.ts';
import {
  CONFIG_SIGNATURES,
  DELETIONS_NS,
  DISPATCH_NS,
  ENDED_SESSIONS_NS,
  idempotencyNamespace,
  logNamespace,
  PENDING_NS,
  QUOTA_NAMESPACE,
  retiredNamespace,
} from '../namespaces.ts';
import { ns } from '../records.ts';
import { MAX_PRIORITY, scheduleNs } from '../schedule.ts';

const PAGE = 1000;

/**
 * Namespaces that exist once per store. `server` holds the JWT secret, `providers` the registry's logins,
 * `ended-sessions` the access tokens logged out of (left behind, they would work again on the copy).
 */
const STATIC = [
  ns.configs,
  ns.keys,
  CONFIG_SIGNATURES,
  'users',
  'tokens',
  ENDED_SESSIONS_NS,
  DELETIONS_NS,
  ns.events,
  ns.jobIndex,
  'server',
  'providers',
  'provider-state',
  QUOTA_NAMESPACE,
  'limits/password/addresses',
  'limits/password/usernames',
  DISPATCH_NS,
  PENDING_NS,
];

function perBackend(backend: string): string[] {
  const bands = Array.from({ length: MAX_PRIORITY + 1 }, (_, band) => scheduleNs.users(backend, band));
  return [
    ns.queued(backend),
    ns.running(backend),
    ns.finished(backend),
    ns.deleted(backend),
    ns.dead(backend),
    ns.damaged(backend),
    ns.status(backend),
    ns.results(backend),
    scheduleNs.entries(backend),
    scheduleNs.clocks(backend),
    deferredNs(backend),
    ...bands,
  ];
}

/** One page at a time, so a namespace of millions of keys is never held whole. */
export async function* keysOf(storage: StorageProvider, namespace: string, page = PAGE): AsyncGenerator<string[]> {
  for (let after: string | undefined; ; ) {
    const keys = await storage.list(namespace, { limit: page, ...(after ? { after } : {}) });
    if (keys.length > 0) yield keys;
    if (keys.length < page) return;
    after = keys[keys.length - 1];
  }
}

/** Every key of a namespace, one at a time, listed a page at a time. */
export async function* eachKey(storage: StorageProvider, namespace: string): AsyncGenerator<string> {
  for await (const keys of keysOf(storage, namespace)) yield* keys;
}

async function collect(storage: StorageProvider, namespace: string): Promise<string[]> {
  const all: string[] = [];
  for await (const keys of keysOf(storage, namespace)) all.push(...keys);
  return all;
}

/**
 * One user's namespaces: their job index, token listings, idempotency records, webhooks, mail log, retired webhooks
 * and each webhook's delivery log (a deleted webhook's log stays until the sweep has emptied it, found through its
 * retirement marker). Account deletion empties exactly these, so a namespace added here is erased with the account.
 */
export async function namespacesOfUser(storage: StorageProvider, user: string): Promise<string[]> {
  const hooks = await collect(storage, `webhooks/${user}`);
  const retired = await collect(storage, retiredNamespace(user));
  return [
    ns.ownerIndex(user),
    `user-tokens/${user}`,
    idempotencyNamespace(user),
    `webhooks/${user}`,
    logNamespace({ kind: 'mail', name: user }),
    retiredNamespace(user),
    ...[...new Set([...hooks, ...retired])].map((hook) => logNamespace({ kind: 'hook', name: hook })),
  ];
}

/**
 * Every namespace holding durable documents: fixed ones, then each published backend's, each user's and each
 * webhook's. Backends and users are few (one key each); jobs are never listed here.
 */
export async function namespacesOf(storage: StorageProvider): Promise<string[]> {
  const backends = await collect(storage, ns.configs);
  const perUser: string[] = [];
  for (const user of await collect(storage, 'users')) perUser.push(...(await namespacesOfUser(storage, user)));
  return [...STATIC, ...backends.flatMap(perBackend), ...perUser];
}
