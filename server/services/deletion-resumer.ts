// Finishes account deletions that nobody asked again about: one that answered 202 (jobs still running, stopped by
// their spoolers since) or was cut short by a crash or a storage outage. Without this the account stayed disabled,
// its data kept, until an admin happened to send the DELETE again.
import type { Logger } from '../../config/logger.ts';
import type { AccountDeletion } from './account-deletion.ts';
import { PeriodicTask, type PeriodicTaskOptions } from './periodic-task.ts';

/** Deletions taken up per run; the rest wait for the next run, which goes on after the last one taken up. */
export const DELETIONS_PER_RUN = 100;

export class DeletionResumer {
  private readonly task: PeriodicTask;
  /**
   * The last marker the previous run took up: a run starting from the first marker each time would, with more than
   * a run's worth of deletions waiting for long jobs, never reach those after them.
   */
  private after: string | undefined;

  constructor(
    private readonly deletion: Pick<AccountDeletion, 'pending' | 'resume'>,
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
    const usernames = await this.deletion.pending(DELETIONS_PER_RUN, this.after);
    // A short page reached the last marker: the next run starts from the first again.
    this.after = usernames.length < DELETIONS_PER_RUN ? undefined : usernames.at(-1);
    for (const username of usernames) {
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
