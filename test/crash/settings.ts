// Sizes and timings of the crash harness, from the environment. The defaults are the CI size (about 4–6 minutes
// on two cores, the burst's 10 server kills about 75 s of it); the full size is CRASH_JOBS=1000
// CRASH_SECONDS=60 CRASH_RACE_JOBS=10000 CRASH_OUTAGE_SECONDS=30 (see README, "Crash tests").
import { STORE_TYPES, type StoreType } from './store.ts';

export const PHASES = ['kills', 'race', 'cancel', 'outage', 'burst'] as const;
export type PhaseName = (typeof PHASES)[number];

export interface CrashSettings {
  /** Jobs submitted over HTTP in the kill phase (most while spoolers are killed, the rest in the server-kill storm). */
  jobs: number;
  /** Length of the spooler-kill window. */
  seconds: number;
  /** Spooler processes per backend. */
  spoolers: number;
  killEveryMs: number;
  leaseMs: number;
  pollMs: number;
  maxAttempts: number;
  /** Concurrent HTTP clients submitting. */
  clients: number;
  /** Jobs enqueued for the race phase (two spoolers per backend, nobody killed). */
  raceJobs: number;
  cancelQueued: number;
  cancelRunning: number;
  /** How long storage is unusable in the outage phase. */
  outageSeconds: number;
  /** Burst phase: SIGKILL-and-restart rounds of the server, and jobs the 8 clients send in each. */
  burstRounds: number;
  burstJobs: number;
  /** Allowance on top of lease + poll for a loaded machine when judging recovery times. */
  slackMs: number;
  phases: PhaseName[];
  /** The store under fire: the server's own local directory, or a registered Dropbox or S3 provider. */
  provider: StoreType;
  /** Keep the run directory (data and logs) instead of deleting it when everything passed. */
  keep: boolean;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

function phases(raw: string | undefined): PhaseName[] {
  if (!raw) return [...PHASES];
  const chosen = raw.split(',').map((name) => name.trim());
  for (const name of chosen) {
    if (!(PHASES as readonly string[]).includes(name)) throw new Error(`CRASH_PHASES: unknown phase ${name}; known: ${PHASES.join(', ')}`);
  }
  return chosen as PhaseName[];
}

function provider(raw: string | undefined): StoreType {
  if (!raw) return 'local';
  if (!(STORE_TYPES as readonly string[]).includes(raw)) throw new Error(`CRASH_PROVIDER: unknown provider ${raw}; known: ${STORE_TYPES.join(', ')}`);
  return raw as StoreType;
}

export function crashSettings(env: NodeJS.ProcessEnv = process.env): CrashSettings {
  return {
    jobs: integer(env, 'CRASH_JOBS', 300, 1),
    seconds: integer(env, 'CRASH_SECONDS', 24, 1),
    spoolers: integer(env, 'CRASH_SPOOLERS', 2, 1),
    killEveryMs: integer(env, 'CRASH_KILL_EVERY_MS', 2000, 100),
    leaseMs: integer(env, 'CRASH_LEASE_MS', 3000, 100),
    pollMs: integer(env, 'CRASH_POLL_MS', 100, 1),
    maxAttempts: integer(env, 'CRASH_MAX_ATTEMPTS', 5, 1),
    clients: integer(env, 'CRASH_CLIENTS', 8, 1),
    raceJobs: integer(env, 'CRASH_RACE_JOBS', 2000),
    cancelQueued: integer(env, 'CRASH_CANCEL_QUEUED', 100),
    cancelRunning: integer(env, 'CRASH_CANCEL_RUNNING', 10),
    outageSeconds: integer(env, 'CRASH_OUTAGE_SECONDS', 8),
    burstRounds: integer(env, 'CRASH_BURST_ROUNDS', 10),
    burstJobs: integer(env, 'CRASH_BURST_JOBS', 200, 10),
    slackMs: integer(env, 'CRASH_SLACK_MS', 2500),
    phases: phases(env.CRASH_PHASES),
    provider: provider(env.CRASH_PROVIDER),
    keep: env.CRASH_KEEP === '1',
  };
}
