// Phase "race": two spooler processes per backend race for many small jobs, enqueued straight through the job
// lifecycle (faster than HTTP) while the spoolers are already claiming. Nobody is killed, so each job must be claimed
// once, executed once (one terminal event in the logs) and have exactly one result document.
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { Phase, quickJob, type PhaseResult } from './phase.ts';
import type { CrashSettings } from './settings.ts';
import type { CrashStore } from './store.ts';

const BACKENDS = ['singlequdit', 'qubit'];
const ENQUEUERS = 8;

export async function racePhase(runDir: string, settings: CrashSettings, store: CrashStore): Promise<PhaseResult> {
  // fsync off: what is raced here is the claim protocol, not durability across power loss.
  const phase = new Phase(runDir, settings, { name: 'race', backends: BACKENDS, spoolersPerBackend: 2, env: { QSPOOL_FSYNC: 'false', QSPOOL_QUBIT_MODE: 'echo' } }, store);
  await phase.prepare();
  await phase.cluster.start(false);
  const storage = await phase.storage();
  const lifecycle = new JobLifecycle(storage);
  const ids: string[] = [];
  const started = Date.now();
  let next = 0;
  const enqueuer = async () => {
    while (next < settings.raceJobs) {
      const backend = BACKENDS[next++ % BACKENDS.length]!;
      const payload = backend === 'qubit' ? quickJob('qubit') : { experiment_0: { instructions: [['measure', [0], []]], shots: 1, num_wires: 1, wire_order: 'interleaved' } };
      ids.push((await lifecycle.enqueue({ backend, owner: 'racer', payload })).id);
    }
  };
  await Promise.all(Array.from({ length: ENQUEUERS }, enqueuer));
  await storage.close();
  if (!(await phase.drained(Math.max(120_000, settings.raceJobs * 30)))) phase.problems.push('queues did not drain');
  phase.notes.push(`${settings.raceJobs} jobs through 2 spoolers per backend in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return phase.finish(ids, { exactlyOnce: true });
}
