// Phase "cancel": slow jobs occupy the spoolers, quick jobs queue behind them and are cancelled through the native
// API while queued (they must never run); then each slow job is cancelled once it is seen RUNNING (it must end
// CANCELLED, stopped mid-simulation, with no result).
import { cancelJob, jobStatus, newTally, submitAll } from './client.ts';
import { Phase, quickJob, slowJob, type PhaseResult } from './phase.ts';
import type { CrashSettings } from './settings.ts';
import type { CrashStore } from './store.ts';

const BACKEND = 'singlequdit';

export async function cancelPhase(runDir: string, settings: CrashSettings, store: CrashStore): Promise<PhaseResult> {
  const phase = new Phase(runDir, settings, { name: 'cancel', backends: [BACKEND], spoolersPerBackend: settings.spoolers }, store);
  await phase.prepare();
  const user = { name: 'canceller', token: await phase.cluster.addUser('canceller') };
  await phase.cluster.start();
  const target = phase.cluster;
  const { url } = target;
  const tally = newTally();
  const slow = await submitAll(target, user, Array.from({ length: settings.cancelRunning }, () => ({ backend: BACKEND, payload: slowJob() })), { concurrency: 1, tally });
  const quick = await submitAll(target, user, Array.from({ length: settings.cancelQueued }, () => ({ backend: BACKEND, payload: quickJob(BACKEND) })), { concurrency: 4, tally });

  const cancelledQueued: string[] = [];
  for (const job of quick) {
    const answer = await cancelJob(url, user.token, job.id, tally);
    if (answer === 200) cancelledQueued.push(job.id);
    else phase.problems.push(`${job.id}: cancel of a job queued behind slow ones answered ${answer}, not 200`);
  }

  // Cancel each slow job as soon as a client sees it RUNNING; the spooler then frees up and claims the next one.
  const cancelledRunning: string[] = [];
  const requestedAt = new Map<string, number>();
  const latencies: number[] = [];
  const deadline = Date.now() + 60_000 + (settings.cancelRunning / settings.spoolers) * (settings.leaseMs + 10_000);
  const open = new Set(slow.map((job) => job.id));
  while (open.size > 0 && Date.now() < deadline) {
    for (const id of [...open]) {
      const status = await jobStatus(target, user, BACKEND, id, tally);
      if (status === 'RUNNING' && !requestedAt.has(id)) {
        const answer = await cancelJob(url, user.token, id, tally);
        if (answer === 202) {
          requestedAt.set(id, Date.now());
          cancelledRunning.push(id);
        } else phase.problems.push(`${id}: cancel of a running job answered ${answer}, not 202`);
      }
      if (['DONE', 'ERROR', 'CANCELLED'].includes(status)) {
        open.delete(id);
        const at = requestedAt.get(id);
        if (at !== undefined) latencies.push(Date.now() - at);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (open.size > 0) phase.problems.push(`${open.size} slow jobs not finished before the deadline`);
  // A running job learns of the cancel at its next lease renewal (every lease/3).
  const bound = settings.leaseMs / 3 + settings.pollMs + settings.slackMs;
  const slowest = Math.max(0, ...latencies);
  if (slowest > bound) phase.problems.push(`a running job took ${slowest} ms to stop after its cancel (bound ${bound} ms)`);
  phase.notes.push(`cancelled ${cancelledQueued.length} queued and ${cancelledRunning.length} running jobs; running ones stopped within ${slowest} ms (as polled)`);
  if (!(await phase.drained(30_000))) phase.problems.push('queues did not drain');
  return phase.finish([...slow, ...quick].map((job) => job.id), { cancelledQueued, cancelledRunning }, { tally });
}
