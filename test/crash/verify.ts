// The verdict on a run: every acknowledged job exactly once in exactly one state namespace, a final state, its
// status projection agreeing, one result for DONE jobs, attempts counted; and nothing run twice to completion.
// "Run twice to completion" is looked for three independent ways: two `job.done` events in the spooler logs, two
// "Simulation done." lines in the job's history, or a result document of another attempt that survives although
// nothing explains it (an attempt may leave one only when its spooler was killed, paused past its lease, or gave
// the job up because storage failed while settling it — each of which is in the evidence).
import type { Kill } from './cluster.ts';
import type { JobEvidence, SpoolerEvent } from './evidence.ts';

export interface Expectations {
  /** Race phase: nobody is killed, so every job is claimed and executed exactly once. */
  exactlyOnce?: boolean;
  /** Jobs cancelled while queued: must never have been claimed or executed. */
  cancelledQueued?: string[];
  /** Jobs cancelled while running: must end CANCELLED, stopped while running. */
  cancelledRunning?: string[];
  /** What clients saw through the API at the end, by job id. */
  apiStatus?: Map<string, string>;
}

export interface VerifyInput {
  acknowledged: string[];
  jobs: Map<string, JobEvidence>;
  events: SpoolerEvent[];
  kills: Kill[];
  /** Spooler pids paused (SIGSTOP) past their lease: they may leave a fenced-out result, like killed ones. */
  paused?: number[];
  leaseMs: number;
  pollMs: number;
  slackMs: number;
  maxAttempts: number;
  expect?: Expectations;
}

export interface Recovery {
  jobId: string;
  killedAt: number;
  /** Kill until another spooler took the job back (requeued it), ms. */
  requeueMs?: number;
  /** Kill until the job reached its final state, ms. */
  finishMs?: number;
}

export interface Verdict {
  acknowledged: number;
  done: number;
  errored: number;
  cancelled: number;
  lost: number;
  duplicated: number;
  stuck: number;
  /** Jobs that exist although post_job never acknowledged them (the server died before answering). */
  unacknowledged: number;
  orphanResults: number;
  recoveries: Recovery[];
  violations: string[];
}

const CLAIM = /^Claimed by (.+) \(attempt (\d+)\)\.$/;
const HOLDER_PID = /-(\d+)-[0-9a-f]{4}$/;
const TERMINAL_EVENTS = new Set(['job.done', 'job.error', 'job.cancelled', 'job.released', 'job.lease_lost', 'job.abandoned']);

/** Attempt number → pid of the spooler that claimed it, from the job's history. */
function claims(record: JobEvidence['record']): Map<number, number> {
  const holders = new Map<number, number>();
  for (const line of record?.detail ?? []) {
    const match = CLAIM.exec(line);
    if (match) holders.set(Number(match[2]), Number(HOLDER_PID.exec(match[1]!)?.[1] ?? -1));
  }
  return holders;
}

function countLines(record: JobEvidence['record'], pattern: RegExp): number {
  return (record?.detail ?? []).filter((line) => pattern.test(line)).length;
}

export function verify(input: VerifyInput): Verdict {
  const { jobs, expect = {} } = input;
  const violations: string[] = [];
  const flag = (id: string, problem: string) => violations.push(`${id}: ${problem}`);
  const byJob = new Map<string, SpoolerEvent[]>();
  for (const event of input.events) if (event.jobId) byJob.set(event.jobId, [...(byJob.get(event.jobId) ?? []), event]);
  const killedAt = new Map(input.kills.filter((k) => k.role === 'spooler').map((k) => [k.pid, k.at]));
  const unfenced = new Set([...killedAt.keys(), ...(input.paused ?? [])]);
  const acknowledged = new Set(input.acknowledged);
  const verdict: Verdict = {
    acknowledged: acknowledged.size, done: 0, errored: 0, cancelled: 0, lost: 0, duplicated: 0, stuck: 0,
    unacknowledged: 0, orphanResults: 0, recoveries: [], violations,
  };

  for (const id of acknowledged) if (!jobs.get(id)?.states.length) {
    verdict.lost += 1;
    flag(id, 'acknowledged but in no state namespace (lost)');
  }
  for (const job of jobs.values()) {
    const { id, record } = job;
    if (job.states.length === 0) {
      if (job.resultKeys.length > 0 && acknowledged.has(id)) flag(id, 'results without a job');
      continue;
    }
    if (!acknowledged.has(id)) verdict.unacknowledged += 1;
    if (job.states.length > 1) flag(id, `in ${job.states.length} state namespaces: ${job.states.join(', ')}`);
    if (!record) continue;
    const events = byJob.get(id) ?? [];
    const state = record.state;
    if (state === 'QUEUED' || state === 'RUNNING') {
      verdict.stuck += 1;
      flag(id, `stuck in ${state}`);
    } else if (acknowledged.has(id)) {
      if (state === 'DONE') verdict.done += 1;
      else if (state === 'ERROR') verdict.errored += 1;
      else verdict.cancelled += 1;
    }
    if (job.status?.status !== state || job.status.seq !== record.seq) {
      flag(id, `status projection says ${job.status?.status} (seq ${job.status?.seq}), the job is ${state} (seq ${record.seq})`);
    }
    const seen = expect.apiStatus?.get(id);
    if (seen !== undefined && seen !== state) flag(id, `clients see ${seen}, the job is ${state}`);

    // Results: the official one exists for DONE jobs; any other must be explained, or the job ran twice.
    const holders = claims(record);
    if (state === 'DONE' && (!record.resultKey || !job.resultKeys.includes(record.resultKey))) flag(id, 'DONE without its result document');
    let twice = events.filter((e) => e.event === 'job.done').length > 1 || countLines(record, /^(Simulation|Runtime) done\.$/) > 1;
    for (const key of job.resultKeys) {
      if (key === record.resultKey) continue;
      const attempt = Number(/-a(\d+)$/.exec(key)?.[1]);
      const gaveUp = events.some((e) => e.attempt === attempt && ['job.lease_lost', 'job.abandoned'].includes(e.event));
      if (unfenced.has(holders.get(attempt) ?? -1) || gaveUp) verdict.orphanResults += 1;
      else twice = true;
    }
    if (twice) {
      verdict.duplicated += 1;
      flag(id, 'run twice to completion');
    }

    // Attempts: one per claim, minus the claims handed back on shutdown, and never past the limit.
    const claimed = countLines(record, CLAIM);
    const released = countLines(record, /^Released by a stopping spooler\.$/);
    if (record.attempts !== claimed - released) flag(id, `attempts ${record.attempts}, but ${claimed} claims and ${released} releases`);
    if (record.attempts > input.maxAttempts) flag(id, `attempts ${record.attempts} > maxAttempts ${input.maxAttempts}`);

    if (expect.exactlyOnce) {
      const executions = events.filter((e) => TERMINAL_EVENTS.has(e.event)).length;
      if (claimed !== 1 || executions !== 1 || job.resultKeys.length !== 1) {
        flag(id, `expected one execution: ${claimed} claims, ${executions} executions, ${job.resultKeys.length} results`);
      }
    }

    // Recovery of jobs whose spooler was killed while holding them.
    for (const [attempt, pid] of holders) {
      const at = killedAt.get(pid);
      if (at === undefined || (attempt === record.attempts && state !== 'ERROR')) continue;
      const requeues = input.events.filter((e) => e.event === 'jobs.requeued' && e.jobs?.includes(id));
      // A spooler killed between taking the job back and logging it (the rest of its sweep) left only its intent,
      // which counts when the job's history shows this attempt's lease was the one taken back.
      const requeued = requeues.find((e) => e.time >= at) ?? (countLines(record, new RegExp(`the lease of attempt ${attempt} expired`)) > 0
        ? events.find((e) => e.event === 'job.reclaiming' && e.time >= at)
        : undefined);
      // Taken back before the kill (its spooler had been frozen past the lease): nothing left to recover.
      if (!requeued && requeues.length > 0) continue;
      const finished = Date.parse(record.timestamps[state] ?? '');
      const recovery: Recovery = { jobId: id, killedAt: at, ...(requeued ? { requeueMs: requeued.time - at } : {}), ...(finished >= at ? { finishMs: finished - at } : {}) };
      verdict.recoveries.push(recovery);
      const bound = input.leaseMs + input.pollMs + input.slackMs;
      if (recovery.requeueMs === undefined) flag(id, `held by killed spooler ${pid}, but no spooler logged taking it back`);
      else if (recovery.requeueMs > bound) flag(id, `taken back ${recovery.requeueMs} ms after its spooler was killed (bound ${bound} ms)`);
    }
  }

  for (const id of expect.cancelledQueued ?? []) {
    const job = jobs.get(id);
    if (job?.record?.state !== 'CANCELLED') flag(id, `cancelled while queued, but ${job?.record?.state}`);
    if (claims(job?.record).size > 0 || job?.resultKeys.length || byJob.has(id)) flag(id, 'cancelled while queued, but it ran');
  }
  for (const id of expect.cancelledRunning ?? []) {
    const record = jobs.get(id)?.record;
    if (record?.state !== 'CANCELLED' || countLines(record, /^Cancelled while running\.$/) !== 1) flag(id, `cancelled while running, but ${record?.state}`);
    if (jobs.get(id)?.resultKeys.length) flag(id, 'cancelled while running, but a result was published');
  }
  return verdict;
}
