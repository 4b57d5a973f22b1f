// WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit that crosses its threshold,
// on the committing thread: it copies the WAL's pages into the database and fsyncs both, 5–20 ms here, every few
// hundred jobs, during which a server answers nobody. A worker thread with its own connection runs passive checkpoints
// instead (they never block readers or writers); the store's own connection keeps a far higher automatic threshold,
// so the WAL stays bounded even if this thread falls behind or dies.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Pages the WAL may hold before the committing connection checkpoints by itself (the safety net: ~40 MB). */
export const FALLBACK_CHECKPOINT_PAGES = 10_000;
const EVERY_MS = 250;
/**
 * A thread that could not start (no file descriptor left for its connection or its event loop, the store's file gone
 * for a moment) is started again by a commit this long after, at the soonest, so the store recovers its checkpoints
 * by itself once the cause is gone, without starting a thread per commit while it lasts.
 */
const RESTART_AFTER_MS = 1000;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

// CommonJS, evaluated in the worker; the driver's path comes from here, so it resolves wherever qspool is installed.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another process's checkpoint) or the store unusable: the store's own connection reports that.
  }
}, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  private worker: Worker | undefined;
  private restartAt = 0;

  constructor(private readonly path: string) {}

  /** Starts the thread on the first write (a process that only reads needs none), and again after it died. */
  ensureRunning(): void {
    if (this.worker || Date.now() < this.restartAt) return;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path: this.path, everyMs: EVERY_MS } });
    // Meanwhile commits fall back to SQLite's own checkpoints (FALLBACK_CHECKPOINT_PAGES).
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.restartAt = Date.now() + RESTART_AFTER_MS;
    });
    worker.unref();
    this.worker = worker;
  }

  stop(): void {
    this.worker?.postMessage('close');
    this.worker = undefined;
  }
}
