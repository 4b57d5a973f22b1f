// Dead letters as admins see them: jobs that used up their attempts (storage/retries.ts), in `jobs/dead/<backend>`
// of every backend's provider, listed oldest first across backends, inspected, requeued and purged. Providers in
// sqooler's layout keep no dead letters (their lifecycle gives jobs up to `deleted`), so they list none.
import { NotDeadLetteredError, NotFoundError } from '../../schemas/errors.ts';
import { JobLifecycle } from '../../storage/lifecycle.ts';
import type { BackendService, ResolvedBackend } from './backends.ts';
import type { JobService, ServedJob } from './jobs.ts';
import type { User } from './users.ts';

export interface DeadLetterPage {
  jobs: ServedJob[];
  nextAfter: string | null;
}

export class DeadLetterService {
  constructor(
    private readonly jobs: JobService,
    private readonly backends: BackendService,
  ) {}

  /** One page of dead letters in job-id (creation) order, of one backend or all; `after` is the last id of the page before. */
  async list(user: User, options: { backend?: string; after?: string; limit: number }): Promise<DeadLetterPage> {
    const all = await this.backends.list({ includeInactive: true });
    const chosen = options.backend === undefined ? all : all.filter((backend) => backend.name === options.backend);
    // Each backend's first `limit` ids after the cursor; the page is the smallest `limit` of them all.
    const pages = await Promise.all(chosen.map(async (backend) => (await this.idsOf(backend, options)).map((id) => ({ id, backend }))));
    const merged = pages.flat().sort((a, b) => (a.id < b.id ? -1 : 1));
    const page = merged.slice(0, options.limit);
    const records = await Promise.all(page.map(({ id }) => this.jobs.byId(user, id)));
    const jobs = records.filter((record): record is ServedJob => record?.deadLetter !== undefined);
    const more = merged.length > options.limit || pages.some((ids) => ids.length === options.limit);
    return { jobs, nextAfter: more && page.length > 0 ? page.at(-1)!.id : null };
  }

  /** The dead-lettered job; NotFoundError when unknown, NotDeadLetteredError when it is something else. */
  async get(user: User, id: string): Promise<ServedJob> {
    const record = await this.jobs.byId(user, id);
    if (!record) throw new NotFoundError('No such job');
    if (!record.deadLetter) throw new NotDeadLetteredError(id, record.state);
    return record;
  }

  /**
   * Back to the queue with a fresh set of attempts (JobLifecycle.requeue). The lifecycle checks again that it is a dead
   * letter where it moves it: one requeued by another admin since `get` may have run to completion meanwhile.
   */
  async requeue(user: User, id: string): Promise<ServedJob> {
    return this.jobs.requeue(await this.get(user, id), { deadLettered: true });
  }

  /** Every trace of the dead letter; NotDeadLetteredError, nothing removed, when another admin requeued it meanwhile. */
  async purge(user: User, id: string): Promise<void> {
    await this.jobs.purge(await this.get(user, id), { deadLettered: true });
  }

  private async idsOf(backend: ResolvedBackend, options: { after?: string; limit: number }): Promise<string[]> {
    const { lifecycle } = backend.site;
    if (!(lifecycle instanceof JobLifecycle)) return [];
    return lifecycle.listDeadLetters(backend.display, { limit: options.limit, ...(options.after ? { after: options.after } : {}) });
  }
}
