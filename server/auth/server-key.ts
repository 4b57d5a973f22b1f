// The server's key for secrets at rest (the JWT signing key, webhook signing secrets): QSPOOL_SECRET_KEY, or a key
// generated on first start into `<data dir>/.server-keys/secret-key` (a dot directory, so outside every storage
// namespace; mode 0600 in a 0700 directory). Whoever can read storage alone then learns no credential.
// Start-up refuses a key file others can read and warns loudly about a data directory others can read.
// During a rotation (key-rotation.ts) the key before the current one opens what it sealed: QSPOOL_SECRET_KEY_PREVIOUS,
// or `.server-keys/secret-key.previous` (0600 too).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../config/index.ts';
import type { Logger } from '../../config/logger.ts';
import { octalMode } from '../../schemas/errors.ts';
import { makeDirectory } from '../../storage/directories.ts';
import type { SecretKeys } from '../../storage/registry/secrets.ts';
import { createPrivateFileOnce, isOpen, modeOf, refuseIfOpen } from '../../storage/private-files.ts';

export const keyDir = (dataDir: string) => join(dataDir, '.server-keys');
export const keyFile = (dataDir: string) => join(keyDir(dataDir), 'secret-key');
export const previousKeyFile = (dataDir: string) => join(keyDir(dataDir), 'secret-key.previous');

/** The data directory holds password hashes and, on local storage, everything else: it should be the owner's alone. */
async function warnIfDataDirOpen(dataDir: string, logger: Logger): Promise<void> {
  const mode = await modeOf(dataDir);
  if (mode === undefined || !isOpen(mode)) return;
  logger.warn(
    { dataDir, mode: octalMode(mode), fix: `chmod 700 ${dataDir}` },
    `INSECURE: the data directory ${dataDir} is readable by group or others (mode ${octalMode(mode)}); run: chmod 700 ${dataDir}`,
  );
}

/**
 * The key file's content, created first if absent (createPrivateFileOnce: servers starting at once all end up with the
 * winner's key, and a power cut never leaves an empty one behind secrets already sealed with it).
 */
async function readOrCreate(dir: string, file: string): Promise<string> {
  await makeDirectory(dir, 0o700);
  await refuseIfOpen(dir, '700');
  if ((await modeOf(file)) !== undefined) {
    await refuseIfOpen(file, '600');
    return (await readFile(file, 'utf8')).trim();
  }
  createPrivateFileOnce(file, randomBytes(32).toString('base64url'));
  await refuseIfOpen(file, '600');
  return (await readFile(file, 'utf8')).trim();
}

/** QSPOOL_SECRET_KEY, or the key file's (made first if absent): what every process on the data directory seals with. */
export async function configuredSecretKey(config: Config): Promise<string> {
  return config.QSPOOL_SECRET_KEY || (await readOrCreate(keyDir(config.QSPOOL_DATA_DIR), keyFile(config.QSPOOL_DATA_DIR)));
}

/** A key file's content, or undefined when there is none; refused when group or others can read it or its directory. */
async function readKeyFile(dataDir: string, file: string): Promise<string | undefined> {
  if ((await modeOf(file)) === undefined) return undefined;
  await refuseIfOpen(keyDir(dataDir), '700');
  await refuseIfOpen(file, '600');
  return (await readFile(file, 'utf8')).trim();
}

/** The previous key file's content, if there is one; refused, like the current one, when others can read it. */
export const readPreviousKeyFile = (dataDir: string) => readKeyFile(dataDir, previousKeyFile(dataDir));

/** `current` with the previous key (from QSPOOL_SECRET_KEY_PREVIOUS and the previous key file), if any. */
async function withPrevious(config: Config, current: string): Promise<SecretKeys> {
  const candidates = [config.QSPOOL_SECRET_KEY_PREVIOUS, await readPreviousKeyFile(config.QSPOOL_DATA_DIR)];
  const previous = [...new Set(candidates.filter((key): key is string => key !== undefined && key !== '' && key !== current))];
  return { current, previous };
}

/** The current key, and the previous one if any. */
export async function configuredSecretKeys(config: Config): Promise<SecretKeys> {
  return withPrevious(config, await configuredSecretKey(config));
}

/**
 * The keys as configuredSecretKeys has them, but undefined rather than a new key file when there is no key: a
 * command that only reads or re-seals (qspool secret-key status) must not make a key that the store's secrets were
 * never sealed with, which a restored store's data directory would then hold instead of the key it needs.
 */
export async function existingSecretKeys(config: Config): Promise<SecretKeys | undefined> {
  const current = config.QSPOOL_SECRET_KEY || (await readKeyFile(config.QSPOOL_DATA_DIR, keyFile(config.QSPOOL_DATA_DIR)));
  return current === undefined ? undefined : withPrevious(config, current);
}

/** The keys of the server's secrets at rest; also checks the permissions of the data directory. */
export async function serverSecretKeys(config: Config, logger: Logger): Promise<SecretKeys> {
  const keys = await configuredSecretKeys(config);
  await warnIfDataDirOpen(config.QSPOOL_DATA_DIR, logger);
  return keys;
}
