// The store the harness puts under fire (CRASH_PROVIDER): the local directory the server itself runs on, or a remote
// provider registered through `qspool storage add` that the spoolers open with `--storage`, as a lab would run them:
// the local Dropbox API server (test/dropbox-api-server) or a real Ceph RGW (storage/s3/test-server.ts, or
// S3_ENDPOINT). Each phase gets its own area of the store (a base folder or a key prefix), and a remote store can be
// cut off from every process for an outage: the Dropbox server stops listening, radosgw is killed and restarted.
import { randomBytes } from 'node:crypto';
import type { ProviderSpec } from '../../storage/factory.ts';
import { loginToSpec } from '../../storage/registry/logins.ts';
import { ensureBucket } from '../../storage/s3/client.ts';
import { findTestS3, s3LoginOf, type TestS3 } from '../../storage/s3/test-server.ts';
import { startDropboxApiServer, type DropboxApiServer } from '../dropbox-api-server/index.ts';

export const STORE_TYPES = ['local', 'dropbox', 's3'] as const;
export type StoreType = (typeof STORE_TYPES)[number];

/** The registry entry a phase adds, so that its spoolers (and the server) reach the store by name. */
export interface Registration {
  name: string;
  type: 'dropbox' | 's3';
  login: Record<string, unknown>;
}

export interface CrashStore {
  readonly type: StoreType;
  /** How the harness itself opens a phase's area of the store (for enqueueing and for the verdict). */
  spec(phase: string, dataDir: string): ProviderSpec;
  /** The registry entry for a phase's area; none for the local store, which is the server's own. */
  registration(phase: string): Registration | undefined;
  /**
   * What QSPOOL_STORE_FILE holds when the store is every process's primary (replicas on several hosts); absent when
   * the primary is the local store in the data directory.
   */
  primary?(phase: string): { type: 's3'; login: Record<string, unknown> };
  /** Cuts every process off a remote store until restore(). */
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Name of the provider each phase registers; its backends are `<name>_<backend>_simulator`. */
export const REGISTERED_NAME = 'lab';

const localStore: CrashStore = {
  type: 'local',
  spec: (_phase, dataDir) => ({ type: 'local', root: dataDir, fsync: false }),
  registration: () => undefined,
  cut: () => Promise.reject(new Error('the local store is cut off by the outage phase itself (a swapped symlink)')),
  restore: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

function dropboxStore(server: DropboxApiServer, run: string): CrashStore {
  const login = (phase: string) => ({
    app_key: server.tokens.clientId,
    app_secret: server.tokens.clientSecret,
    refresh_token: server.tokens.refreshToken,
    base_path: `/crash-${run}-${phase}`,
    api_base_url: server.url,
  });
  return {
    type: 'dropbox',
    spec: (phase) => loginToSpec('dropbox', login(phase)),
    registration: (phase) => ({ name: REGISTERED_NAME, type: 'dropbox', login: login(phase) }),
    cut: () => server.stop(),
    restore: () => server.start(),
    close: () => server.close(),
  };
}

/** On S3 either a registered provider the spoolers open with `--storage`, or (`asPrimary`) every process's primary. */
function s3Store(s3: TestS3, run: string, asPrimary: boolean): CrashStore {
  const { spec } = s3;
  const login = (phase: string) => s3LoginOf(spec, `crash${run}${phase}`);
  return {
    type: 's3',
    spec: (phase) => loginToSpec('s3', login(phase)),
    registration: (phase) => (asPrimary ? undefined : { name: REGISTERED_NAME, type: 's3', login: login(phase) }),
    ...(asPrimary ? { primary: (phase: string) => ({ type: 's3' as const, login: login(phase) }) } : {}),
    cut: () => s3.gateway('stop'),
    restore: () => s3.gateway('start'),
    close: () => s3.stop(),
  };
}

/** Opens the store of `type`; with `asPrimary` (S3 only) it is every process's primary store instead of a registered one. */
export async function openCrashStore(type: StoreType, asPrimary = false): Promise<CrashStore> {
  const run = randomBytes(3).toString('hex');
  if (asPrimary && type !== 's3') throw new Error(`only an S3 store can be the processes' primary store, not ${type}`);
  if (type === 'dropbox') return dropboxStore(await startDropboxApiServer(), run);
  if (type === 's3') {
    const found = await findTestS3();
    if ('skip' in found) throw new Error(`an S3 store needs an S3 server: ${found.skip}`);
    await ensureBucket(found.spec);
    return s3Store(found, run, asPrimary);
  }
  return localStore;
}
