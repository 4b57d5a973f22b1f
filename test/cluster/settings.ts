// Sizes of the cluster test, from the environment. The defaults are the CI size (two to three minutes per store on
// two shared cores): 3 server replicas, 2 spoolers for each of 2 backends, 240 jobs over 20 s.
import { STORE_TYPES, type StoreType } from '../crash/store.ts';

export interface ClusterSettings {
  provider: StoreType;
  /** The store is every process's primary (QSPOOL_STORE_FILE), each process on a data directory of its own. */
  sharedPrimary: boolean;
  servers: number;
  spoolersPerBackend: number;
  /** Jobs the users submit, spread evenly over the load window. */
  jobs: number;
  users: number;
  /** Concurrent clients per user, each on a replica of its own. */
  clientsPerUser: number;
  seconds: number;
  /** The per-credential rate limit R (requests per second) and its burst, on every replica. */
  rate: number;
  burst: number;
  /** How long the rate probe hammers the replicas. */
  rateSeconds: number;
  /** Accepted deviation of admitted requests from burst + R × time. */
  rateTolerance: number;
  leaseMs: number;
  keep: boolean;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

function provider(raw: string | undefined): StoreType {
  if (!raw) return 'local';
  if (!(STORE_TYPES as readonly string[]).includes(raw)) throw new Error(`CLUSTER_PROVIDER: unknown provider ${raw}; known: ${STORE_TYPES.join(', ')}`);
  return raw as StoreType;
}

/** CLUSTER_PRIMARY=s3 puts everything on S3 as the primary; a registered provider beside it is not this mode. */
function primary(env: NodeJS.ProcessEnv): { provider: StoreType; sharedPrimary: boolean } {
  const raw = env.CLUSTER_PRIMARY;
  if (!raw || raw === 'local') return { provider: provider(env.CLUSTER_PROVIDER), sharedPrimary: false };
  if (raw !== 's3') throw new Error(`CLUSTER_PRIMARY: ${raw} cannot be the test's shared primary store; known: local, s3`);
  if (env.CLUSTER_PROVIDER && env.CLUSTER_PROVIDER !== 's3') throw new Error('CLUSTER_PRIMARY=s3 keeps the jobs on the primary: leave CLUSTER_PROVIDER unset');
  return { provider: 's3', sharedPrimary: true };
}

export function clusterSettings(env: NodeJS.ProcessEnv = process.env): ClusterSettings {
  return {
    ...primary(env),
    servers: integer(env, 'CLUSTER_SERVERS', 3, 2),
    spoolersPerBackend: integer(env, 'CLUSTER_SPOOLERS', 2, 2),
    jobs: integer(env, 'CLUSTER_JOBS', 240),
    users: integer(env, 'CLUSTER_USERS', 4),
    clientsPerUser: integer(env, 'CLUSTER_CLIENTS_PER_USER', 2),
    seconds: integer(env, 'CLUSTER_SECONDS', 20, 5),
    rate: integer(env, 'CLUSTER_RATE', 10),
    burst: integer(env, 'CLUSTER_BURST', 10),
    rateSeconds: integer(env, 'CLUSTER_RATE_SECONDS', 12, 2),
    rateTolerance: 0.2,
    leaseMs: integer(env, 'CLUSTER_LEASE_MS', 3000, 100),
    keep: env.CLUSTER_KEEP === '1',
  };
}
