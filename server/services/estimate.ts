// Dry runs: what a job would cost on a backend, answered without queueing it. Run time comes from the backend's
// run-time model (run-time-model.ts) fitted to its recently finished jobs; queue wait from the jobs a spooler would
// take before it (in scheduling order) and those running now, at the backend's recent run times, shared among its
// live spoolers; result size from the same estimate the work bounds use. Every request does bounded work: at most KEY_BUDGET keys listed and HISTORY
// records read for the history (which is then kept, so later requests read only jobs finished since), and at most
// MAX_COUNTED queued keys and MAX_RUNNING running records for the queue.
import { estimatedResultBytes, type ExperimentShape } from '../../schemas/work-limits.ts';
import { ns, type JobRecord } from '../../storage/records.ts';
import { MAX_PRIORITY, nextStart, scheduleNs } from '../../storage/schedule.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import { entriesAhead } from '../../storage/entries-ahead.ts';
import type { BackendService, ResolvedBackend } from './backends.ts';
import { fitRunTime, jobSize, type JobSize, type RunSample, type RunTimeModel } from './run-time-model.ts';

/** The finished jobs a model is fitted to: the most recent ones seen. */
export const HISTORY = 50;
/** Keys of finished jobs listed per request while catching up with the history. */
const KEY_BUDGET = 5000;
const PAGE = 1000;
/** A backend's history starts with the jobs created this recently (job ids begin with their creation time). */
const LOOKBACK_MS = 7 * 24 * 3600 * 1000;
/** Queued jobs counted for the wait; a deeper queue reports this many. */
const MAX_COUNTED = 10_000;
const MAX_RUNNING = 100;

export interface JobEstimate {
  size: JobSize;
  model: RunTimeModel;
  runSeconds: number | null;
  queued: number;
  running: number;
  spoolers: number;
  waitSeconds: number | null;
  resultBytes: number;
}

/** Whose job it would be, at which priority and fair-share weight: what decides its place in the schedule. */
export interface Submitter {
  owner: string;
  priority: number;
  /** The owner's fair-share weight; 1 when absent. */
  weight?: number;
}

interface History {
  /** The last finished key listed; later requests list only after it. */
  cursor: string;
  samples: RunSample[];
  /** The refresh under way, which concurrent requests share. */
  refreshing?: Promise<void>;
}

/**
 * Finished keys are listed in id (creation) order, so a job that finishes after a newer one was already listed is
 * not seen; the history is a sample of recent run times, and losing a few of them does not bias it.
 */
function sampleOf(backend: ResolvedBackend, record: JobRecord): RunSample | undefined {
  const { RUNNING: started, DONE: ended } = record.timestamps;
  if (!started || !ended || record.payload === null || typeof record.payload !== 'object') return undefined;
  return { size: jobSize(backend.config, record.payload as Record<string, unknown>), seconds: (Date.parse(ended) - Date.parse(started)) / 1000 };
}

export class EstimateService {
  private readonly histories = new Map<string, History>();

  constructor(private readonly backends: BackendService) {}

  /** The estimate for a job that passed the backend's checks (JobService.check). */
  async estimate(backend: ResolvedBackend, payload: Record<string, unknown>, submitter: Submitter): Promise<JobEstimate> {
    const model = fitRunTime(await this.history(backend));
    const size = jobSize(backend.config, payload);
    const [queued, running, spoolers] = await Promise.all([this.countAhead(backend, submitter), this.running(backend), this.backends.liveSpoolers(backend)]);
    const now = Date.now();
    // A running job has what the model expects of it left, less what it has run already (never below nothing).
    let runningLeft = 0;
    for (const record of running) {
      const ranSeconds = record.timestamps.RUNNING ? (now - Date.parse(record.timestamps.RUNNING)) / 1000 : 0;
      runningLeft += Math.max(0, (model.predict(jobSize(backend.config, record.payload as Record<string, unknown>)) ?? 0) - ranSeconds);
    }
    const idle = queued === 0 && running.length === 0;
    const waitSeconds = idle ? 0 : model.meanSeconds === null ? null : (queued * model.meanSeconds + runningLeft) / Math.max(1, spoolers);
    return {
      size,
      model,
      runSeconds: model.predict(size),
      queued,
      running: running.length,
      spoolers,
      waitSeconds,
      resultBytes: estimatedResultBytes(Object.values(payload) as ExperimentShape[]),
    };
  }

  /** The backend's recent run samples, brought up to date (within this request's budget). */
  private async history(backend: ResolvedBackend): Promise<RunSample[]> {
    const key = `${backend.provider}/${backend.display}`;
    let history = this.histories.get(key);
    if (!history) {
      history = { cursor: (Date.now() - LOOKBACK_MS).toString(16).padStart(12, '0'), samples: [] };
      this.histories.set(key, history);
    }
    const current = history;
    current.refreshing ??= this.refresh(backend, current).finally(() => (current.refreshing = undefined));
    await current.refreshing;
    return current.samples;
  }

  private async refresh(backend: ResolvedBackend, history: History): Promise<void> {
    const { storage } = backend.site;
    const namespace = ns.finished(backend.display);
    let newest: string[] = [];
    for (let listed = 0; listed < KEY_BUDGET; ) {
      const page = await storage.list(namespace, { after: history.cursor, limit: PAGE });
      listed += page.length;
      newest = [...newest, ...page].slice(-HISTORY);
      if (page.length > 0) history.cursor = page[page.length - 1]!;
      if (page.length < PAGE) break;
    }
    const records = await Promise.all(newest.map((id) => storage.get<JobRecord>(namespace, id)));
    const fresh = records.flatMap((found) => (found ? (sampleOf(backend, found.value) ?? []) : []));
    history.samples = [...history.samples, ...fresh].slice(-HISTORY);
  }

  /**
   * The queued jobs a spooler would take before a new job of the submitter's. Where the provider schedules
   * (storage/schedule.ts: every provider but the sqooler layouts), the entries that sort before the place the job
   * would get: every higher band, and in its own band the jobs with an earlier or equal virtual start (fair share);
   * aging can still lift an old lower-priority job ahead, and jobs queued before scheduling existed (no entry) go
   * first; both are left out. On a sqooler layout the queue is first come, first served: every queued job is ahead.
   */
  private async countAhead(backend: ResolvedBackend, submitter: Submitter): Promise<number> {
    const { storage } = backend.site;
    if (backend.site.lifecycle instanceof JobLifecycle) {
      const band = MAX_PRIORITY - submitter.priority;
      const clock = await storage.get<{ v: number }>(scheduleNs.clocks(backend.display), `b${band}`);
      const previous = await storage.get<{ v: number }>(scheduleNs.users(backend.display, band), submitter.owner);
      // The start enqueue would give the job (schedule.ts): one step of the submitter's weight after their latest.
      const start = nextStart(clock?.value.v, previous?.value.v, submitter.weight);
      // 'g' sorts after every hex digit: all entries of the same start, which are older, come first.
      return entriesAhead(storage, backend.display, `${band}${start.toString(16).padStart(12, '0')}g`, Date.now(), MAX_COUNTED);
    }
    let count = 0;
    for (let after: string | undefined; count < MAX_COUNTED; ) {
      const page = await storage.list(ns.queued(backend.display), { limit: PAGE, ...(after ? { after } : {}) });
      count += page.length;
      if (page.length < PAGE) break;
      after = page[page.length - 1];
    }
    return Math.min(count, MAX_COUNTED);
  }

  private async running(backend: ResolvedBackend): Promise<JobRecord[]> {
    const { storage } = backend.site;
    const ids = await storage.list(ns.running(backend.display), { limit: MAX_RUNNING });
    const found = await Promise.all(ids.map((id) => storage.get<JobRecord>(ns.running(backend.display), id)));
    return found.flatMap((record) => (record ? [record.value] : []));
  }
}
