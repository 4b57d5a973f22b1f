// Where the local provider keeps each document, and the ordered walk that lists a namespace.
// Keys that start with a job id (millisecond clock first) are sharded by that clock into three directory
// levels of at most 256 entries each, so finding the oldest job reads a few small directories however long
// the queue is (I4). Other keys are plain files in the namespace directory.
// Shard directories emptied by moves are removed lazily, by the next listing that finds them empty (a drained
// window then costs one read, once): removing them on every move cost a spooler 2–6 directory removals and
// re-creations per job (running/ is emptied and refilled by each job), its largest cost in a CPU profile.
import { readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const SHARDED = /^[0-9a-f]{24}/;
const SUFFIX = '.json';

export function namespaceDir(root: string, namespace: string): string {
  return join(root, ...namespace.split('/'));
}

function shardParts(key: string): string[] {
  return [key.slice(0, 8), key.slice(8, 10), key.slice(10, 12)];
}

export function documentPath(root: string, namespace: string, key: string): string {
  const dir = namespaceDir(root, namespace);
  return SHARDED.test(key) ? join(dir, ...shardParts(key), key + SUFFIX) : join(dir, key + SUFFIX);
}

function readNames(dir: string): { files: string[]; dirs: string[] } {
  try {
    const entries = readdirSync(dir, { withFileTypes: true });
    const files: string[] = [];
    const dirs: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory()) dirs.push(entry.name);
      else if (entry.name.endsWith(SUFFIX)) files.push(entry.name.slice(0, -SUFFIX.length));
    }
    files.sort();
    dirs.sort();
    return { files, dirs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { files: [], dirs: [] };
    throw error;
  }
}

function removeEmptyDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty after all, or already gone
  }
}

/** Removes now-empty shard directories below the namespace directory; a concurrent writer simply recreates them. */
export function pruneShards(root: string, namespace: string, key: string): void {
  if (!SHARDED.test(key)) return;
  const parts = shardParts(key);
  const base = namespaceDir(root, namespace);
  for (let depth = parts.length; depth > 0; depth -= 1) {
    try {
      rmdirSync(join(base, ...parts.slice(0, depth)));
    } catch {
      return;
    }
  }
}

/**
 * Sharded keys in ascending order, skipping whole directories that hold only keys <= after. `names` is the
 * directory's listing when the caller already has it (the namespace directory, read once per list).
 */
function* shardedKeys(dir: string, level: number, prefix: string, after: string, names = readNames(dir)): Generator<string> {
  const { files, dirs } = names;
  // A writer that loses its directory to this (it was about to fill it) recreates it and retries.
  if (level > 0 && files.length === 0 && dirs.length === 0) removeEmptyDir(dir);
  if (level === 3) {
    for (const name of files) if (name > after) yield name;
    return;
  }
  for (const name of dirs) {
    const next = prefix + name;
    if (next < after.slice(0, next.length)) continue;
    yield* shardedKeys(join(dir, name), level + 1, next, after);
  }
}

/** Keys of a namespace in ascending order: a merge of the plain files and the sharded tree. */
export function listKeys(root: string, namespace: string, after: string, limit: number): string[] {
  const dir = namespaceDir(root, namespace);
  const names = readNames(dir);
  const plain = names.files.filter((name) => name > after);
  const out: string[] = [];
  let next = 0;
  for (const key of shardedKeys(dir, 0, '', after, names)) {
    while (next < plain.length && plain[next]! < key && out.length < limit) out.push(plain[next++]!);
    if (out.length >= limit) return out;
    out.push(key);
    if (out.length >= limit) return out;
  }
  while (next < plain.length && out.length < limit) out.push(plain[next++]!);
  return out;
}
