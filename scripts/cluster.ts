// `qspool serve --workers N`: a primary process forks N servers onto one listening port (node:cluster gives each new
// connection to a worker in turn) and serves nothing itself. Every worker opens the store and serves as a replica
// behind a load balancer would: rate limits, quotas, the notification dispatcher and the store's write lock are
// shared through the store already. The primary restarts a worker that dies, stops them all on SIGTERM or SIGINT,
// and gathers the cluster's metrics for whichever worker is asked for them (server/metrics/cluster.ts).
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../config/logger.ts';
import { answerMetricsRequests } from '../server/metrics/cluster.ts';
import { stopAndExit } from './runtime.ts';

/** Carries a worker's slot (0 … N−1) into it; a restarted worker keeps its slot. */
const WORKER_SLOT_ENV = 'QSPOOL_WORKER_SLOT';
const SHUTDOWN = 'qspool:shutdown';
/** A worker that dies this soon after it started is restarted after a growing delay (a crash loop). */
const STEADY_AFTER_MS = 10_000;
const FIRST_RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
/**
 * How long workers get to finish their requests (each has 10 s: server/index.ts) and close the store before they are
 * killed; within TimeoutStopSec of deploy/qspool-server@.service (20 s), so the primary, not systemd, ends them.
 */
export const STOP_DEADLINE_MS = 15_000;

interface Slot {
  worker: Worker;
  startedAt: number;
  listening: boolean;
  restartDelayMs: number;
}

/** This process's slot when it is a worker of the cluster, else undefined. */
export function workerSlot(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const slot = Number(process.env[WORKER_SLOT_ENV]);
  return Number.isInteger(slot) && slot >= 0 ? slot : undefined;
}

/** Forks the workers; resolves with the port they share once every one of them listens. */
export function runPrimary(workers: number, logger: Logger): Promise<number> {
  const log = logger.child({ component: 'cluster' });
  const slots = new Map<number, Slot>();
  let stopping = false;
  // The first start must bring every worker up: a worker that dies before it listens (a port in use, a store it
  // cannot open) would die again in a restart loop, so the whole start fails instead.
  let started = false;
  let ready: (port: number) => void;
  const listeningOn = new Promise<number>((resolve) => (ready = resolve));

  const fork = (slot: number, restartDelayMs = FIRST_RESTART_DELAY_MS) => {
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) });
    slots.set(slot, { worker, startedAt: Date.now(), listening: false, restartDelayMs });
    log.info({ slot, pid: worker.process.pid }, 'worker forked');
    worker.on('listening', (address) => {
      slots.get(slot)!.listening = true;
      if (stopping) {
        // Asked to stop while it was starting: it can hear that only now (see stop).
        askToStop(worker);
        return;
      }
      if (!started && [...slots.values()].every((s) => s.listening) && slots.size === workers) {
        started = true;
        log.info({ workers, port: address.port }, 'all workers listening');
        ready(address.port);
      }
    });
    worker.on('exit', (code, signal) => {
      const was = slots.get(slot);
      if (was?.worker !== worker) return;
      slots.delete(slot);
      if (stopping) return;
      if (!started) {
        log.error({ slot, code, signal }, 'a worker stopped before it could serve; stopping');
        void stop(1);
        return;
      }
      const steady = Date.now() - was.startedAt >= STEADY_AFTER_MS;
      const delay = steady ? FIRST_RESTART_DELAY_MS : was.restartDelayMs;
      log.error({ slot, pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker died; restarting it');
      setTimeout(() => {
        if (!stopping) fork(slot, steady ? FIRST_RESTART_DELAY_MS : Math.min(delay * 2, MAX_RESTART_DELAY_MS));
      }, delay);
    });
  };

  const askToStop = (worker: Worker) => {
    if (worker.isConnected()) worker.send({ type: SHUTDOWN });
  };

  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const running = [...slots.values()].map((slot) => slot.worker);
    const exited = running.map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))));
    // A worker takes this message only once it listens for connections (onPrimaryShutdown is installed then); one
    // sent earlier is lost, so a worker still starting is asked when it reports that it listens.
    for (const slot of slots.values()) {
      if (slot.listening) askToStop(slot.worker);
    }
    const deadline = setTimeout(() => {
      log.warn('workers did not stop in time; killing them');
      for (const worker of running) worker.process.kill('SIGKILL');
    }, STOP_DEADLINE_MS);
    await Promise.all(exited);
    clearTimeout(deadline);
    process.exit(exitCode);
  };

  answerMetricsRequests();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        // A second signal: no more waiting.
        for (const slot of slots.values()) slot.worker.process.kill('SIGKILL');
        process.exit(130);
      }
      log.info({ signal }, 'shutting down the workers');
      void stop(0);
    });
  }
  for (let slot = 0; slot < workers; slot += 1) fork(slot);
  return listeningOn;
}

/**
 * In a worker: stops when the primary says so, or when the primary is gone. Signals are ignored: Ctrl-C reaches the
 * whole process group, and the primary stops every worker itself.
 */
export function onPrimaryShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const run = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    stopAndExit(logger, stop);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);
  process.on('message', (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type === SHUTDOWN) run('the primary asked');
  });
  process.on('disconnect', () => run('the primary is gone'));
}
