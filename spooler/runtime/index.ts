// External runtimes: any backend's jobs handed to a command the operator configures (the lab's hardware control, in
// any language). The spooler still validates, leases, cancels and publishes; the runtime only runs experiments.
// Every run is recorded on the job (meta.runtime); every way a runtime can fail ends the job with ERROR and a
// message saying which, and the spooler carries on with the next job.
import { createHash } from 'node:crypto';
import { constants } from 'node:os';
import { RUNTIME_ENV } from '../../config/index.ts';
import type { Experiment, Job } from '../../schemas/job.ts';
import { RUNTIME_STDERR_TAIL_BYTES } from '../../schemas/native.ts';
import type { BackendDefinition, ExperimentData } from '../backend.ts';
import { runCommand, type CommandOutcome } from './process.ts';
import { PROTOCOL, RuntimeOutputError, parseRuntimeOutput, type RuntimeRequest } from './protocol.ts';

export interface RuntimeSettings {
  command: string;
  timeoutMs: number;
  /** SIGTERM first, SIGKILL this much later (default 2 s). */
  killGraceMs?: number;
  /** Default 64 MiB; see outputBound. */
  maxStdoutBytes?: number;
}

const DEFAULT_OUTPUT_BOUND = 64 * 1024 * 1024;

/**
 * What a runtime may print for a backend whose results may reach `maxResultBytes` (QSPOOL_MAX_RESULT_BYTES, an
 * estimate of 4 bytes per wire and shot): its JSON spends at most 7 bytes per wire and shot (three digits, a space,
 * quotes and a comma), so twice the bound and a megabyte for the rest; never less than the default.
 */
export function outputBound(maxResultBytes: number): number {
  return Math.max(DEFAULT_OUTPUT_BOUND, 2 * maxResultBytes + 1024 * 1024);
}

/** What the job record keeps about a run (JobRecord.meta.runtime). */
export interface RuntimeRecord {
  id: string;
  command: string;
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stderrTail: string;
  startedAt: string;
  endedAt: string;
}

export interface RuntimeOutcome {
  record: RuntimeRecord;
  /** One line for the job's history. */
  line: string;
  data?: Record<string, ExperimentData>;
  /** Why the run failed, in words; absent on success. */
  failure?: string;
}

/** A failed run; the spooler ends the job with ERROR and this message, or retries it when its policy says so. */
export class RuntimeFailure extends Error {
  constructor(
    message: string | undefined,
    /** How the run ended (exit code, timeout), which decides whether the backend's retry policy retries it. */
    readonly run?: RuntimeRecord,
  ) {
    super(message);
  }
}

/** qspool's own settings and storage credentials stay with qspool; the rest of the environment is passed on. */
const PRIVATE_ENV = /^(QSPOOL_|AWS_|MONGODB_|DROPBOX_)/;

/** How the command ended; a shell reports a child killed by signal n as exit code 128 + n. */
function ending(outcome: CommandOutcome): string {
  if (outcome.exitSignal) return `was stopped by ${outcome.exitSignal}`;
  const signal = Object.entries(constants.signals).find(([, n]) => outcome.exitCode === 128 + n)?.[0];
  return `exited with code ${outcome.exitCode}${signal ? ` (${signal})` : ''}`;
}

/** The last lines of stderr, short enough for an error message. */
function lastWords(stderr: string): string {
  const text = stderr.trim().split('\n').slice(-3).join(' | ');
  return text.length > 300 ? `…${text.slice(-300)}` : text;
}

export class ExternalRuntime {
  /** The backend and a digest of the command: which configuration ran a job, stable across restarts. */
  readonly id: string;

  constructor(
    readonly backend: string,
    private readonly settings: RuntimeSettings,
  ) {
    this.id = `${backend}-${createHash('sha256').update(settings.command).digest('hex').slice(0, 12)}`;
  }

  /**
   * Runs the command once for the job; rejects only when `signal` aborts (the command is killed then). `largestOutcome`
   * is the backend's (BackendDefinition.largestOutcome): a memory entry beyond it fails the run.
   */
  async run(jobId: string, job: Job, options: { signal?: AbortSignal; largestOutcome?: number } = {}): Promise<RuntimeOutcome> {
    const { signal } = options;
    const { command, timeoutMs } = this.settings;
    const request: RuntimeRequest = { protocol: PROTOCOL, job_id: jobId, backend: this.backend, runtime_id: this.id, timeout_ms: timeoutMs, job };
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !PRIVATE_ENV.test(key)));
    const outcome = await runCommand({
      command,
      stdin: JSON.stringify(request),
      env: { ...env, [RUNTIME_ENV.jobId]: jobId, [RUNTIME_ENV.backend]: this.backend, [RUNTIME_ENV.runtimeId]: this.id, [RUNTIME_ENV.timeoutMs]: String(timeoutMs) },
      timeoutMs,
      killGraceMs: this.settings.killGraceMs ?? 2000,
      maxStdoutBytes: this.maxStdoutBytes,
      stderrTailBytes: RUNTIME_STDERR_TAIL_BYTES,
      ...(signal ? { signal } : {}),
    });
    const record: RuntimeRecord = {
      id: this.id,
      command,
      pid: outcome.pid,
      exitCode: outcome.exitCode,
      signal: outcome.exitSignal,
      timedOut: outcome.timedOut,
      stderrTail: outcome.stderrTail,
      startedAt: outcome.startedAt,
      endedAt: outcome.endedAt,
    };
    const seconds = ((Date.parse(outcome.endedAt) - Date.parse(outcome.startedAt)) / 1000).toFixed(2);
    const heldOpen = outcome.outputHeldOpen ? '; a process it started outside its process group still held its output open' : '';
    const line = `Runtime ${this.id} ${ending(outcome)} after ${seconds} s${heldOpen}.`;
    const verdict = this.interpret(outcome, job, options.largestOutcome);
    return 'failure' in verdict ? { record, line, failure: `runtime ${this.id} ${verdict.failure}` } : { record, line, data: verdict.data };
  }

  private interpret(outcome: CommandOutcome, job: Job, largestOutcome: number | undefined): { data: Record<string, ExperimentData> } | { failure: string } {
    const stderr = lastWords(outcome.stderrTail);
    const said = stderr ? `: ${stderr}` : '';
    if (outcome.spawnError) return { failure: `could not be started: ${outcome.spawnError}` };
    if (outcome.timedOut) return { failure: `did not finish within ${this.settings.timeoutMs / 1000} s and was killed with its process group${said}` };
    if (outcome.overflow) return { failure: `printed more than ${this.maxStdoutBytes} bytes and was killed${said}` };
    const clean = outcome.exitCode === 0 && !outcome.exitSignal;
    const ended = `${ending(outcome)}${said}`;
    try {
      const data = parseRuntimeOutput(outcome.stdout, job, largestOutcome);
      return clean ? { data } : { failure: ended };
    } catch (error) {
      if (!(error instanceof RuntimeOutputError)) throw error;
      // A runtime that says why it failed is quoted; otherwise a crash is reported by how it ended, and output that is
      // no result by what is wrong with it, with what the runtime said on stderr (a traceback) either way.
      if (error.reported) return { failure: error.message };
      return { failure: clean ? `${error.message}${said}` : ended };
    }
  }

  private get maxStdoutBytes(): number {
    return this.settings.maxStdoutBytes ?? DEFAULT_OUTPUT_BOUND;
  }
}

/** The backend with its jobs run by `runtime` instead of its own code (qubit mode verbatim, hardware). */
export function withRuntime(backend: BackendDefinition, runtime: ExternalRuntime): BackendDefinition {
  const compile = backend.compile ?? ((experiment: Experiment) => experiment);
  return {
    ...backend,
    async runJob(job, context) {
      context.checkpoint();
      const compiled = Object.fromEntries(Object.entries(job).map(([name, experiment]) => [name, compile(experiment)]));
      const outcome = await runtime.run(context.jobId, compiled, {
        ...(context.signal ? { signal: context.signal } : {}),
        ...(backend.largestOutcome === undefined ? {} : { largestOutcome: backend.largestOutcome }),
      });
      await context.note?.(outcome.line, { runtime: outcome.record });
      if (outcome.failure !== undefined || !outcome.data) throw new RuntimeFailure(outcome.failure, outcome.record);
      return outcome.data;
    },
  };
}
