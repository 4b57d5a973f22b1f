// What every row gets from the runner: settings, a scratch directory, the shared Redis, and a progress log
// (stderr, so stdout carries only the table).
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedisService } from './redis.ts';

export interface BenchContext {
  /** Seconds per autocannon run (BENCH_SECONDS; the issue asks for 10). */
  seconds: number;
  /** Runs per figure (BENCH_RUNS, at least 3). */
  runs: number;
  /** Scratch space on the same disk as a real data directory (fsync costs what it costs in production). */
  workDir: string;
  redis: RedisService;
  log(message: string): void;
}

/** A fresh directory under the work directory, removed by `done`. */
export async function scratch(context: BenchContext, prefix: string): Promise<{ dir: string; done(): Promise<void> }> {
  const dir = await mkdtemp(join(context.workDir, `${prefix}-`));
  return { dir, done: () => rm(dir, { recursive: true, force: true }) };
}

/** The 1-shot-ish singlequdit job of the README, as qiskit-cold-atom sends it. */
export function singlequditJob(shots = 10, atoms = 50): Record<string, unknown> {
  return {
    experiment_0: {
      instructions: [['load', [0], [atoms]], ['rlx', [0], [1.5708]], ['measure', [0], []]],
      shots,
      num_wires: 1,
      wire_order: 'interleaved',
    },
  };
}

/** A trivial qubit job (the spooler throughput row runs these in echo mode). */
export function qubitJob(): Record<string, unknown> {
  return { experiment_0: { instructions: [['rx', [0], [1.0]], ['measure', [0], []]], shots: 1, num_wires: 1, wire_order: 'sequential' } };
}

/** qlued's v2 post_job body: the job as a JSON string next to the token. */
export function postJobBody(job: unknown, token: string): string {
  return JSON.stringify({ job: JSON.stringify(job), token });
}
