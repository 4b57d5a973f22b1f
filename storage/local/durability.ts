// Group durability: one fsync of the WAL makes every commit written before it durable, so callers that committed
// while an fsync was already running share the next one. At most one fsync runs and at most one waits.
// The flush is fdatasync, as SQLite's and PostgreSQL's own WAL flushes are on Linux: it writes the data and whatever
// metadata reading it back needs (the size, when the WAL grew), but not the modification time, which would cost a
// file-system journal commit on every flush of a WAL that is overwritten in place.
import { fdatasync } from 'node:fs';
import { promisify } from 'node:util';

const flush = promisify(fdatasync);

export class WalSync {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  /** fsyncs issued, for the benchmark's per-job figures. */
  count = 0;

  constructor(private readonly fd: () => number) {}

  /** Resolves once everything committed before this call is on stable storage. */
  sync(): Promise<void> {
    if (!this.running) {
      this.count += 1;
      this.running = flush(this.fd()).finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // The running fsync may have started before the caller's commit: wait for it, then for one more.
    this.next ??= this.running.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.next;
  }

  private startNext(): Promise<void> {
    this.next = undefined;
    return this.sync();
  }
}
