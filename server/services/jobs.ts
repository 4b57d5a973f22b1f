// Jobs as users see them: submission (validated at once against the backend's published schema), and reads that
// honour per-user isolation: another user's job is indistinguishable from an unknown id.
import type { BackendDefinition } from '../../spooler/backend.ts';
import { checkJob } from '../../spooler/execute.ts';
import type { JobLifecycle } from '../../storage/lifecycle.ts';
import type { JobRecord, StatusRecord } from '../../storage/records.ts';
import type { ResolvedBackend } from './backends.ts';
import type { User } from './users.ts';

export interface JobServiceOptions {
  /** Built-in backend code by display name, for checks a schema cannot state (Hilbert-space size). */
  definitions: ReadonlyMap<string, BackendDefinition>;
}

function canSee(user: User, owner: string): boolean {
  return user.role === 'admin' || user.username === owner;
}

export class JobService {
  constructor(
    readonly lifecycle: JobLifecycle,
    private readonly options: JobServiceOptions,
  ) {}

  /** Validates and enqueues; throws InvalidJobError naming the broken rules. */
  async submit(user: User, backend: ResolvedBackend, payload: unknown, meta?: Record<string, unknown>): Promise<JobRecord> {
    checkJob(this.options.definitions.get(backend.display), backend.config, payload);
    return this.lifecycle.enqueue({ backend: backend.display, owner: user.username, payload, ...(meta ? { meta } : {}) });
  }

  async status(user: User, backend: string, id: string): Promise<StatusRecord | undefined> {
    const status = await this.lifecycle.getStatus(backend, id);
    return status && canSee(user, status.owner) ? status : undefined;
  }

  async job(user: User, backend: string, id: string): Promise<JobRecord | undefined> {
    const found = await this.lifecycle.find(backend, id);
    return found && canSee(user, found.value.owner) ? found.value : undefined;
  }

  async result(record: JobRecord): Promise<unknown> {
    return this.lifecycle.getResult(record);
  }
}

