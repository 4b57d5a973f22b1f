// Phase "kills": jobs submitted over HTTP while a random spooler is SIGKILLed every few seconds and restarted, then a
// submit storm during which the server is SIGKILLed and restarted. Clients retry on connection errors.
import { ns, type JobRecord } from '../../storage/records.ts';
import { newTally, submitAll, jobStatus, type Acknowledged } from './client.ts';
import { Phase, quickJob, type PhaseResult } from './phase.ts';
import type { CrashSettings } from './settings.ts';
import type { CrashStore } from './store.ts';

const BACKENDS = ['singlequdit', 'qubit'];
/** A killed spooler comes back after this long (a supervisor restarting it). */
const RESTART_AFTER_MS = 300;
/** Share of the jobs kept for the server-kill storm. */
const STORM_SHARE = 0.2;

/** Which spooler (by pid) holds which running job right now, from the lease holders in storage. */
export async function runningHolders(phase: Phase, backends = BACKENDS): Promise<Map<number, string>> {
  const storage = await phase.storage();
  const holders = new Map<number, string>();
  try {
    for (const backend of backends) {
      for (const id of await storage.list(ns.running(backend))) {
        const holder = (await storage.get<JobRecord>(ns.running(backend), id))?.value.lease?.holder;
        const pid = Number(/-(\d+)-[0-9a-f]{4}$/.exec(holder ?? '')?.[1]);
        if (pid) holders.set(pid, id);
      }
    }
  } finally {
    await storage.close();
  }
  return holders;
}

export async function killsPhase(runDir: string, settings: CrashSettings, store: CrashStore): Promise<PhaseResult> {
  const phase = new Phase(runDir, settings, { name: 'kills', backends: BACKENDS, spoolersPerBackend: settings.spoolers }, store);
  await phase.prepare();
  const user = { name: 'crash', token: await phase.cluster.addUser('crash') };
  const jobs = Array.from({ length: settings.jobs }, (_, i) => {
    const backend = i % 3 === 2 ? 'qubit' : 'singlequdit';
    return { backend, payload: quickJob(backend) };
  });
  const stormSize = Math.max(1, Math.round(settings.jobs * STORM_SHARE));
  const steady = jobs.slice(0, jobs.length - stormSize);
  const storm = jobs.slice(jobs.length - stormSize);
  await phase.cluster.start();
  phase.progress(`cluster up; submitting ${steady.length} jobs over ${settings.seconds} s while killing spoolers`);
  const target = phase.cluster;
  const tally = newTally();

  // Steady submissions spread over the kill window, so spoolers are busy when they die.
  const windowMs = settings.seconds * 1000;
  const killer = setInterval(() => phase.cluster.killRandomSpooler(RESTART_AFTER_MS), settings.killEveryMs);
  let windowClosed = false;
  const windowOver = new Promise<void>((resolve) =>
    setTimeout(() => {
      // Kills stop on time even if submitting takes longer on a loaded machine.
      windowClosed = true;
      clearInterval(killer);
      resolve();
    }, windowMs),
  );
  // Halfway, a spooler holding a job freezes (SIGSTOP) for two leases, then resumes: alive, but fenced out.
  const paused: number[] = [];
  const frozen: string[] = [];
  const tryFreeze = async () => {
    const holders = await runningHolders(phase).catch(() => new Map<number, string>());
    if (windowClosed) return;
    const pid = phase.cluster.expendableSpoolers().find((candidate) => holders.has(candidate));
    if (pid && phase.cluster.freezeSpooler(pid, 2 * settings.leaseMs)) {
      paused.push(pid);
      frozen.push(holders.get(pid)!);
    } else freeze = setTimeout(() => void tryFreeze(), 200);
  };
  let freeze = setTimeout(() => void tryFreeze(), windowMs / 2);
  const paceMs = steady.length > 0 ? (windowMs * settings.clients) / steady.length : 0;
  const acknowledged: Acknowledged[] = await submitAll(target, user, steady, { concurrency: settings.clients, tally, paceMs });
  await windowOver;
  clearTimeout(freeze);
  const spoolerKills = phase.cluster.kills.length;
  phase.progress(`kill window over (${spoolerKills} kills); storm of ${storm.length} jobs with a server kill`);

  // The storm: as fast as the clients can, with the server killed once a third of it is acknowledged.
  let stormAcks = 0;
  let serverKilledAt = 0;
  const stormAcknowledged = await submitAll(target, user, storm, {
    concurrency: settings.clients * 2,
    tally,
    onAcknowledged: () => {
      stormAcks += 1;
      if (!serverKilledAt && stormAcks >= storm.length / 3) serverKilledAt = phase.cluster.killServer(1000)?.at ?? 0;
    },
  });
  acknowledged.push(...stormAcknowledged);
  if (!serverKilledAt) phase.problems.push('the server was never killed (storm too small)');

  phase.progress('storm over; waiting for the queues to drain');
  if (!(await phase.drained(120_000))) phase.problems.push('queues did not drain within 120 s');
  // What a polling client sees at the end, for every acknowledged job.
  const apiStatus = new Map<string, string>();
  for (const ack of acknowledged) apiStatus.set(ack.id, await jobStatus(target, user, ack.backend, ack.id, tally));
  phase.notes.push(`${spoolerKills} spooler SIGKILLs every ${settings.killEveryMs} ms over ${settings.seconds} s; server SIGKILLed once mid-storm`);
  phase.notes.push(`spooler ${paused.join(', ') || '(none)'} frozen for ${2 * settings.leaseMs} ms holding job ${frozen.join(', ') || '(none)'}, then resumed`);
  return phase.finish(acknowledged.map((a) => a.id), { apiStatus }, { tally, paused });
}
