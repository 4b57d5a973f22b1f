// Copies every document of one provider to another, namespace by namespace in key order, recording a cursor in
// the target after each page so an interrupted migration resumes where it stopped. Copies are plain overwrites,
// so repeating a page is harmless.
import type { StorageProvider } from '../contract.ts';
import { ns } from '../records.ts';

export interface MigrationProgress {
  namespace: string;
  copied: number;
  total: number;
}

interface Cursor {
  namespace: string;
  after: string | null;
  copied: number;
}

const PAGE = 500;
const STATIC_NAMESPACES = [ns.configs, ns.keys, 'users', 'tokens', 'events', 'index/jobs'];
const PER_BACKEND = [ns.queued, ns.running, ns.finished, ns.deleted, ns.dead, ns.status, ns.results];

async function allKeys(storage: StorageProvider, namespace: string): Promise<string[]> {
  const keys: string[] = [];
  for (let after: string | undefined; ; ) {
    const page = await storage.list(namespace, { limit: 1000, ...(after ? { after } : {}) });
    keys.push(...page);
    if (page.length < 1000) return keys;
    after = page[page.length - 1];
  }
}

/** Every namespace holding durable documents: fixed ones, then each published backend's and each user's. */
export async function namespacesOf(storage: StorageProvider): Promise<string[]> {
  const backends = await allKeys(storage, ns.configs);
  const users = await allKeys(storage, 'users');
  return [
    ...STATIC_NAMESPACES,
    ...backends.flatMap((backend) => PER_BACKEND.map((namespace) => namespace(backend))),
    ...users.map((user) => `index/owner/${user}`),
  ];
}

export async function migrate(
  from: StorageProvider,
  to: StorageProvider,
  migrationId: string,
  onProgress: (progress: MigrationProgress) => void = () => undefined,
): Promise<{ copied: number; resumed: boolean }> {
  const cursorNs = 'migrations';
  const saved = (await to.get<Cursor>(cursorNs, migrationId))?.value;
  const namespaces = await namespacesOf(from);
  const totals = await Promise.all(namespaces.map(async (namespace) => (await allKeys(from, namespace)).length));
  const total = totals.reduce((a, b) => a + b, 0);
  let copied = saved?.copied ?? 0;
  const start = saved ? Math.max(0, namespaces.indexOf(saved.namespace)) : 0;
  for (let index = start; index < namespaces.length; index += 1) {
    const namespace = namespaces[index]!;
    let after = index === start && saved?.after ? saved.after : undefined;
    for (;;) {
      const keys = await from.list(namespace, { limit: PAGE, ...(after ? { after } : {}) });
      for (const key of keys) {
        const document = await from.get(namespace, key);
        if (document) await to.put(namespace, key, document.value);
      }
      copied += keys.length;
      if (keys.length > 0) {
        after = keys[keys.length - 1];
        await to.put(cursorNs, migrationId, { namespace, after: after ?? null, copied } satisfies Cursor);
      }
      onProgress({ namespace, copied, total });
      if (keys.length < PAGE) break;
    }
  }
  await to.delete(cursorNs, migrationId);
  return { copied, resumed: saved !== undefined };
}
