// What the verifier judges: everything storage holds about each job (which state namespaces hold it, its record,
// its status projection, every surviving result document) and what each spooler process logged (pino JSON lines,
// written synchronously, so a SIGKILLed spooler's lines up to the kill are there).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StorageProvider } from '../../storage/contract.ts';
import { ns, type JobRecord, type StatusRecord } from '../../storage/records.ts';

export const STATE_NAMESPACES = ['queued', 'running', 'finished', 'deleted', 'dead'] as const;

export interface JobEvidence {
  id: string;
  backend: string;
  /** State namespaces holding the job: exactly one is right. */
  states: string[];
  record?: JobRecord;
  status?: StatusRecord;
  /** Keys of result documents for this job (`<id>-a<attempt>`). */
  resultKeys: string[];
}

export interface SpoolerEvent {
  event: string;
  pid: number;
  time: number;
  backend?: string;
  jobId?: string;
  attempt?: number;
  /** For `jobs.requeued`: the ids taken back. */
  jobs?: string[];
}

async function listAll(storage: StorageProvider, namespace: string): Promise<string[]> {
  const keys: string[] = [];
  for (;;) {
    const page = await storage.list(namespace, { limit: 1000, ...(keys.length > 0 ? { after: keys[keys.length - 1]! } : {}) });
    keys.push(...page);
    if (page.length < 1000) return keys;
  }
}

/** Every job of the backends, by id, as storage holds it now. */
export async function snapshot(storage: StorageProvider, backends: string[]): Promise<Map<string, JobEvidence>> {
  const jobs = new Map<string, JobEvidence>();
  const entry = (id: string, backend: string) => {
    let found = jobs.get(id);
    if (!found) jobs.set(id, (found = { id, backend, states: [], resultKeys: [] }));
    return found;
  };
  for (const backend of backends) {
    const namespaces = { queued: ns.queued(backend), running: ns.running(backend), finished: ns.finished(backend), deleted: ns.deleted(backend), dead: ns.dead(backend) };
    for (const state of STATE_NAMESPACES) {
      for (const id of await listAll(storage, namespaces[state])) {
        const job = entry(id, backend);
        job.states.push(state);
        job.record = (await storage.get<JobRecord>(namespaces[state], id))?.value ?? job.record;
      }
    }
    for (const key of await listAll(storage, ns.results(backend))) entry(key.slice(0, 24), backend).resultKeys.push(key);
    for (const id of await listAll(storage, ns.status(backend))) {
      entry(id, backend).status = (await storage.get<StatusRecord>(ns.status(backend), id))?.value;
    }
  }
  return jobs;
}

/** The spooler events (`event` field) of every log file in the directory. */
export async function readEvents(logDir: string): Promise<SpoolerEvent[]> {
  const events: SpoolerEvent[] = [];
  for (const name of await readdir(logDir)) {
    if (!name.startsWith('spooler-') || !name.endsWith('.log')) continue;
    for (const line of (await readFile(join(logDir, name), 'utf8')).split('\n')) {
      if (!line.includes('"event"')) continue;
      try {
        const parsed = JSON.parse(line) as SpoolerEvent;
        if (typeof parsed.event === 'string') events.push(parsed);
      } catch {
        // a line cut short by SIGKILL
      }
    }
  }
  return events;
}
