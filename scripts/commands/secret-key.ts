// `qspool secret-key status|rotate|reseal|forget-previous`: rotating the key that seals secrets at rest (README,
// Rotating the secret key). Tables for people, --json for scripts.
import Table from 'cli-table3';
import { loadConfig } from '../../config/index.ts';
import { ConflictError } from '../../schemas/errors.ts';
import { forgetPreviousKeyFile, rotateKeyFile } from '../../server/auth/key-rotation.ts';
import { SEALED_KINDS } from '../../server/auth/sealed-secrets.ts';
import { configuredSecretKeys } from '../../server/auth/server-key.ts';
import { keyCensus, resealAll, type KeyCensus, type UnreadableSecret } from '../../storage/registry/reseal.ts';
import { openRuntime, type Runtime } from '../runtime.ts';
import { assertStoreExists } from './usage.ts';

interface Output {
  json?: boolean;
}

function print(value: unknown, options: Output, human: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

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

export async function runSecretKeyStatus(options: Output): Promise<void> {
  await withStore(async ({ config, storage }) => {
    const census = await keyCensus(storage, SEALED_KINDS, await configuredSecretKeys(config));
    print({ keys: census, needs_reseal: stale(census) }, options, () => {
      const waiting = stale(census);
      const verdict = waiting === 0 ? 'Everything is sealed under the current key: the previous key, if any, can go.' : `${documents(waiting)} not yet sealed under the current key: run qspool secret-key reseal.`;
      const unknown = census.filter((row) => row.role === 'unknown' && row.documents > 0).length > 0 ? '\nDocuments under an unknown key id open with none of the configured keys.' : '';
      return `${censusTable(census)}\n${verdict}${unknown}`;
    });
  });
}

export async function runSecretKeyRotate(options: Output): Promise<void> {
  const rotation = await rotateKeyFile(loadConfig(process.env));
  print({ current: rotation.current, previous: rotation.previous }, options, () =>
    [
      `New key id ${rotation.current}; the old key (id ${rotation.previous}) is kept as the previous key, which opens but never seals.`,
      'Next: restart every server and spooler on this data directory, run qspool secret-key reseal, then qspool secret-key forget-previous.',
    ].join('\n'),
  );
}

export async function runSecretKeyReseal(options: Output): Promise<void> {
  await withStore(async ({ config, storage }) => {
    const unreadable: UnreadableSecret[] = [];
    const counts = await resealAll(storage, SEALED_KINDS, await configuredSecretKeys(config), { onUnreadable: (secret) => unreadable.push(secret) });
    print({ counts, unreadable }, options, () => {
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

export async function runSecretKeyForgetPrevious(options: Output & { force?: boolean }): Promise<void> {
  await withStore(async ({ config, storage }) => {
    const waiting = stale(await keyCensus(storage, SEALED_KINDS, await configuredSecretKeys(config)));
    if (waiting > 0 && !options.force) {
      throw new ConflictError(`${documents(waiting)} not yet sealed under the current key: run qspool secret-key reseal first (or --force to lose them)`, 'previous_key_in_use');
    }
    const forgotten = await forgetPreviousKeyFile(config);
    const environment = config.QSPOOL_SECRET_KEY_PREVIOUS !== '';
    print({ forgotten: forgotten ?? null, environment }, options, () =>
      [
        forgotten ? `Removed the previous key file (key id ${forgotten}).` : 'No previous key file.',
        ...(environment ? ['QSPOOL_SECRET_KEY_PREVIOUS is set: remove it from every server\'s and spooler\'s environment and restart them.'] : []),
      ].join('\n'),
    );
  });
}
