// Copies every document of one provider to another, namespace by namespace in key order, recording a cursor in
// the target after each page so an interrupted migration resumes where it stopped. Copies are plain overwrites,
// so repeating a page is harmless; a target already holding documents is refused (empty-target.ts). Which namespaces are copied: migrated-namespaces.ts.
import type { StorageProvider } from '../contract.ts';
import { assertEmptyTarget } from './empty-target.ts';
import { PROVIDERS_NS } from './index.ts';
import { keysOf, namespacesOf } from './migrated-namespaces.ts';
import { MigrationInterruptedError } from './migration-error.ts';

export { namespacesOf } from './migrated-namespaces.ts';

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

/** Counted a page at a time: only the number is kept, never the keys of a whole store. */
async function countOf(storage: StorageProvider, namespaces: string[]): Promise<number> {
  let total = 0;
  for (const namespace of namespaces) for await (const keys of keysOf(storage, namespace)) total += keys.length;
  return total;
}

export async function migrate(
  from: StorageProvider,
  to: StorageProvider,
  migrationId: string,
  onProgress: (progress: MigrationProgress) => void = () => undefined,
  targetName?: string,
): Promise<{ copied: number; resumed: boolean }> {
  const cursorNs = 'migrations';
  const saved = (await to.get<Cursor>(cursorNs, migrationId))?.value;
  const namespaces = await namespacesOf(from);
  if (!saved) {
    await assertEmptyTarget(to, namespaces, targetName);
    // Before the first copy: a run that fails on its first document leaves the target not empty, and the cursor is
    // what lets the next run resume there rather than be refused.
    await to.put(cursorNs, migrationId, { namespace: namespaces[0]!, after: null, copied: 0 } satisfies Cursor);
  }
  const total = await countOf(from, namespaces);
  let copied = saved?.copied ?? 0;
  const start = saved ? Math.max(0, namespaces.indexOf(saved.namespace)) : 0;
  let current = namespaces[start] ?? '';
  try {
    for (let index = start; index < namespaces.length; index += 1) {
      const namespace = namespaces[index]!;
      current = namespace;
      let after = index === start && saved?.after ? saved.after : undefined;
      for (;;) {
        const keys = await from.list(namespace, { limit: PAGE, ...(after ? { after } : {}) });
        for (const key of keys) {
          // The target's own entry in the registry: on the copy it would name the store it is in, so a server started
          // there would open its primary a second time as a lab and list every backend twice.
          if (namespace === PROVIDERS_NS && key === targetName) continue;
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
  } catch (error) {
    throw new MigrationInterruptedError(current, copied, total, error);
  }
  await to.delete(cursorNs, migrationId);
  return { copied, resumed: saved !== undefined };
}
