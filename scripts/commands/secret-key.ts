// `qspool secret-key status|rotate|reseal|forget-previous`: rotating the key that seals secrets at rest (README,
// Rotating the secret key). Tables for people, --json for scripts.
import Table from 'cli-table3';
import { loadConfig } from '../../config/index.ts';
import { ConflictError } from '../../schemas/errors.ts';
import { forgetPreviousKeyFile, rotateKeyFile } from '../../server/auth/key-rotation.ts';
import { SEALED_KINDS } from '../../server/auth/sealed-secrets.ts';
import { existingSecretKeys, keyFile } from '../../server/auth/server-key.ts';
import type { Config } from '../../config/index.ts';
import { keyCensus, resealAll, type KeyCensus, type UnreadableSecret } from '../../storage/registry/reseal.ts';
import type { SecretKeys } from '../../storage/registry/secrets.ts';
import { openRuntime, type Runtime } from '../runtime.ts';
import { assertStoreExists } from './usage.ts';
import { print, type JsonOption } from './output.ts';

async function withStore<T>(action: (runtime: Runtime) => Promise<T>): Promise<T> {
  assertStoreExists();
  const runtime = await openRuntime({ LOG_LEVEL: 'warn' });
  try {
    return await action(runtime);
  } finally {
    await runtime.storage.close();
  }
}

const documents = (count: number) => `${count} document${count === 1 ? '' : 's'}`;

/** Documents that still need a key other than the current one to open (or hold their secret in plain text). */
const stale = (census: KeyCensus[]) => census.filter((row) => row.role !== 'current' && row.role !== 'unknown').reduce((sum, row) => sum + row.documents, 0);

function censusTable(census: KeyCensus[]): string {
  const table = new Table({ head: ['key id', 'role', 'documents', 'kinds'], style: { head: [], border: [] } });
  for (const row of census) {
    const kinds = Object.entries(row.kinds).map(([kind, count]) => `${kind} ${count}`).join(', ');
    table.push([row.kid ?? '—', row.role, String(row.documents), kinds]);
  }
  return table.toString();
}

const noKey = (config: Config) => `No secret key here: QSPOOL_SECRET_KEY is unset and ${keyFile(config.QSPOOL_DATA_DIR)} does not exist`;

/** The configured keys; refused, rather than a key file made afresh that opens nothing stored, when there is none. */
async function requiredKeys(config: Config): Promise<SecretKeys> {
  const keys = await existingSecretKeys(config);
  if (!keys) throw new ConflictError(`${noKey(config)}; install the key the store's secrets were sealed with (qspool secret-key status names their key ids)`, 'no_key_file');
  return keys;
}

/** What the census means for the operator, one line each. */
function verdict(config: Config, keys: SecretKeys | undefined, waiting: number, unknown: number): string[] {
  if (!keys) return [`${noKey(config)}: install the key the store's secrets were sealed with (their key ids are above); a server started now would make a new key, which opens none of them.`];
  const lines = waiting === 0 ? [] : [`${documents(waiting)} not yet sealed under the current key: run qspool secret-key reseal.`];
  if (unknown > 0) lines.push(`${documents(unknown)} under a key id none of the configured keys has: those open with no key here; give qspool the key that sealed them.`);
  return lines.length > 0 ? lines : ['Everything is sealed under the current key: the previous key, if any, can go.'];
}

export async function runSecretKeyStatus(options: JsonOption): Promise<void> {
  await withStore(async ({ config, storage }) => {
    const keys = await existingSecretKeys(config);
    const census = await keyCensus(storage, SEALED_KINDS, keys);
    const waiting = stale(census);
    const unknown = census.filter((row) => row.role === 'unknown').reduce((sum, row) => sum + row.documents, 0);
    print(options, { keys: census, needs_reseal: waiting, unknown_key: unknown }, () => [censusTable(census), ...verdict(config, keys, waiting, unknown)].join('\n'));
  });
}

export async function runSecretKeyRotate(options: JsonOption): Promise<void> {
  const rotation = await rotateKeyFile(loadConfig(process.env));
  print(options, { current: rotation.current, previous: rotation.previous }, () =>
    [
      `New key id ${rotation.current}; the old key (id ${rotation.previous}) is kept as the previous key, which opens but never seals.`,
      'Next: restart every server and spooler on this data directory, run qspool secret-key reseal, then qspool secret-key forget-previous.',
    ].join('\n'),
  );
}

export async function runSecretKeyReseal(options: JsonOption): Promise<void> {
  await withStore(async ({ config, storage }) => {
    const unreadable: UnreadableSecret[] = [];
    const counts = await resealAll(storage, SEALED_KINDS, await requiredKeys(config), { onUnreadable: (secret) => unreadable.push(secret) });
    print(options, { counts, unreadable }, () => {
      const table = new Table({ head: ['kind', 'resealed', 'already current', 'gone meanwhile', 'unreadable'], style: { head: [], border: [] } });
      for (const [kind, count] of Object.entries(counts)) table.push([kind, count.resealed, count.current, count.gone, count.unreadable].map(String));
      const lines = unreadable.map((secret) => `unreadable: ${secret.kind} ${secret.namespace}/${secret.key} (key id ${secret.kid ?? 'none'})`);
      return [table.toString(), ...lines].join('\n');
    });
    if (unreadable.length > 0) {
      throw new ConflictError(`${unreadable.length} stored secret(s) open with none of the configured keys; give qspool the key that sealed them and run reseal again`, 'secret_unreadable');
    }
  });
}

export async function runSecretKeyForgetPrevious(options: JsonOption & { force?: boolean }): Promise<void> {
  await withStore(async ({ config, storage }) => {
    const waiting = stale(await keyCensus(storage, SEALED_KINDS, await requiredKeys(config)));
    if (waiting > 0 && !options.force) {
      throw new ConflictError(`${documents(waiting)} not yet sealed under the current key: run qspool secret-key reseal first (or --force to lose them)`, 'previous_key_in_use');
    }
    const forgotten = await forgetPreviousKeyFile(config);
    const environment = config.QSPOOL_SECRET_KEY_PREVIOUS !== '';
    print(options, { forgotten: forgotten ?? null, environment }, () =>
      [
        forgotten ? `Removed the previous key file (key id ${forgotten}).` : 'No previous key file.',
        ...(environment ? ['QSPOOL_SECRET_KEY_PREVIOUS is set: remove it from every server\'s and spooler\'s environment and restart them.'] : []),
      ].join('\n'),
    );
  });
}
