// What a data directory holds, to show that a run of refused requests changed nothing.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { STORE_FILE } from '../../storage/local/store-file.ts';

const digest = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * Every stored document with a hash of its version and value, and every other file under the data directory with a
 * hash of its content. The store's own files are compared by their documents: a checkpoint rewrites their bytes.
 */
export async function snapshot(root: string): Promise<Map<string, string>> {
  const state = new Map<string, string>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith(STORE_FILE)) continue;
    const path = join(entry.parentPath, entry.name);
    state.set(relative(root, path), digest(await readFile(path)));
  }
  const db = new Database(join(root, STORE_FILE), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT namespace, key, version, value FROM documents ORDER BY namespace, key').all() as Record<string, string>[];
    for (const row of rows) {
      // The notification dispatcher renews its lease and moves its cursor on its own clock (server/notifications).
      if (row.namespace!.startsWith('notify/dispatch')) continue;
      state.set(`${row.namespace}/${row.key}`, digest(`${row.version}\u0000${row.value}`));
    }
  } finally {
    db.close();
  }
  return state;
}
