// Finishes account deletions that nobody asked again about: one that answered 202 (jobs still running, stopped by
// their spoolers since) or was cut short by a crash or a storage outage. Without this the account stayed disabled,
// its data kept, until an admin happened to send the DELETE again.
import type { Logger } from '../../config/logger.ts';
import type { AccountDeletion } from './account-deletion.ts';
import { PeriodicTask, type PeriodicTaskOptions } from './periodic-task.ts';

/** Deletions taken up per run; the rest wait for the next run. */
const PER_RUN = 100;

export class DeletionResumer {
  private readonly task: PeriodicTask;

  constructor(
    private readonly deletion: AccountDeletion,
    options: PeriodicTaskOptions & { log?: Logger },
  ) {
    const log = options.log;
    this.task = new PeriodicTask(
      () => this.runOnce(log).then(() => undefined, (error: unknown) => log?.warn({ err: error }, 'listing the user deletions under way failed; the next run tries again')),
      options,
    );
  }

  start(): void {
    this.task.start();
  }

  close(): Promise<void> {
    return this.task.close();
  }

  /** One run over the deletions under way; how many finished. */
  async runOnce(log?: Logger): Promise<number> {
    let finished = 0;
    for (const username of await this.deletion.pending(PER_RUN)) {
      if (this.task.closed) break;
      const outcome = await this.deletion.resume(username).catch((error: unknown) => {
        log?.warn({ err: error, user: username }, 'resuming a user deletion failed; the next run tries again');
        return undefined;
      });
      if (outcome?.done) {
        finished += 1;
        log?.info({ user: username }, 'user deletion finished');
      } else if (outcome) log?.debug({ user: username, remaining: outcome.remaining }, 'user deletion still waiting for jobs to end');
    }
    return finished;
  }
}
