// `qspool storage backup <file>` and `qspool storage restore <file>`: the local store in QSPOOL_DATA_DIR copied while
// servers and spoolers run, and a copy installed in its place while none does (storage/local/backup.ts, restore.ts).
// Neither touches the secret key: a backup that carried the key to its own sealed secrets would unseal them for
// anyone who reads it.
import { loadConfig } from '../../config/index.ts';
import { ConflictError, QspoolError } from '../../schemas/errors.ts';
import { SEALED_KINDS } from '../../server/auth/sealed-secrets.ts';
import { existingSecretKeys, keyDir } from '../../server/auth/server-key.ts';
import { primaryStore } from '../../server/services/primary-store.ts';
import { backupStore } from '../../storage/local/backup.ts';
import { restoreStore } from '../../storage/local/restore.ts';
import type { StoreSummary } from '../../storage/local/store-summary.ts';
import { keyCensus } from '../../storage/registry/reseal.ts';
import { keyId } from '../../storage/registry/secrets.ts';
import { openRuntime } from '../runtime.ts';
import { print, type JsonOption } from './output.ts';

const SHARED_STORE_TOOLS: Record<string, string> = {
  s3: 'the bucket\'s versioning or replication, or a copy of the bucket (aws s3 sync, rclone)',
  mongodb: 'mongodump and mongorestore',
};

/** The data directory of the local store; a shared primary store (QSPOOL_STORE_FILE) is refused with its own tools. */
function localDataDir(verb: string): string {
  const config = loadConfig(process.env);
  const { type } = primaryStore(config);
  if (type !== 'local') {
    throw new ConflictError(
      `qspool storage ${verb} works on the local store; the primary store here is ${type} (QSPOOL_STORE_FILE): use ${SHARED_STORE_TOOLS[type] ?? 'the provider\'s own backup tools'}, or copy it onto another provider with qspool storage migrate`,
      'store_not_local',
    );
  }
  return config.QSPOOL_DATA_DIR;
}

/** The secret key's one-line reminder: on standard output for people, on standard error beside --json. */
function remind(dataDir: string, options: JsonOption): void {
  const key = loadConfig(process.env).QSPOOL_SECRET_KEY ? 'QSPOOL_SECRET_KEY' : `${keyDir(dataDir)}/secret-key`;
  const line = `The secret key (${key}) is not in the backup: keep it apart; sealed secrets (provider logins, the JWT key, webhook secrets) open only with it.\n`;
  (options.json ? process.stderr : process.stdout).write(line);
}

function describe(summary: StoreSummary): string {
  const states = Object.entries(summary.jobs);
  const total = states.reduce((sum, [, count]) => sum + count, 0);
  const jobs = `${total} job${total === 1 ? '' : 's'}${states.length ? ` (${states.map(([state, count]) => `${count} ${state}`).join(', ')})` : ''}`;
  const event = summary.newestEvent ? `newest event ${summary.newestEvent.key}${summary.newestEvent.at ? ` at ${summary.newestEvent.at}` : ''}` : 'no events';
  return `${jobs}, ${event}`;
}

const mebibytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export async function runStorageBackup(file: string, options: JsonOption & { force?: boolean }) {
  const dataDir = localDataDir('backup');
  const outcome = backupStore(dataDir, file, { force: options.force === true });
  print(options, outcome, () => `Backed up the store in ${dataDir} to ${outcome.file}: ${mebibytes(outcome.bytes)}, ${describe(outcome)}`);
  remind(dataDir, options);
}

interface KeysNeeded {
  /** Key ids the restored store's secrets are sealed with that none of the data directory's keys has. */
  missing: string[];
  /** The data directory's current key id; null when it has no key yet. */
  current: string | null;
}

/**
 * Which keys the restored store's secrets need that the data directory lacks: found now, rather than by a server that
 * refuses to start (the JWT key) or answers 503 secret_unreadable. Reads the keys only: none is made here.
 */
async function keysNeeded(): Promise<KeysNeeded> {
  const runtime = await openRuntime({ LOG_LEVEL: 'warn' });
  try {
    const keys = await existingSecretKeys(runtime.config);
    const census = await keyCensus(runtime.storage, SEALED_KINDS, keys);
    return { missing: census.filter((row) => row.role === 'unknown' && row.documents > 0).map((row) => row.kid!), current: keys ? keyId(keys.current) : null };
  } finally {
    await runtime.storage.close();
  }
}

function missingKeysLine({ missing, current }: KeysNeeded, dataDir: string): string[] {
  if (missing.length === 0) return [];
  const here = current ? `this data directory's key (key id ${current}) opens none of them` : 'this data directory has no key yet';
  return [`Its secrets are sealed with key id ${missing.join(', ')}, and ${here}: install the key the backup was taken with as ${keyDir(dataDir)}/secret-key (or QSPOOL_SECRET_KEY) before starting a server.`];
}

export async function runStorageRestore(file: string, options: JsonOption & { force?: boolean }) {
  const dataDir = localDataDir('restore');
  const outcome = restoreStore(dataDir, file, { force: options.force === true });
  // The restore is done: a key that cannot be read (a key file others can read) is said beside it, not instead of it.
  const keys = await keysNeeded().catch((error: unknown) => {
    if (!(error instanceof QspoolError)) throw error;
    process.stderr.write(`The secret keys were not checked: ${error.message}\n`);
    return { missing: [], current: null };
  });
  print(options, { ...outcome, missing_key_ids: keys.missing }, () =>
    [
      `Restored ${file} as the store in ${dataDir}: ${describe(outcome)}`,
      ...(outcome.previous.length ? [`The store it replaced is at ${outcome.previous.join(', ')}`] : []),
      'Jobs acknowledged after the backup was taken are gone; jobs RUNNING in it run again once their lease expires.',
      ...missingKeysLine(keys, dataDir),
    ].join('\n'),
  );
  remind(dataDir, options);
}
