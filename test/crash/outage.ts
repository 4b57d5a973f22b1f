// Phase "outage": the store becomes unusable for a while under a steady stream of submissions, then comes back.
// The fault is real, not a proxy: every process reaches the store through a symlink, which is atomically swapped to
// point at a regular file (every file operation under it now fails with ENOTDIR, as with a storage path replaced or
// a mount gone bad) and swapped back afterwards. A registered remote store is cut off at its server instead (the
// Dropbox API server stops listening; radosgw is killed and started again). Clients must see 503 with Retry-After, never 500; no acknowledged
// job may be lost; spoolers must resume by themselves (no restarts).
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newTally, submitAll } from './client.ts';
import type { SpoolerEvent } from './evidence.ts';
import { readEvents } from './evidence.ts';
import { Phase, quickJob, type PhaseResult } from './phase.ts';
import type { CrashSettings } from './settings.ts';
import type { CrashStore } from './store.ts';

const BACKENDS = ['singlequdit', 'qubit'];
const BEFORE_MS = 3000;
const AFTER_MS = 3000;

/** Points `link` at `target` in one rename, so no process ever sees the link missing. */
async function repoint(link: string, target: string): Promise<void> {
  const next = `${link}.next`;
  await symlink(target, next);
  await rename(next, link);
}

/** A way to make the store unusable for every process and to bring it back. */
interface Fault {
  /** The data directory processes must use for the fault to reach them (the local store's symlink). */
  dataDir?: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
}

/** The local store behind a symlink that is swapped for a regular file during the outage. */
async function symlinkFault(dir: string): Promise<Fault> {
  const store = join(dir, 'store');
  const link = join(dir, 'data');
  const notADirectory = join(dir, 'not-a-directory');
  await mkdir(store, { recursive: true });
  await writeFile(notADirectory, 'the store is unavailable\n');
  await symlink(store, link);
  return { dataDir: link, cut: () => repoint(link, notADirectory), restore: () => repoint(link, store) };
}

export async function outagePhase(runDir: string, settings: CrashSettings, store: CrashStore): Promise<PhaseResult> {
  // A remote store is cut off by the store itself (its server stopped); the server's own directory stays up.
  const fault: Fault = store.type === 'local' ? await symlinkFault(join(runDir, 'outage')) : store;
  const setup = { name: 'outage', backends: BACKENDS, spoolersPerBackend: settings.spoolers, ...(fault.dataDir ? { dataDir: fault.dataDir } : {}) };
  const phase = new Phase(runDir, settings, setup, store);
  await phase.prepare();
  const user = { name: 'patient', token: await phase.cluster.addUser('patient') };
  await phase.cluster.start();
  const tally = newTally();

  const outageMs = settings.outageSeconds * 1000;
  let stop = false;
  // Each client submits one job after another until told to stop, retrying through the outage.
  const client = async (index: number) => {
    const acknowledged = [];
    const backend = BACKENDS[index % BACKENDS.length]!;
    while (!stop) acknowledged.push(...(await submitAll(phase.cluster, user, [{ backend, payload: quickJob(backend) }], { concurrency: 1, tally, paceMs: 100 })));
    return acknowledged;
  };
  const submitting = Promise.all(Array.from({ length: settings.clients }, (_, i) => client(i))).then((all) => all.flat());
  await new Promise((resolve) => setTimeout(resolve, BEFORE_MS));
  const before503 = tally.counts.get('503') ?? 0;
  await fault.cut();
  const faultAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, outageMs));
  await fault.restore();
  const restoredAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, AFTER_MS));
  stop = true;
  const acknowledged = await submitting;

  const answered503 = (tally.counts.get('503') ?? 0) - before503;
  if (answered503 === 0) phase.problems.push('no 503 answer during the outage');
  if (tally.retryAfter < answered503) phase.problems.push(`${answered503 - tally.retryAfter} 503 answers without Retry-After`);
  if (!(await phase.drained(120_000))) phase.problems.push('queues did not drain after the outage');
  const events = await readEvents(phase.logDir);
  phase.notes.push(`storage unusable for ${restoredAt - faultAt} ms; ${answered503} answers 503 (with Retry-After), ${tally.serverErrors.length} other 5xx`);
  phase.notes.push(...resumption(events, faultAt, restoredAt, phase));
  return phase.finish(acknowledged.map((a) => a.id), {}, { tally });
}

/** How soon after the store came back each backend finished jobs again, and evidence that spoolers backed off. */
function resumption(events: SpoolerEvent[], faultAt: number, restoredAt: number, phase: Phase): string[] {
  const lines: string[] = [];
  for (const backend of BACKENDS) {
    const first = events.filter((e) => e.event === 'job.done' && e.time >= restoredAt && e.backend === backend).sort((a, b) => a.time - b.time)[0];
    if (!first) phase.problems.push(`${backend}: no job finished after the store came back`);
    else lines.push(`${backend}: first job done ${first.time - restoredAt} ms after the store came back`);
  }
  const abandoned = events.filter((e) => e.event === 'job.abandoned' && e.time >= faultAt).length;
  lines.push(`${abandoned} jobs given up mid-settle by their spoolers during the outage (run again later)`);
  return lines;
}
