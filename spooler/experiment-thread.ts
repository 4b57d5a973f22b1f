// Runs a backend's experiments in a worker thread, so a long synchronous simulation cannot starve the spooler's
// event loop: lease renewals and cancel checks keep their schedule however long an experiment computes, and an
// abandoned job (cancelled, lease lost, shutdown) is stopped at once by terminating the thread. One persistent
// thread per spooler; a terminated one is replaced when the next experiment starts.
import { Worker } from 'node:worker_threads';
import type { Experiment } from '../schemas/job.ts';
import { InvalidJobError } from '../schemas/errors.ts';
import type { ExperimentData } from './backend.ts';

/** Where the thread finds the backend: a module and an export that is a BackendDefinition or a factory of one. */
export interface BackendLocator {
  module: string;
  exportName: string;
  args?: unknown[];
}

export interface ExperimentRequest {
  jobId: string;
  name: string;
  experiment: Experiment;
  maxHilbertDimension: number;
}

export type ExperimentReply =
  | { ok: true; data: ExperimentData }
  | { ok: false; error: { name: string; message: string; details?: unknown } };

/** What the thread says once it has loaded the backend, before any reply. */
export interface ThreadReady {
  ready: true;
}

/**
 * A thread ended before it had loaded the backend (a module gone missing, a factory that throws, no memory for a new
 * thread): no fault of the job it was to run, which the spooler hands back to the queue.
 */
export class ThreadUnavailableError extends Error {
  constructor(cause: string) {
    super(`the experiment thread could not load the backend: ${cause}`);
  }
}

interface Pending {
  resolve(data: ExperimentData): void;
  reject(error: Error): void;
}

/** Errors cross the thread boundary as plain data; invalid jobs keep their type so they are reported as such. */
function revive(error: { name: string; message: string; details?: unknown }): Error {
  if (error.name === 'InvalidJobError') return new InvalidJobError(error.message, error.details);
  // The kind survives the thread (execute.ts names the experiment of a simulator's RangeError).
  return Object.assign(new Error(error.message), { name: error.name });
}

export class ExperimentThread {
  private worker: Worker | undefined;
  /** Settles when the current worker has loaded the backend, or could not. */
  private loaded: Promise<void> | undefined;
  private pending: Pending | undefined;

  constructor(private readonly locator: BackendLocator) {}

  run(request: ExperimentRequest): Promise<ExperimentData> {
    if (this.pending) return Promise.reject(new Error('the experiment thread is busy'));
    if (!this.worker) this.spawn();
    const worker = this.worker!;
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      worker.postMessage(request);
    });
  }

  /**
   * Starts the thread ahead of the first experiment (loading a backend can take a while); resolves once it has loaded
   * the backend, rejects with ThreadUnavailableError if it could not.
   */
  warm(): Promise<void> {
    if (!this.worker) this.spawn();
    return this.loaded!;
  }

  /** Stops the experiment in progress, even mid-computation; run() rejects with `reason`. Idle: does nothing. */
  abort(reason: Error): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    void this.worker?.terminate();
    this.worker = undefined;
    pending.reject(reason);
  }

  async close(): Promise<void> {
    this.abort(new Error('the experiment thread was closed'));
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private spawn(): void {
    const worker = new Worker(new URL('./experiment-worker.mjs', import.meta.url), { workerData: this.locator });
    // The spooler's own timers keep the process alive while it works; an idle thread must not.
    worker.unref();
    let ready = false;
    let loaded!: { resolve(): void; reject(error: Error): void };
    this.loaded = new Promise((resolve, reject) => (loaded = { resolve, reject }));
    // Nobody need wait for the load: an experiment sent meanwhile hears of a failure through its own rejection.
    this.loaded.catch(() => undefined);
    const settle = (outcome: ExperimentReply | ThreadReady | Error) => {
      if ('ready' in outcome) {
        ready = true;
        loaded.resolve();
        return;
      }
      if (outcome instanceof Error && !ready) loaded.reject((outcome = new ThreadUnavailableError(outcome.message)));
      if (this.worker !== worker) return;
      const pending = this.pending;
      this.pending = undefined;
      if (outcome instanceof Error) {
        this.worker = undefined;
        pending?.reject(outcome);
      } else if (outcome.ok) pending?.resolve(outcome.data);
      else pending?.reject(revive(outcome.error));
    };
    worker.on('message', (reply: ExperimentReply | ThreadReady) => settle(reply));
    worker.on('error', (error: Error) => settle(new Error(ready ? `the experiment thread failed: ${error.message}` : error.message)));
    worker.on('exit', (code) => settle(new Error(ready ? `the experiment thread exited with code ${code}` : `it exited with code ${code}`)));
    this.worker = worker;
  }
}
