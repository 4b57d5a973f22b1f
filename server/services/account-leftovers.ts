// What an account erased by hand (its user record deleted, nothing else) leaves filed under its name that a new
// account of that name would inherit: its jobs (listed, cancellable, deletable by the newcomer), its webhooks (the
// newcomer's job events POSTed to the earlier owner's URLs) and its idempotency records (the earlier account's
// answers replayed). Token listings are not among them: tokens are bound to the account's id (accounts.ts).
import type { StorageProvider } from '../../storage/contract.ts';
import { idempotencyNamespace } from '../../storage/namespaces.ts';
import { ns } from '../../storage/records.ts';
import { webhooksNs } from '../notifications/webhooks.ts';

/** The kinds of data filed under the name, in a fixed order; empty when the name is free of an earlier account's. */
export async function leftoversOf(storage: StorageProvider, username: string): Promise<string[]> {
  const kinds: [string, string][] = [
    ['jobs', ns.ownerIndex(username)],
    ['webhooks', webhooksNs(username)],
    ['idempotency records', idempotencyNamespace(username)],
  ];
  const found = await Promise.all(kinds.map(async ([kind, namespace]) => ((await storage.list(namespace, { limit: 1 })).length > 0 ? [kind] : [])));
  return found.flat();
}
