// The server's own store (the primary: users, tokens, quotas, the provider registry, the job index and its own
// backends' jobs). By default the local store in QSPOOL_DATA_DIR, whose SQLite WAL needs every process on one host.
// QSPOOL_STORE_FILE names an S3 or MongoDB store instead, so replicas and spoolers on several hosts share it. The file
// holds `{"type": "s3", "login": {…}}` with the login fields of `qspool storage add`; its keys make it a secret, so
// a file that group or others can read stops the start, as the server's key file does. Dropbox is refused: its API's
// rate limits cannot carry the writes every request makes (rate buckets, quotas, sessions).
import { readFileSync, statSync } from 'node:fs';
import { ConfigError, type Config } from '../../config/index.ts';
import type { ProviderSpec } from '../../storage/factory.ts';
import { assertLogin, loginToSpec, type ProviderType } from '../../storage/registry/logins.ts';
import { refuseIfOpenSync } from '../../storage/private-files.ts';

export interface PrimaryStore {
  type: ProviderType;
  login: Record<string, unknown>;
}

const SHARED_TYPES: readonly ProviderType[] = ['s3', 'mongodb'];
const MAX_FILE_BYTES = 64 * 1024;

const invalid = (problem: string) => new ConfigError(`Invalid configuration: QSPOOL_STORE_FILE: ${problem}`);

/** What QSPOOL_STORE_FILE describes, or the local store in QSPOOL_DATA_DIR; ConfigError names what is wrong. */
export function primaryStore(config: Config): PrimaryStore {
  const path = config.QSPOOL_STORE_FILE;
  if (!path) return { type: 'local', login: { base_path: config.QSPOOL_DATA_DIR, fsync: config.QSPOOL_FSYNC } };
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat?.isFile()) throw invalid(`${path} is not a file`);
  refuseIfOpenSync(path, '600');
  if (stat.size > MAX_FILE_BYTES) throw invalid(`${path} is larger than ${MAX_FILE_BYTES} bytes`);
  let described: unknown;
  try {
    described = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw invalid(`${path} is not JSON (${(error as Error).message})`);
  }
  if (typeof described !== 'object' || described === null || Array.isArray(described)) throw invalid(`${path} must hold a JSON object {"type": …, "login": {…}}`);
  const { type, login, ...rest } = described as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw invalid(`unknown field ${JSON.stringify(Object.keys(rest)[0])}; expected {"type": …, "login": {…}}`);
  if (!SHARED_TYPES.includes(type as ProviderType)) throw invalid(`"type" must be ${SHARED_TYPES.join(' or ')} (a local store is QSPOOL_DATA_DIR)`);
  try {
    assertLogin(type as ProviderType, login);
  } catch (error) {
    throw invalid((error as Error).message);
  }
  return { type: type as ProviderType, login: login as Record<string, unknown> };
}

/** How to open the primary store. */
export function primarySpec(config: Config): ProviderSpec {
  const { type, login } = primaryStore(config);
  return loginToSpec(type, login);
}
