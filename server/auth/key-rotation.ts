// Rotating the key file of a key-file install (README, Rotating the secret key): the current key becomes the previous
// one (`.server-keys/secret-key.previous`, which opens but never seals) and a new key takes its place. Each step is a
// whole file flushed with its directory, and the previous key is written before the current one is replaced, so a
// crash anywhere leaves the old key readable; running `rotate` again after a crash finishes the same rotation. A second
// rotation waits until the first is finished (everything re-sealed, the previous key forgotten): one previous key at a
// time keeps what may still be sealed with which key plain.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../../config/index.ts';
import { ConflictError } from '../../schemas/errors.ts';
import { modeOf, refuseIfOpen, createPrivateFileOnce, flushToDisk, replacePrivateFile } from '../../storage/private-files.ts';
import { keyId } from '../../storage/registry/secrets.ts';
import { keyDir, keyFile, previousKeyFile, readPreviousKeyFile } from './server-key.ts';

export interface Rotation {
  previous: string;
  current: string;
}

function keyFileInstall(config: Config, action: string): void {
  if (config.QSPOOL_SECRET_KEY) {
    throw new ConflictError(
      `QSPOOL_SECRET_KEY is set, so the key is not in a key file for qspool to ${action}: set the new key as QSPOOL_SECRET_KEY and ` +
        'the old one as QSPOOL_SECRET_KEY_PREVIOUS on every server and spooler, restart them, then run qspool secret-key reseal',
      'key_in_environment',
    );
  }
}

/** Makes a new key file, keeping the one it replaces as the previous key; the key ids of both. */
export async function rotateKeyFile(config: Config): Promise<Rotation> {
  keyFileInstall(config, 'rotate');
  const dataDir = config.QSPOOL_DATA_DIR;
  if ((await modeOf(keyFile(dataDir))) === undefined) {
    throw new ConflictError(`No key file ${keyFile(dataDir)} to rotate: the server makes one on its first start`, 'no_key_file');
  }
  await refuseIfOpen(keyDir(dataDir), '700');
  await refuseIfOpen(keyFile(dataDir), '600');
  const current = (await readFile(keyFile(dataDir), 'utf8')).trim();
  const previous = await readPreviousKeyFile(dataDir);
  if (previous !== undefined && previous !== current) {
    throw new ConflictError(
      `A previous key (key id ${keyId(previous)}) is still kept from the last rotation: run qspool secret-key reseal, then ` +
        'qspool secret-key forget-previous, before rotating again',
      'rotation_pending',
    );
  }
  createPrivateFileOnce(previousKeyFile(dataDir), current);
  const next = randomBytes(32).toString('base64url');
  replacePrivateFile(keyFile(dataDir), next);
  return { previous: keyId(current), current: keyId(next) };
}

/** Removes the previous key file; the key id it held, or undefined when there was none. */
export async function forgetPreviousKeyFile(config: Config): Promise<string | undefined> {
  const previous = await readPreviousKeyFile(config.QSPOOL_DATA_DIR);
  if (previous === undefined) return undefined;
  await rm(previousKeyFile(config.QSPOOL_DATA_DIR));
  flushToDisk(dirname(previousKeyFile(config.QSPOOL_DATA_DIR)));
  return keyId(previous);
}
