// A migration copies onto an empty store only. Copies are overwrites, so onto a store already in use they would mix
// two deployments: a job finished on the target but still queued in the source would be queued there again beside
// its finished self and run twice, a token revoked there would come back. That includes re-running a migration
// that completed, once a server has started on its target. A migration interrupted part way leaves its cursor on
// the target and is resumed instead, which is what makes re-running it safe.
import { ConflictError } from '../../schemas/errors.ts';
import type { StorageProvider } from '../contract.ts';
import { namespacesOf } from './migrated-namespaces.ts';

/** Refuses a target holding any document a migration would write, or that one of its own namespaces names. */
export async function assertEmptyTarget(to: StorageProvider, copied: string[], name = 'the target'): Promise<void> {
  const namespaces = new Set([...copied, ...(await namespacesOf(to))]);
  for (const namespace of namespaces) {
    const [key] = await to.list(namespace, { limit: 1 });
    if (key !== undefined) {
      throw new ConflictError(
        `${name} is not empty (${namespace}/${key}): a migration only copies onto an empty store, or resumes one interrupted there; empty it or choose another`,
        'target_not_empty',
      );
    }
  }
}
