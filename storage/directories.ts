// Creating a directory with its missing parents. Node's `mkdir(path, { recursive: true })` never returns where mkdir(2)
// answers ENOENT although the parent exists (under /proc and /sys): it makes the parent again, which exists, and
// retries forever, spinning the main thread (sync) or a thread-pool thread (async). A data directory, key file or
// sqooler base path set to such a place then hung `qspool start`, or a server testing a provider. Here parents are
// made one at a time and each mkdir is tried at most twice, so such a path fails with its error.
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

type Next = 'done' | 'make-parent';

/** What to do after mkdir of `path` failed with `error`, the first time (`retried` false) or after its parent was made. */
function afterFailure(path: string, error: unknown, retried: boolean, isDirectory: () => boolean): Next {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' && isDirectory()) return 'done';
  if (code === 'ENOENT' && !retried && dirname(path) !== path) return 'make-parent';
  throw error;
}

const isDirectorySync = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;

async function isDirectoryAsync(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

export function makeDirectorySync(path: string, mode = 0o777): void {
  for (let retried = false; ; retried = true) {
    try {
      mkdirSync(path, { mode });
      return;
    } catch (error) {
      if (afterFailure(path, error, retried, () => isDirectorySync(path)) === 'done') return;
      makeDirectorySync(dirname(path), mode);
    }
  }
}

export async function makeDirectory(path: string, mode = 0o777): Promise<void> {
  for (let retried = false; ; retried = true) {
    try {
      await mkdir(path, { mode });
      return;
    } catch (error) {
      const directory = await isDirectoryAsync(path);
      if (afterFailure(path, error, retried, () => directory) === 'done') return;
      await makeDirectory(dirname(path), mode);
    }
  }
}
