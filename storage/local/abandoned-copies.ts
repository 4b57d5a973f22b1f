// Copies of a whole store that a backup or a restore killed mid-way (Ctrl-C, the OOM killer, a power cut) left under
// their temporary names: each as large as the store, and holding its data. The next run removes those nobody has
// written for an hour; a copy under way writes to its file all along, and one removed under a run that stalled that
// long only makes that run fail (its final link finds no file), never a backup or store half written.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** How long a temporary copy goes unwritten before a later run takes it for one a killed run left behind. */
export const ABANDONED_COPY_MS = 60 * 60 * 1000;

/** The temporary name's random part, as both make it: 12 hex characters. */
export const COPY_TAG = /^[0-9a-f]{12}$/;

/** Removes the files in `dir` that `isCopy` names (by file name) and that have gone unwritten for ABANDONED_COPY_MS. */
export function removeAbandonedCopies(dir: string, isCopy: (name: string) => boolean): void {
  for (const name of readdirSync(dir)) {
    if (!isCopy(name)) continue;
    const path = join(dir, name);
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats?.isFile() && Date.now() - stats.mtimeMs > ABANDONED_COPY_MS) rmSync(path, { force: true });
  }
}
