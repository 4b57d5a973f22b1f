// What is still stored under a username after its account was deleted: every per-user namespace that is not empty,
// the user record, and the documents kept by name elsewhere (the deletion's marker, queue quota count, fair-share
// clocks on each backend).
import { USERS_NS } from '../../server/services/users.ts';
import type { StorageProvider } from '../../storage/contract.ts';
import { DELETIONS_NS, QUOTA_NAMESPACE } from '../../storage/namespaces.ts';
import { namespacesOfUser } from '../../storage/registry/migrated-namespaces.ts';
import { MAX_PRIORITY, scheduleNs } from '../../storage/schedule.ts';

export async function accountTraces(storage: StorageProvider, name: string, backends: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const namespace of await namespacesOfUser(storage, name)) {
    if ((await storage.list(namespace, { limit: 1 })).length > 0) found.push(namespace);
  }
  if (await storage.get(USERS_NS, name)) found.push(USERS_NS);
  if (await storage.get(DELETIONS_NS, name)) found.push(DELETIONS_NS);
  if (await storage.get(QUOTA_NAMESPACE, name)) found.push(QUOTA_NAMESPACE);
  for (const backend of backends) {
    for (let band = 0; band <= MAX_PRIORITY; band += 1) {
      if (await storage.get(scheduleNs.users(backend, band), name)) found.push(scheduleNs.users(backend, band));
    }
  }
  return found;
}
